"""`registry storage migrate`: the evidence of earlier versions (EVIDENCE_DIR/ab/cdef…)
copied into the store once, checked, on either backend."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from registry import storage
from registry.storage import Store
from registry.storage.upgrade import copy_evidence
from registry.trace.evidence import EvidenceStore
from tests.trace.test_evidence import TINY_PDF, photo


def legacy(folder: Path, body: bytes, damaged: bool = False) -> str:
    """A file as earlier versions wrote it; `damaged` flips a byte after naming it."""
    sha = hashlib.sha256(body).hexdigest()
    (folder / sha[:2]).mkdir(parents=True, exist_ok=True)
    (folder / sha[:2] / sha[2:]).write_bytes(body[:-1] + b"?" if damaged else body)
    return sha


def test_old_evidence_is_copied_once_and_only_when_whole(store: Store, tmp_path: Path) -> None:
    old = tmp_path / "evidence"
    jpeg, pdf = legacy(old, photo()), legacy(old, TINY_PDF)
    broken = legacy(old, b"%PDF-1.4 another document")
    legacy(old, b"%PDF-1.4 another document", damaged=True)
    (old / jpeg[:2] / ".tmpwrite.tmp").write_bytes(b"half")  # an interrupted write: ignored
    (old / "notes").mkdir()
    (old / "notes" / "readme.txt").write_text("not evidence")
    first = copy_evidence(old, store)
    assert (first.copied, first.present) == (2, 0)
    assert sorted(first.refused) == [
        f"{old / broken[:2] / broken[2:]}: damaged (its bytes no longer hash to its name)",
        f"{old / 'notes' / 'readme.txt'}: not an evidence file",
    ]
    again = copy_evidence(old, store)
    assert (again.copied, again.present, len(again.refused)) == (0, 2, 2)
    evidence = EvidenceStore(store)  # no old folder: everything is read from the store
    for sha, body in ((jpeg, photo()), (pdf, TINY_PDF)):
        blob = evidence.open(sha)
        with contextlib.closing(blob.file) as stream:
            assert stream.read() == body
    assert list(store.keys()) == sorted([evidence.key(jpeg), evidence.key(pdf)])


def test_the_command_reports_and_fails_on_a_damaged_file(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(tmp_path / "evidence"))
    sha = legacy(tmp_path / "evidence", TINY_PDF)
    done = runner.invoke(args=["storage", "migrate"])
    assert done.exit_code == 0, done.output
    assert "evidence from" in done.output and "1 copied, 0 already in the store" in done.output
    assert "1 already in the store" in runner.invoke(args=["storage", "migrate"]).output
    legacy(tmp_path / "evidence", b"%PDF- something else", damaged=True)
    refused = runner.invoke(args=["storage", "migrate"])
    assert refused.exit_code == 1 and "damaged" in refused.output
    with app.app_context():
        files = storage.store()
        copied = files.get(EvidenceStore(files).key(sha))
        files.delete(EvidenceStore(files).key(sha))  # the session's store, left as found
    assert copied == TINY_PDF


def test_check_writes_reads_and_deletes(runner: FlaskCliRunner) -> None:
    done = runner.invoke(args=["storage", "check"])
    assert done.exit_code == 0 and "storage OK (LocalStore)" in done.output
