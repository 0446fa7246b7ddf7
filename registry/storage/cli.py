"""`registry storage check` and `registry storage migrate` (docs/storage.md)."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from registry.storage import store, upgrade


@click.group("storage")
def storage_group() -> None:
    """Where the registry keeps its files (STORAGE_URL)."""


@storage_group.command("check")
@with_appcontext
def storage_check() -> None:
    """Write, read and delete one object: proves this machine may use the store."""
    files, key = store(), f"checks/{socket.gethostname()}-{os.getpid()}"
    started = time.perf_counter()
    files.put(key, b"ok", content_type="text/plain")
    if files.get(key) != b"ok":
        raise click.ClickException(f"{key} read back different bytes")
    files.delete(key)
    took = (time.perf_counter() - started) * 1000
    click.echo(f"storage OK ({type(files).__name__}): write, read, delete in {took:.0f} ms")


@storage_group.command("migrate")
@with_appcontext
def storage_migrate() -> None:
    """Copy the evidence of earlier versions (EVIDENCE_DIR) into the store; run again, it
    copies only what is still missing."""
    sources = {
        "evidence": (upgrade.copy_evidence, Path(current_app.config["EVIDENCE_DIR"])),
    }
    refused = False
    for name, (copy, folder) in sources.items():
        done = copy(folder, store())
        click.echo(
            f"{name} from {folder}: {done.copied} copied, {done.present} already in the store, "
            f"{len(done.refused)} refused"
        )
        for reason in done.refused:
            click.echo(f"  refused: {reason}", err=True)
        refused = refused or bool(done.refused)
    if refused:
        raise SystemExit(1)
