"""`registry label verify` as a receiving clerk runs it: many labels in one run (arguments,
a file, stdin), one JSON line each, the exit status of the worst, the revocation list's
reason code, a one-line message when the registry cannot be reached, and a start with no
Flask (the command does not load the app)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from registry.accounts.models import Organisation
from registry.db import db
from registry.labels import status
from registry.labels.models import Label, LabelStatus
from registry.trace.models import Batch
from tests.public.conftest import authority, farm, grower, issue_on, packed, verifier  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def lists(client: FlaskClient, tmp_path: Path) -> Callable[[], list[str]]:
    """A function saving the registry's two lists now; gives the CLI options naming them."""
    jwks, cose = tmp_path / "jwks.json", tmp_path / "revocations.cose"

    def save() -> list[str]:
        jwks.write_bytes(client.get("/.well-known/jwks.json").data)
        cose.write_bytes(client.get("/api/v1/revocations.cose").data)
        return ["--jwks", str(jwks), "--revocations", str(cose)]

    return save


def two_labels(app: Flask, packed: Batch, authority: Organisation) -> tuple[Label, Label]:
    """A valid label and one revoked for fraud."""
    good = issue_on(app, packed, authority)
    bad = issue_on(app, packed, authority)
    status.change(db.session, authority, bad.serial, LabelStatus.REVOKED, "fraud")
    db.session.commit()
    return good, bad


def verdicts(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines()]


def test_many_labels_in_one_run_one_line_each_and_the_worst_decides(
    app: Flask, runner: FlaskCliRunner, ctx: None, packed: Batch, authority: Organisation, lists
) -> None:
    good, bad = two_labels(app, packed, authority)
    saved = lists()
    forged = re.sub(r"/21/[A-Z0-9-]+", "/21/AAAAAAAA", good.url)
    result = runner.invoke(args=["label", "verify", *saved, good.url, bad.url, forged])
    lines = verdicts(result.output)
    assert [(v["url"], v["status"]) for v in lines] == [
        (good.url, "valid"),
        (bad.url, "revoked"),
        (forged, "invalid"),
    ]
    assert lines[1]["reason"] == "fraud" and lines[1]["serial"] == bad.serial
    assert lines[2]["reason"] == "url_mismatch"
    assert result.exit_code == 4  # invalid is the worst
    assert runner.invoke(args=["label", "verify", *saved, good.url, bad.url]).exit_code == 3
    assert runner.invoke(args=["label", "verify", *saved, good.url]).exit_code == 0


def test_urls_come_from_a_file_and_from_stdin(
    app: Flask,
    runner: FlaskCliRunner,
    ctx: None,
    packed: Batch,
    authority: Organisation,
    lists,
    tmp_path: Path,
) -> None:
    good, bad = two_labels(app, packed, authority)
    saved = lists()
    listed = tmp_path / "labels.txt"
    listed.write_text(f"{good.url}\n\n  {bad.url}  \n", encoding="utf-8")
    from_file = runner.invoke(args=["label", "verify", *saved, "--file", str(listed)])
    assert [v["serial"] for v in verdicts(from_file.output)] == [good.serial, bad.serial]
    assert from_file.exit_code == 3
    from_stdin = runner.invoke(args=["label", "verify", *saved, "-"], input=f"{good.url}\n")
    assert from_stdin.exit_code == 0 and verdicts(from_stdin.output)[0]["status"] == "valid"
    piped = runner.invoke(args=["label", "verify", *saved, "--file", "-"], input="nonsense\n")
    assert piped.exit_code == 4 and verdicts(piped.output)[0]["reason"] == "bad_url"
    nothing = runner.invoke(args=["label", "verify", *saved])
    assert nothing.exit_code == 2 and "--file" in nothing.output


def test_a_suspended_label_shows_its_reason_code(
    app: Flask, runner: FlaskCliRunner, ctx: None, packed: Batch, authority: Organisation, lists
) -> None:
    label = issue_on(app, packed, authority)
    status.change(db.session, authority, label.serial, LabelStatus.SUSPENDED, "under_review")
    db.session.commit()
    result = runner.invoke(args=["label", "verify", *lists(), label.url])
    line = verdicts(result.output)[0]
    assert (line["status"], line["reason"], result.exit_code) == ("revoked", "under_review", 3)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_console_script(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`registry ARGS` through the console script's entry point (registry.cli:main), in a
    fresh interpreter that reports every module it imports (-X importtime, on stderr)."""
    code = "import sys; sys.argv[0] = 'registry'; from registry.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def imported(stderr: str) -> set[str]:
    found = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)", stderr, re.MULTILINE)
    return {name.split(".")[0] for name in found}


def test_an_unreachable_registry_gets_one_line_that_names_the_saved_lists() -> None:
    url = f"http://127.0.0.1:{free_port()}/l/ABC123?le=AAAA"
    result = run_console_script("label", "verify", url)
    message = [line for line in result.stderr.splitlines() if not line.startswith("import time")]
    assert result.returncode == 5 and result.stdout == ""
    assert len(message) == 1 and "--jwks" in message[0] and "--revocations" in message[0]
    assert "Traceback" not in result.stderr


def test_the_offline_check_starts_without_flask(
    app: Flask, ctx: None, packed: Batch, authority: Organisation, lists
) -> None:
    good, bad = two_labels(app, packed, authority)
    result = run_console_script("label", "verify", *lists(), "-", stdin=f"{good.url}\n{bad.url}\n")
    assert result.returncode == 3, result.stdout
    assert [v["status"] for v in verdicts(result.stdout)] == ["valid", "revoked"]
    modules = imported(result.stderr)
    assert "registry" in modules and "cbor2" in modules  # the report is read right
    assert not modules & {"flask", "werkzeug", "sqlalchemy", "jinja2", "flask_babel"}
