"""Demo batches: three chains from an approved harvest to the Hải Phòng retailer.

- Rice: the Cần Thơ HTX draws paddy from its approved Hè Thu 2026 seasons and sends it to
  the Cờ Đỏ mill, which accepts it, mills it (milled rice, with husk, bran and broken rice,
  so that every kg of paddy is accounted for), packs it (with a Vietnamese GTIN) and sends
  the packaged rice to the retailer, which accepts it. A fifth of the harvest is left
  undrawn, so the HTX's batch form has something to offer.
- Vegetables (issue 20): HTX Rau an toàn Hà Đông draws pak choi (cải ngọt) from HD-01's
  approved first 2026 cycle and prepares it in its own packing house as the catalogue's
  steps go: trimming (the outer leaves and roots kept as trimmings), washing, packing in
  0.5 kg bags with its GTIN; the retailer accepts the packed lot. HD-02's water spinach is
  left undrawn for the batch form.
- Longan (issue 20): HTX Đồ Sơn draws the last pickings of its approved 2026 growing years
  on DS-03 (trees planted in 2008) and DS-05 (grafted trees planted in 2020, which still
  take up carbon, so the lot carries the CO2 taken up per kg), grades them into first and
  second grade (the rejects are the loss), packs the first grade in 2 kg boxes with its
  GTIN and sends them to the retailer; the second grade stays with the HTX. The authority
  has set prices for the two grades, so grading shares its emissions by economic value
  (registry/trace/steps.py), as the batch page says.

Each chain is added when its harvest lot is missing, so an older demo database gains the
new ones."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from registry.accounts.models import Organisation
from registry.db import Db
from registry.trace import batches, prices
from registry.trace import service as trace
from registry.trace.models import Batch, Season

HTX, MILL, RETAILER, AUTHORITY = "HTX-THOILAI", "MILL-CODO", "RET-XANH", "HP-CCTT"
VEGETABLES, ORCHARD = "HTX-HADONG", "HTX-DOSON"
GTIN = "08938505974019"  # 893 (GS1 Vietnam) + company and item digits, check digit 9
VEGETABLE_GTIN = "08936078100156"  # pak choi, 0.5 kg bag; check digit 6
LONGAN_GTIN = "08936054200139"  # longan, 2 kg box; check digit 9
SENT_SHARE = 0.8  # of each verified rice harvest
# Demo prices per kg the authority sets for the longan grades (farm-gate prices of the
# order traders paid for first- and second-grade longan in the Red River delta in 2024–2025;
# demo figures, not a survey), so that grading allocates by economic value.
LONGAN_PRICES = {"longan_grade_1": 30_000, "longan_grade_2": 12_000}

# The longan lot: DS-03's last picking (mature trees, planted 2008) and DS-05's second
# (grafted trees replanted in 2020, which still take up carbon), kg.
LONGAN_DRAWS = (("DS-03-2026-N", 6000), ("DS-05-2026-N", 2200))
# Lot codes a tester finds on the batch pages (`registry demo` prints the labelled ones).
RICE_LOTS = ("LUA-HT26-01", "GAO-HT26-01", "HT26-01")
VEGETABLE_LOTS = ("RAU-HD26-01", "RSC-HD26-01", "RSR-HD26-01", "HD26-01")
LONGAN_LOTS = ("NHAN-DS26-01", "NHAN1-DS26-01", "DS26-01")


def load_batches(session: Db, base_url: str) -> int:
    created = 0
    for lots, org, chain in (
        (RICE_LOTS, HTX, _rice),
        (VEGETABLE_LOTS, VEGETABLES, _vegetables),
        (LONGAN_LOTS, ORCHARD, _longan),
    ):
        if _lot(session, org, lots[0]) is None:
            created += chain(session, base_url)
    return created


def _rice(session: Db, base_url: str) -> int:
    htx, mill, retailer = (_org(session, c) for c in (HTX, MILL, RETAILER))
    draws = [
        {"season": s.code, "kg": round(SENT_SHARE * (s.harvested_kg or 0), 1)}
        for s in trace.seasons_of(session, htx.id)
        if s.year == 2026 and s.season_type.value == "he_thu" and batches.verified(session, s)
    ]
    paddy_lot, rice_lot, packed_lot = RICE_LOTS
    paddy = batches.register_harvest(
        session,
        htx,
        {"lot_code": paddy_lot, "draws": draws, "production_date": date(2026, 8, 2)},
        base_url,
    )
    _hand(session, htx, mill, paddy, base_url)
    rice = batches.transform(
        session,
        mill,
        {
            "step": "milling",
            "lot_code": rice_lot,
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
    packed = _step(
        session, mill, "packing", packed_lot, rice, 0.99, date(2026, 8, 14), base_url, GTIN
    )
    _hand(session, mill, retailer, packed, base_url)
    return 7  # paddy, milled rice and its three co-products, packaged rice, one hand-over


def _vegetables(session: Db, base_url: str) -> int:
    """1,200 kg of pak choi picked on 19 March 2026 (HD-01's second picking), prepared and
    packed the next morning: trimming keeps 85 % and gives 14 % trimmings (1 % lost),
    washing and draining keeps 98 %, packing 99 %."""
    htx, retailer = _org(session, VEGETABLES), _org(session, RETAILER)
    fresh_lot, trimmed_lot, washed_lot, packed_lot = VEGETABLE_LOTS
    fresh = batches.register_harvest(
        session,
        htx,
        {
            "lot_code": fresh_lot,
            "draws": [{"season": "HD-01-2026-C1", "kg": 1200}],
            "production_date": date(2026, 3, 19),
        },
        base_url,
    )
    day = date(2026, 3, 20)
    trimmed = batches.transform(
        session,
        htx,
        {
            "step": "trimming",
            "lot_code": trimmed_lot,
            "production_date": day,
            "quantity_kg": 1020,
            "inputs": [{"batch": fresh.id, "kg": fresh.quantity_kg}],
            "coproducts": [
                {"product": "vegetable_trimmings", "kg": 168, "lot_code": "PPR-HD26-01"}
            ],
        },
        base_url,
    )
    washed = _step(session, htx, "washing", washed_lot, trimmed, 0.98, day, base_url)
    packed = _step(session, htx, "packing", packed_lot, washed, 0.99, day, base_url, VEGETABLE_GTIN)
    _hand(session, htx, retailer, packed, base_url)
    return 6  # fresh, prepared and trimmings, washed, packed, one hand-over


def _longan(session: Db, base_url: str) -> int:
    """DS-03's last picking (6,000 kg on 11 August 2026) with DS-05's second (2,200 kg
    on 8 August), graded together the next day: 70 % first grade, 25 % second grade, 5 %
    rejects (cracked, split or too small); the first grade packed in 2 kg boxes."""
    htx, retailer = _org(session, ORCHARD), _org(session, RETAILER)
    authority = _org(session, AUTHORITY)
    priced = prices.in_force(session, LONGAN_PRICES)
    for product, vnd in LONGAN_PRICES.items():
        if product not in priced:
            prices.set_price(session, authority, product, vnd)
    fresh_lot, grade_lot, packed_lot = LONGAN_LOTS
    fresh = batches.register_harvest(
        session,
        htx,
        {
            "lot_code": fresh_lot,
            "draws": [
                {"season": code, "kg": kg}
                for code, kg in LONGAN_DRAWS
                if batches.verified(session, _season(session, htx, code))
            ],
            "production_date": date(2026, 8, 11),
        },
        base_url,
    )
    graded = batches.transform(
        session,
        htx,
        {
            "step": "grading",
            "lot_code": grade_lot,
            "production_date": date(2026, 8, 12),
            "quantity_kg": round(fresh.quantity_kg * 0.70, 1),
            "inputs": [{"batch": fresh.id, "kg": fresh.quantity_kg}],
            "coproducts": [
                {
                    "product": "longan_grade_2",
                    "kg": round(fresh.quantity_kg * 0.25, 1),
                    "lot_code": "NHAN2-DS26-01",
                }
            ],
        },
        base_url,
    )
    packed = _step(
        session,
        htx,
        "packing",
        packed_lot,
        graded,
        0.99,
        date(2026, 8, 12),
        base_url,
        LONGAN_GTIN,
    )
    _hand(session, htx, retailer, packed, base_url)
    return 5 + len(LONGAN_PRICES) - len(priced)  # fresh, two grades, packed, one hand-over


def _step(
    session: Db,
    org: Organisation,
    step: str,
    lot: str,
    source: Batch,
    kept: float,
    day: date,
    base_url: str,
    gtin: str | None = None,
) -> Batch:
    """A one-output step on the whole of `source`, keeping `kept` of its kg."""
    values: dict[str, Any] = {
        "step": step,
        "lot_code": lot,
        "production_date": day,
        "quantity_kg": round(source.quantity_kg * kept, 1),
        "inputs": [{"batch": source.id, "kg": source.quantity_kg}],
    }
    if gtin:
        values["gtin"] = gtin
    return batches.transform(session, org, values, base_url)


def _hand(
    session: Db, sender: Organisation, receiver: Organisation, batch: Batch, base_url: str
) -> None:
    handover = batches.ship(session, sender, batch.id, receiver.code, base_url)
    batches.answer(session, receiver, handover.id, True, base_url)


def _lot(session: Db, maker_code: str, lot: str) -> Batch | None:
    return session.scalar(
        select(Batch)
        .join(Organisation, Batch.maker_id == Organisation.id)
        .where(Organisation.code == maker_code, Batch.lot_code == lot)
    )


def _season(session: Db, htx: Organisation, code: str) -> Season:
    return trace.season_by_code(session, htx.id, code)


def _org(session: Db, code: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.code == code))
    assert org is not None, "load the demo accounts first"
    return org
