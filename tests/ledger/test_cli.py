"""`registry keys` and `registry log verify`, as the operator runs them."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import update

from registry import create_app
from registry.db import db, utcnow
from registry.keys import KeyStore
from registry.ledger import note, service
from registry.ledger.models import LogEntry, LogNode


def fill(n: int) -> None:
    service.append_many(db.session, [("test.event", "HTX-A", f"s{i}", {"i": i}) for i in range(n)])
    db.session.commit()


def test_log_verify_passes_on_an_intact_log(app: Flask, runner: FlaskCliRunner, ctx: None) -> None:
    fill(25)
    app.test_client().get("/log/checkpoint")
    result = runner.invoke(args=["log", "verify"])
    assert result.exit_code == 0, result.output
    assert "25 entries" in result.output and "1 checkpoints" in result.output


def test_log_verify_finds_a_rewritten_entry(runner: FlaskCliRunner, ctx: None) -> None:
    fill(9)
    forged = service.encode_entry("test.event", utcnow(), "HTX-A", "s3", {"i": 99})
    db.session.execute(update(LogEntry).where(LogEntry.index == 3).values(entry=forged))
    db.session.commit()
    result = runner.invoke(args=["log", "verify"])
    assert result.exit_code == 1 and "(0, 3)" in result.output


def test_log_verify_finds_a_tampered_subtree_hash(runner: FlaskCliRunner, ctx: None) -> None:
    fill(8)
    db.session.execute(
        update(LogNode).where(LogNode.level == 2, LogNode.index == 1).values(hash=b"\x00" * 32)
    )
    db.session.commit()
    result = runner.invoke(args=["log", "verify"])
    assert result.exit_code == 1 and "(2, 1)" in result.output


def test_generate_keeps_keys_and_rotation_keeps_old_checkpoints_verifiable(
    app: Flask, tmp_path: Path
) -> None:
    rotated = create_app({**app.config, "KEYS_DIR": str(tmp_path / "keys")})
    runner = rotated.test_cli_runner()
    with rotated.app_context():
        assert "log key generated" in runner.invoke(args=["keys", "generate"]).output
        assert "log key kept" in runner.invoke(args=["keys", "generate"]).output
        pem = tmp_path / "keys" / "log.pem"
        assert pem.stat().st_mode & 0o077 == 0
        client = rotated.test_client()
        old_note = client.get("/log/checkpoint").data
        old_vkey = client.get("/log/key").get_data(as_text=True).strip()

        assert runner.invoke(args=["keys", "rotate", "log"]).exit_code == 0
        new_vkey = client.get("/log/key").get_data(as_text=True).strip()
        assert new_vkey != old_vkey
        published = [k["vkey"] for k in client.get("/log/keys").json["keys"]]
        assert published == [new_vkey, old_vkey]
        assert note.open_checkpoint(old_note, old_vkey).size == 2  # two key.added entries
        fresh = client.get("/log/checkpoint").data
        assert note.open_checkpoint(fresh, new_vkey).size == 4  # + key.retired, key.added
        verified = runner.invoke(args=["log", "verify"])
        assert verified.exit_code == 0, verified.output
        assert len(KeyStore(tmp_path / "keys").published("log")) == 2
