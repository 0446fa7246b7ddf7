"""EPCIS 2.0 capture: partners' systems (a mill's ERP, a retailer's warehouse) send events
about batches they hold. A document is checked against GS1's official JSON Schema (shipped
in `epcis_schema/` with its licence) and the rules a receiving repository relies on; then
every event is stored and logged, or none is.

Captured events add to a batch's history; they never move kg. Quantities change only
through the registry's own operations, where mass balance is enforced."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from flask_babel import lazy_gettext as _l
from jsonschema.exceptions import best_match
from sqlalchemy import select

from registry.accounts.models import Organisation
from registry.db import Db
from registry.errors import Conflict, DomainError
from registry.ledger import sequencer
from registry.trace import epcis
from registry.trace.batches import store_event
from registry.trace.models import Batch, TraceEvent
from registry.trace.service import digest

MAX_EVENTS = 500
ZONED = re.compile(r"(Z|[+-]\d\d:\d\d)$")
LOT_KEYS = ("quantityList", "inputQuantityList", "outputQuantityList", "childQuantityList")


class CaptureRefused(DomainError):
    title = _l("This EPCIS document cannot be captured.")


@cache
def _validator() -> jsonschema.Draft7Validator:
    text = resources.files("registry.trace").joinpath("epcis_schema/EPCIS-JSON-Schema.json")
    schema = json.loads(text.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def problems(document: Any) -> dict[str, list[str]]:
    """Field-level problems of a document, keyed by JSON path ('' for the root)."""
    found: dict[str, list[str]] = {}
    for error in sorted(_validator().iter_errors(document), key=lambda e: list(e.path))[:20]:
        error = best_match(error.context) if error.context else error  # the branch that failed
        found.setdefault("/".join(map(str, error.absolute_path)), []).append(error.message[:200])
    if found:
        return found
    if document.get("type") != "EPCISDocument":
        return {"type": [str(_l("Send an EPCISDocument."))]}
    events = document["epcisBody"].get("eventList") or []
    if not 1 <= len(events) <= MAX_EVENTS:
        found["epcisBody/eventList"] = [str(_l("Send 1 to 500 events."))]
    for n, event in enumerate(events):
        _event_problems(event, f"epcisBody/eventList/{n}", found)
    return found


def _event_problems(event: dict[str, Any], path: str, found: dict[str, list[str]]) -> None:
    if not ZONED.search(event.get("eventTime", "")):
        found.setdefault(f"{path}/eventTime", []).append(str(_l("Give the time zone.")))
    if not str(event.get("eventID", "")).startswith(("urn:uuid:", "ni:///")):
        found.setdefault(f"{path}/eventID", []).append(
            str(_l("Give each event a unique eventID (urn:uuid:… or ni:///…)."))
        )


def capture(session: Db, org: Organisation, document: Any, base_url: str) -> list[TraceEvent]:
    """Validate, then store and log every event; each must name a batch the organisation
    holds or made."""
    if not isinstance(document, dict):
        raise CaptureRefused(errors={"": [str(_l("Send a JSON object."))]})
    found = problems(document)
    if found:
        raise CaptureRefused(errors=found)
    events = document["epcisBody"]["eventList"]
    ids = [e["eventID"] for e in events]
    if len(set(ids)) != len(ids):
        raise CaptureRefused(errors={"epcisBody/eventList": [str(_l("eventIDs repeat."))]})
    known = session.scalars(select(TraceEvent.event_id).where(TraceEvent.event_id.in_(ids))).all()
    if known:
        raise Conflict(_l("These events were captured before."), errors={"eventID": list(known)})
    lots = _lots_of(session, org, base_url)
    linked = []
    for n, event in enumerate(events):
        batches = [lots[uri] for uri in _uris(event) if uri in lots]
        if not batches:
            found[f"epcisBody/eventList/{n}"] = [
                str(_l("The event names no batch your organisation holds or made."))
            ]
        linked.append(batches)
    if found:
        raise CaptureRefused(errors=found)
    return _store(session, org, events, linked)


def _lots_of(session: Db, org: Organisation, base_url: str) -> dict[str, Batch]:
    held = session.scalars(
        select(Batch).where((Batch.organisation_id == org.id) | (Batch.maker_id == org.id))
    )
    return {
        epcis.lot_uri(base_url, epcis.Lot(b.maker.code, b.lot_code, b.gtin, 0)): b for b in held
    }


def _uris(event: dict[str, Any]) -> list[str]:
    uris = [q["epcClass"] for key in LOT_KEYS for q in event.get(key, [])]
    if "parentID" in event:
        uris.append(event["parentID"])
    return uris


def _store(
    session: Db, org: Organisation, events: list[dict[str, Any]], linked: list[list[Batch]]
) -> list[TraceEvent]:
    entries = [
        (
            "trace.event",
            org.code,
            e["eventID"],
            {
                "event": e["eventID"],
                "type": e["type"],
                "biz_step": e.get("bizStep"),
                "captured": True,
                "digest": digest(e),
            },
        )
        for e in events
    ]
    rows = [
        store_event(session, org, event, list(dict.fromkeys(about)), -1, captured=True)
        for event, about in zip(events, linked, strict=True)
    ]
    sequencer.record_many(session, entries, [[(row, "log_index")] for row in rows])
    return rows
