"""Batches, hand-overs and captured EPCIS events written over the API log through the
batched sequencer (issue 22): each answer shows the index the pool gave its entry, the
event rows keep the same indices, and the log re-derives cleanly. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry.accounts.models import Organisation
from registry.db import db
from registry.ledger import service as ledger
from registry.ledger.audit import verify_store
from registry.ledger.models import LogPending
from registry.trace.models import TraceEvent
from tests.conftest import Factory
from tests.trace.test_batch_api import tokens
from tests.trace.test_batches import grower, mill, rice_coproducts  # noqa: F401
from tests.verify.conftest import farm, verifier  # noqa: F401


def pooled(index: int) -> dict[str, Any]:
    """The entry at `index`, which must have been numbered from the sequencer's pool."""
    found = db.session.scalar(select(LogPending.id).where(LogPending.log_index == index))
    assert found is not None, f"entry {index} was appended, not sequenced"
    return dict(json.loads(ledger.entry(db.session, index)))


def event_indices(event_ids: list[str]) -> list[int]:
    query = select(TraceEvent.log_index).where(TraceEvent.event_id.in_(event_ids))
    return sorted(db.session.scalars(query))


def test_the_trace_chain_over_the_api_is_numbered_by_the_sequencer(
    app: Flask, client: FlaskClient, make: Factory, grower, mill: Organisation
) -> None:
    htx, miller = tokens(app, make, grower, mill)
    paddy = client.post(
        "/api/v1/batches",
        json={"lot_code": "LUA-1", "draws": [{"season": grower[1].code, "kg": 3000}]},
        headers=htx,
    ).json
    entry = pooled(paddy["log_index"])
    assert entry["type"] == "batch.registered" and entry["subject"].endswith("/LUA-1")
    sent = client.post(
        f"/api/v1/batches/{paddy['id']}/ship", json={"receiver": "MILL-1"}, headers=htx
    ).json
    shipped = pooled(sent["log_index"])
    assert shipped["type"] == "trace.event" and shipped["data"]["handover"] == sent["id"]
    answered = client.post(
        f"/api/v1/handovers/{sent['id']}/answer", json={"accept": True}, headers=miller
    ).json
    received = pooled(answered["decided_log_index"])
    assert received["data"]["handover"] == sent["id"] and received["data"]["biz_step"]
    milled = client.post(
        "/api/v1/batches/transform",
        json={
            "step": "milling",
            "lot_code": "GAO-1",
            "quantity_kg": 1950,
            "inputs": [{"batch": paddy["id"], "kg": 3000}],
            "coproducts": rice_coproducts(3000, 1950),
        },
        headers=miller,
    )
    assert milled.status_code == 201, milled.json
    rice = milled.json
    assert pooled(rice["log_index"])["subject"].endswith("/GAO-1")
    parts = client.post(
        f"/api/v1/batches/{rice['id']}/split", json={"parts": [{"kg": 500}]}, headers=miller
    ).json
    assert [pooled(p["log_index"])["type"] for p in parts] == ["batch.registered"] * len(parts)
    logged_events = [pooled(i)["data"]["event"] for i in (paddy["log_index"], rice["log_index"])]
    events = [shipped["data"]["event"], received["data"]["event"], *logged_events]
    assert event_indices(events) == sorted(
        [sent["log_index"], answered["decided_log_index"], paddy["log_index"], rice["log_index"]]
    )
    observed = _observation(client, htx, paddy["id"])
    captured = client.post("/api/v1/epcis/capture", json=observed, headers=htx)
    assert captured.status_code == 201, captured.json
    (index,) = event_indices(captured.json["events"])
    assert pooled(index)["subject"] == captured.json["events"][0]
    report = verify_store(db.session, "unused", [])
    assert report.ok, report.problems


def _observation(client: FlaskClient, auth: dict[str, str], batch_id: int) -> dict[str, Any]:
    """A partner's EPCIS document observing the batch (its first event, as an OBSERVE)."""
    upstream = client.get(f"/api/v1/batches/{batch_id}/epcis", headers=auth).json
    first = upstream["epcisBody"]["eventList"][0]
    event = {
        **{k: v for k, v in first.items() if k != "ilmd"},
        "eventID": "urn:uuid:6f2b3a44-8d7e-4c1a-9a55-0e7c1d2b3f41",
        "action": "OBSERVE",
        "bizStep": "storing",
    }
    return {**upstream, "epcisBody": {"eventList": [event]}}
