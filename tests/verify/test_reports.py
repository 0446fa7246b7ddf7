"""MRV reports: drafted from results, frozen and logged on submission, queued."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from types import SimpleNamespace

import pytest
import rfc8785

from registry.db import db
from registry.errors import Conflict
from registry.ledger import service as ledger
from registry.trace import service
from registry.trace.schemas import SeasonIn
from registry.verify import reports
from registry.verify.models import ReportStatus
from tests.verify.conftest import Farm, keep

PERIOD = (date(2025, 12, 1), date(2026, 4, 30))


def test_a_submitted_report_is_frozen_digested_logged_and_queued(farm: Farm) -> None:
    org, user, _, awd = farm
    draft = reports.create_report(db.session, org, user, *PERIOD, [awd.code])
    assert draft.status is ReportStatus.DRAFT and reports.queue(db.session) == []
    submitted = reports.submit(db.session, org, draft.id)
    db.session.commit()
    assert submitted.status is ReportStatus.SUBMITTED
    assert submitted.digest == hashlib.sha256(rfc8785.dumps(submitted.content)).hexdigest()
    (season,) = submitted.content["seasons"]
    assert season["season"] == awd.code and season["inputs"]["water_regime"]
    assert len(season["diary"]) == 6
    logged = json.loads(ledger.entry(db.session, submitted.log_index))
    assert logged["type"] == "mrv.submitted" and logged["data"]["digest"] == submitted.digest
    assert [r.id for r in reports.queue(db.session)] == [submitted.id]
    with pytest.raises(Conflict):
        reports.submit(db.session, org, draft.id)


def test_a_season_is_in_one_active_report_only(farm: Farm) -> None:
    org, user, _, awd = farm
    first = reports.create_report(db.session, org, user, *PERIOD, [awd.code])
    reports.submit(db.session, org, first.id)
    db.session.commit()
    with pytest.raises(Conflict):
        reports.create_report(db.session, org, user, *PERIOD, [awd.code])


def test_reports_refuse_baselines_seasons_outside_the_period_and_empty_choices(farm: Farm) -> None:
    org, user, base, awd = farm
    cases = [
        (PERIOD, [base.code]),
        ((date(2026, 5, 1), date(2026, 9, 30)), [awd.code]),
        (PERIOD, []),
        ((PERIOD[1], PERIOD[0]), [awd.code]),
    ]
    for (start, end), codes in cases:
        with pytest.raises(reports.ReportNotReady) as caught:
            reports.create_report(db.session, org, user, start, end, codes)
        assert caught.value.errors
        db.session.rollback()


def test_signed_totals_add_area_and_harvest_in_whole_units() -> None:
    """Summed as floats these harvests read 5280.000000000001 kg in the statement a verifier
    signs; summed in grams and m², as the registry keeps them, they read 5280 kg."""
    yields, areas = (2966.753, 1447.902, 865.345), (0.1, 0.2, 0.3)
    assert sum(yields) != 5280 and sum(areas) != 0.6  # what floating point makes of them
    results = [
        SimpleNamespace(area_ha=a, yield_kg=y, total_kg_co2e=1.5)
        for a, y in zip(areas, yields, strict=True)
    ]
    report = SimpleNamespace(seasons=[SimpleNamespace(result=r) for r in results])
    found = reports.totals(report)  # type: ignore[arg-type]
    assert found == {"seasons": 3, "area_ha": 0.6, "yield_kg": 5280, "total_kg_co2e": 4.5}


def _orchard_year(farm: Farm, sowing: str) -> str:
    """A young longan block's growing year from `sowing`: planted, fed, nothing picked."""
    org, user, _, _ = farm
    values = {"field": "DS-01", "crop": "longan", "season_type": "growing_year"}
    season = service.open_season(
        db.session,
        org,
        SeasonIn().load(
            {**values, "year": sowing[:4], "sowing_date": sowing, "planting_year": 2024}
        ),
    )
    keep(org, user, season, [
        ("planting", sowing, {"trees": 200, "planting_year": 2024}),
        ("fertiliser", sowing, {"product": "NPK 16-16-8", "kg": 150, "n_pct": 16}),
    ])  # fmt: skip
    db.session.commit()
    return season.code


def test_a_growing_year_that_bore_nothing_is_reported_once_it_has_ended(farm: Farm) -> None:
    org, user, _, _ = farm
    ended = _orchard_year(farm, "2025-01-01")
    year = (date(2025, 1, 1), date(2025, 12, 31))
    draft = reports.create_report(db.session, org, user, *year, [ended])
    (season,) = draft.seasons
    assert season.result.result["removals_kg_co2"] > 0
    assert season.result.result["per_kg_product_g_co2e"] is None
    db.session.rollback()
    running = _orchard_year(farm, "2026-03-01")  # ends on 28 February 2027
    with pytest.raises(reports.ReportNotReady) as caught:
        reports.create_report(
            db.session, org, user, date(2026, 1, 1), date(2027, 12, 31), [running]
        )
    assert "Năm sinh trưởng" in str(caught.value.errors["seasons"][0])
