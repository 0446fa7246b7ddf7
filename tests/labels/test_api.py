"""The label request and issuance API for a member's and the authority's systems."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.accounts.models import Organisation
from registry.db import db
from registry.labels.models import Label, LabelRequest
from registry.ledger.models import LogEntry
from registry.trace.models import Batch
from tests.accounts.test_api import bearer
from tests.conftest import Factory

RW = ("read", "write")


def test_a_retried_request_and_issuance_make_one_label_and_one_log_entry(
    app: Flask, client: FlaskClient, make: Factory, packed: Batch, authority: Organisation
) -> None:
    """A system that retries after a dropped connection sends the same Idempotency-Key: one
    request, one label with its unit labels, one `label.issued` entry; each retry gets the
    first answer."""
    holder = db.session.get(Organisation, packed.organisation_id)
    assert holder is not None
    member, operator = bearer(app, make.user(holder), RW), bearer(app, make.user(authority), RW)

    def twice(path: str, body: dict[str, object] | None, auth: dict[str, str]) -> dict:
        key = {**auth, "Idempotency-Key": f"retry-{path}"}
        first, again = (client.post(path, json=body, headers=key) for _ in range(2))
        assert first.status_code == again.status_code == 201, first.json
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.get_data() == first.get_data()
        return first.json

    asked = twice("/api/v1/labels/requests", {"batch": packed.id, "units": 5, "unit_kg": 1}, member)
    issued = twice(f"/api/v1/labels/requests/{asked['id']}/issue", None, operator)
    assert issued["status"] == "valid" and issued["batch"] == "TUI-1"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LabelRequest)) == 1
        assert db.session.scalar(select(func.count()).select_from(Label)) == 1 + 5
        logged = select(func.count()).where(LogEntry.type == "label.issued")
        assert db.session.scalar(logged) == 1
