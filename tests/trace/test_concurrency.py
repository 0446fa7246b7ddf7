"""Mass balance under concurrent requests (DESIGN.md §4), on PostgreSQL.

Many threads, each with its own app context and session, draw at once on one approved
season or one parent batch. The rows they draw on are locked (SELECT … FOR UPDATE) before
anything is summed, so exactly as many draws as fit succeed, the others are refused with
the service's own refusal (not a database error), and the log stays gapless.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.accounts.models import Organisation
from registry.db import db
from registry.ledger import service as ledger
from registry.ledger.audit import verify_store
from registry.trace import batches
from registry.trace.batch_schemas import HarvestBatchIn, TransformIn
from registry.trace.models import Batch, BatchInput
from tests.trace.test_batches import BASE, grower, harvest, rice_coproducts  # noqa: F401
from tests.verify.conftest import farm, verifier  # noqa: F401

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="needs PostgreSQL (set TEST_DATABASE_URL): SQLite runs one writer at a time, "
    "so it cannot show that row locks keep concurrent draws within the mass balance",
)

DRAWS, DRAW_KG = 50, 150  # 44 x 150 kg = 6,600 kg, the season's verified harvest
MILLINGS, MILL_IN_KG, MILL_OUT_KG, PARENT_KG = 20, 200, 130, 3000  # 15 fit, 5 do not


@dataclass
class Outcomes:
    """What the threads got: made batch ids, refusals (their field errors), anything else."""

    made: list[int] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    crashed: list[BaseException] = field(default_factory=list)


def at_once(app: Flask, calls: list[Callable[[Session], Batch]]) -> Outcomes:
    """Run each call in its own thread, app context, session and transaction, all
    released together by a barrier."""
    out = Outcomes()
    start = threading.Barrier(len(calls))

    def worker(call: Callable[[Session], Batch]) -> None:
        try:
            with app.app_context():
                start.wait()
                with Session(db.engine) as session:
                    try:
                        with session.begin():
                            out.made.append(call(session).id)
                    except batches.BatchRefused as refusal:
                        out.refused.append(refusal.errors)
        except BaseException as exc:  # collected and reported by the test thread
            out.crashed.append(exc)

    threads = [threading.Thread(target=worker, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def draw_harvest(org_id: int, season_code: str, n: int) -> Callable[[Session], Batch]:
    def call(session: Session) -> Batch:
        org = session.get(Organisation, org_id)
        assert org is not None
        values = HarvestBatchIn().load(
            {"lot_code": f"LUA-{n}", "draws": [{"season": season_code, "kg": DRAW_KG}]}
        )
        return batches.register_harvest(session, org, values, BASE)

    return call


def mill_from(org_id: int, parent_id: int, n: int) -> Callable[[Session], Batch]:
    def call(session: Session) -> Batch:
        org = session.get(Organisation, org_id)
        assert org is not None
        values = TransformIn().load(
            {
                "step": "milling",
                "lot_code": f"GAO-{n}",
                "quantity_kg": MILL_OUT_KG,
                "inputs": [{"batch": parent_id, "kg": MILL_IN_KG}],
                "coproducts": rice_coproducts(MILL_IN_KG, MILL_OUT_KG),
            }
        )
        return batches.transform(session, org, values, BASE)

    return call


def assert_log_gapless(before: int, made: list[int]) -> None:
    """One new entry per batch made, at consecutive indices after `before`, and the
    whole stored tree re-verifies."""
    indices = db.session.scalars(select(Batch.log_index).where(Batch.id.in_(made))).all()
    assert sorted(indices) == list(range(before, before + len(made)))
    assert ledger.size(db.session) == before + len(made)
    report = verify_store(db.session, "unused", [])
    assert report.ok, report.problems
    assert report.entries == before + len(made)


def test_concurrent_harvest_draws_take_exactly_the_verified_harvest(app: Flask, grower) -> None:
    org, season = grower
    assert season.harvested_kg == 6600
    before = ledger.size(db.session)
    calls = [draw_harvest(org.id, season.code, n) for n in range(DRAWS)]
    out = at_once(app, calls)
    assert not out.crashed, out.crashed
    fit = 6600 // DRAW_KG
    assert (len(out.made), len(out.refused)) == (fit, DRAWS - fit)
    assert all(set(errors) == {"draws.0.kg"} for errors in out.refused)
    db.session.rollback()
    assert batches.season_drawn_g(db.session, season.id) == season.harvested_g
    drawn = db.session.scalar(select(func.sum(Batch.quantity_g)).where(Batch.id.in_(out.made)))
    assert drawn == season.harvested_g
    assert_log_gapless(before, out.made)


def test_concurrent_millings_never_take_more_than_the_parent_holds(app: Flask, grower) -> None:
    org, season = grower
    paddy = harvest(org, season, PARENT_KG)
    before = ledger.size(db.session)
    calls = [mill_from(org.id, paddy.id, n) for n in range(MILLINGS)]
    out = at_once(app, calls)
    assert not out.crashed, out.crashed
    fit = PARENT_KG // MILL_IN_KG
    assert (len(out.made), len(out.refused)) == (fit, MILLINGS - fit)
    assert all(set(errors) == {"inputs.0.kg"} for errors in out.refused)
    db.session.rollback()
    taken = db.session.scalar(
        select(func.sum(BatchInput.grams)).where(BatchInput.parent_id == paddy.id)
    )
    parent = db.session.get(Batch, paddy.id)
    assert parent is not None
    assert (taken, parent.remaining_g) == (PARENT_KG * 1000, 0)
    # each milling made milled rice, husk, bran and broken rice: four batches, four entries
    made = db.session.scalars(select(Batch.id).where(Batch.id != paddy.id)).all()
    assert len(made) == 4 * fit and set(out.made) <= set(made)
    assert_log_gapless(before, list(made))
