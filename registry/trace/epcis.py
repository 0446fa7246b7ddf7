"""EPCIS 2.0 events and documents (pure: plain values in, JSON-LD dicts out).

Batches are lots, so events carry quantities of a class (`quantityList`, kg) rather than
serialised items. A lot with a GTIN is named by its GS1 Digital Link URI
(`{base}/01/{gtin}/10/{lot}`); a lot without one by a URN of this registry, which partners
can still match but which does not pretend to be a GS1 key. Business steps come from
CBV 2.0 where one fits (the crop catalogue's steps.json says which); drying, milling,
washing, grading and the other processing steps have no CBV word, so they use this
registry's own vocabulary URIs, as CBV allows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from registry.crops import CBV_BIZ_STEPS

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
NAMESPACE = "urn:phatthaithap:"
KGM = "KGM"  # UN/ECE Recommendation 20 code for kilogram


@dataclass(frozen=True)
class Lot:
    """What an event needs to name a batch."""

    maker: str
    lot: str
    gtin: str | None
    kg: float


def lot_uri(base: str, lot: Lot) -> str:
    if lot.gtin:
        return f"{base.rstrip('/')}/01/{lot.gtin}/10/{lot.lot}"
    return f"{NAMESPACE}lot:{lot.maker}.{lot.lot}"


def org_uri(code: str) -> str:
    return f"{NAMESPACE}org:{code}"


def field_uri(org: str, field: str) -> str:
    return f"{NAMESPACE}field:{org}.{field}"


def step_uri(step: str) -> str:
    return f"{NAMESPACE}bizstep:{step}"


def _biz_step(step: str) -> str:
    """A CBV 2.0 word or a URI as given; a bare code of this registry as its URI."""
    return step if step in CBV_BIZ_STEPS or ":" in step else step_uri(step)


def new_event_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _time(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """An EPCIS time (RFC 3339 with a zone) as an aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _quantities(base: str, lots: Iterable[Lot]) -> list[dict[str, Any]]:
    return [{"epcClass": lot_uri(base, x), "quantity": round(x.kg, 3), "uom": KGM} for x in lots]


def _common(kind: str, event_id: str, when: datetime, org: str) -> dict[str, Any]:
    return {
        "type": kind,
        "eventID": event_id,
        "eventTime": _time(when),
        "eventTimeZoneOffset": "+07:00",
        "bizLocation": {"id": org_uri(org)},
    }


def harvest_event(
    base: str,
    event_id: str,
    when: datetime,
    org: str,
    output: Lot,
    fields: Sequence[str],
    seasons: Sequence[str],
) -> dict[str, Any]:
    """An ObjectEvent ADD: the lot comes into being from verified seasons' harvests."""
    event = _common("ObjectEvent", event_id, when, org)
    event.update(
        action="ADD",
        epcList=[],
        quantityList=_quantities(base, [output]),
        bizStep="commissioning",
        disposition="active",
        readPoint={"id": field_uri(org, fields[0])},
        ilmd={f"{NAMESPACE}season": list(seasons), f"{NAMESPACE}field": list(fields)},
    )
    return event


def transformation_event(
    base: str,
    event_id: str,
    when: datetime,
    org: str,
    step: str,
    inputs: Sequence[Lot],
    outputs: Sequence[Lot],
) -> dict[str, Any]:
    """A TransformationEvent: inputs consumed (in the kg drawn), outputs made (a step's
    main product and its co-products). `step`: a CBV 2.0 business step, a URI, or a step
    code of this registry (made its URI)."""
    event = _common("TransformationEvent", event_id, when, org)
    event.update(
        inputQuantityList=_quantities(base, inputs),
        outputQuantityList=_quantities(base, outputs),
        bizStep=_biz_step(step),
        disposition="active",
    )
    return event


def packing_event(
    base: str, event_id: str, when: datetime, org: str, parent: Lot, children: Sequence[Lot]
) -> dict[str, Any]:
    """An AggregationEvent ADD: the product packed into the packaged lot."""
    event = _common("AggregationEvent", event_id, when, org)
    event.update(
        action="ADD",
        parentID=lot_uri(base, parent),
        childEPCs=[],
        childQuantityList=_quantities(base, children),
        bizStep="packing",
        disposition="active",
    )
    return event


def shipping_event(
    base: str,
    event_id: str,
    when: datetime,
    sender: str,
    receiver: str,
    lot: Lot,
    handover: int,
) -> dict[str, Any]:
    """A TransactionEvent ADD tying the lot to the hand-over (a despatch advice)."""
    event = _common("TransactionEvent", event_id, when, sender)
    event.update(
        action="ADD",
        bizTransactionList=[
            {"type": "desadv", "bizTransaction": f"{NAMESPACE}handover:{handover}"}
        ],
        epcList=[],
        quantityList=_quantities(base, [lot]),
        bizStep="shipping",
        disposition="in_transit",
        sourceList=[{"type": "owning_party", "source": org_uri(sender)}],
        destinationList=[{"type": "owning_party", "destination": org_uri(receiver)}],
    )
    return event


def receiving_event(
    base: str,
    event_id: str,
    when: datetime,
    sender: str,
    receiver: str,
    lot: Lot,
    accepted: bool,
) -> dict[str, Any]:
    """An ObjectEvent OBSERVE at the receiver: accepted (receiving) or refused."""
    event = _common("ObjectEvent", event_id, when, receiver)
    event.update(
        action="OBSERVE",
        epcList=[],
        quantityList=_quantities(base, [lot]),
        bizStep="receiving" if accepted else "inspecting",
        disposition="in_progress" if accepted else "non_conformant",
        sourceList=[{"type": "owning_party", "source": org_uri(sender)}],
        destinationList=[{"type": "owning_party", "destination": org_uri(receiver)}],
    )
    return event


def document(events: Iterable[dict[str, Any]], created: datetime) -> dict[str, Any]:
    """An EPCISDocument holding `events` in the order given."""
    return {
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": _time(created),
        "epcisBody": {"eventList": list(events)},
    }
