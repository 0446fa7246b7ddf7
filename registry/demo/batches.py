"""Demo batches: the Cần Thơ HTX draws paddy from its approved Hè Thu 2026 seasons and
sends it to the Cờ Đỏ mill, which accepts, mills and packs it (with a Vietnamese GTIN) and
sends the packaged rice to the Hải Phòng retailer, which accepts it. A fifth of the
harvest is left undrawn, so the HTX's batch form has something to offer."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from registry.accounts.models import Organisation
from registry.db import Db
from registry.trace import batches
from registry.trace import service as trace
from registry.trace.models import Batch

HTX, MILL, RETAILER = "HTX-THOILAI", "MILL-CODO", "RET-XANH"
GTIN = "08938505974019"  # 893 (GS1 Vietnam) + company and item digits, check digit 9
SENT_SHARE = 0.8  # of each verified harvest


def load_batches(session: Db, base_url: str) -> int:
    if session.scalar(select(Batch.id)) is not None:
        return 0
    htx, mill, retailer = (_org(session, c) for c in (HTX, MILL, RETAILER))
    draws = [
        {"season": s.code, "kg": round(SENT_SHARE * (s.harvested_kg or 0), 1)}
        for s in trace.seasons_of(session, htx.id)
        if s.year == 2026 and s.season_type.value == "he_thu" and batches.verified(session, s)
    ]
    paddy = batches.register_harvest(
        session,
        htx,
        {"lot_code": "LUA-HT26-01", "draws": draws, "production_date": date(2026, 8, 2)},
        base_url,
    )
    _hand(session, htx, mill, paddy, base_url)
    rice = batches.transform(
        session,
        mill,
        {
            "step": "milling",
            "lot_code": "GAO-HT26-01",
            "production_date": date(2026, 8, 12),
            "quantity_kg": round(paddy.quantity_kg * 0.66, 1),
            "inputs": [{"batch": paddy.id, "kg": paddy.quantity_kg}],
            "coproducts": [  # every kg of paddy accounted for; 2 % lost (issue 20)
                {"product": p, "kg": round(paddy.quantity_kg * share, 1)}
                for p, share in (("rice_husk", 0.20), ("rice_bran", 0.09), ("broken_rice", 0.03))
            ],
        },
        base_url,
    )
    packed = batches.transform(
        session,
        mill,
        {
            "step": "packing",
            "lot_code": "HT26-01",
            "gtin": GTIN,
            "production_date": date(2026, 8, 14),
            "quantity_kg": round(rice.quantity_kg * 0.99, 1),
            "inputs": [{"batch": rice.id, "kg": rice.quantity_kg}],
        },
        base_url,
    )
    _hand(session, mill, retailer, packed, base_url)
    return 4


def _hand(
    session: Db, sender: Organisation, receiver: Organisation, batch: Batch, base_url: str
) -> None:
    handover = batches.ship(session, sender, batch.id, receiver.code, base_url)
    batches.answer(session, receiver, handover.id, True, base_url)


def _org(session: Db, code: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.code == code))
    assert org is not None, "load the demo accounts first"
    return org
