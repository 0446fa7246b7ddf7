"""The log page names every kind of entry the registry writes in the reader's words: a
clerk reads "Mở vụ", not `season.opened`."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask_babel import force_locale

from registry.db import db
from registry.demo import load_demo
from registry.labels.api import issuer
from registry.ledger.models import LogEntry
from registry.ledger.views import ENTRY_TYPES

REGISTRY = Path(__file__).resolve().parents[2] / "registry"
# A type written as a literal where an entry is logged: ledger.append(session, "x.y", …),
# sequencer.record(session, "x.y", …) or .submit(…), and the key commands'
# _log_key_event("x.y", …).
LITERAL = re.compile(
    r"(?:(?:ledger\.append|sequencer\.(?:record|submit))\(\s*[\w.]+,|_log_key_event\()"
    r"\s*\"([a-z]+\.[a-z_]+)\""
)


def test_every_type_in_the_demo_log_has_a_name_in_both_languages(app: Flask) -> None:
    with app.app_context():
        load_demo(db.session, Path(app.instance_path), issuer())
        db.session.commit()
        written = set(db.session.scalars(db.select(LogEntry.type).distinct()))
        assert len(written) >= 10
        assert written <= ENTRY_TYPES.keys(), written - ENTRY_TYPES.keys()
        with app.test_request_context(), force_locale("vi"):
            for kind in written:
                assert str(ENTRY_TYPES[kind]) != kind


def test_every_type_the_code_appends_has_a_name() -> None:
    appended = {
        kind
        for path in REGISTRY.rglob("*.py")
        for match in LITERAL.finditer(path.read_text(encoding="utf-8"))
        for kind in match.groups()
        if kind
    }
    assert {"label.issued", "season.opened", "verifier.relationship"} <= appended
    assert appended <= ENTRY_TYPES.keys(), appended - ENTRY_TYPES.keys()
