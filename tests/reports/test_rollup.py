"""The cells add up to what the seasons say, whatever the registry holds; a rebuild moves
only the cells that changed."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from registry.db import db, utcnow
from registry.labels.models import Label, LabelStatus
from registry.public.models import ScanDay
from registry.reports import changes, figures, rollup
from registry.reports.figures import Area, Emissions, Labels
from registry.reports.models import EmissionCell, RollupState
from registry.reports.periods import Period
from registry.trace.models import Certification, Scheme
from tests.reports.conftest import PLACES, Builder, Planted, wipe

NOW = timedelta(0)

kg = st.floats(min_value=1, max_value=50_000, allow_nan=False).map(lambda v: round(v, 2))
planted = st.builds(
    Planted,
    place=st.integers(0, len(PLACES) - 1),
    htx=st.integers(0, 2),
    harvest=st.dates(date(2024, 1, 1), date(2027, 12, 31)),
    area_ha=st.floats(min_value=0.05, max_value=20).map(lambda v: round(v, 3)),
    total_kg_co2e=kg,
    yield_kg=kg,
    baseline=st.none() | st.tuples(st.floats(0.05, 20).map(lambda v: round(v, 3)), kg, kg),
    awd=st.booleans(),
    verified=st.booleans(),
    vietgap=st.booleans(),
    organic=st.booleans(),
    superseded=st.booleans(),
    crop=st.sampled_from(["rice", "vegetable", "longan"]),
    removals_kg_co2=st.sampled_from([0.0, 1234.5]),
)


def expected(seasons: list[Planted], period: Period, place: int | None = None) -> Emissions:
    """The figures worked out from the seasons themselves, in Python: each crop's sums,
    then the crops together (figures.mixed, whose arithmetic test_crops.py works by hand)."""
    first, last = period.months
    inside = [
        s
        for s in seasons
        if s.harvest.year == period.year
        and first <= s.harvest.month <= last
        and (place is None or s.place == place)
    ]
    crops = sorted({s.crop for s in inside}, key=figures.crop_order)
    return figures.mixed(of_crop([s for s in inside if s.crop == crop], crop) for crop in crops)


def of_crop(inside: list[Planted], crop: str) -> Emissions:
    compared = [s for s in inside if s.baseline]
    return Emissions(
        crop=crop,
        removals_kg_co2=sum(s.removals_kg_co2 for s in inside),
        seasons=len(inside),
        area_ha=sum(s.area_ha for s in inside),
        total_kg_co2e=sum(s.total_kg_co2e for s in inside),
        yield_kg=sum(s.yield_kg for s in inside),
        compared_seasons=len(compared),
        compared_area_ha=sum(s.area_ha for s in compared),
        compared_kg_co2e=sum(s.total_kg_co2e for s in compared),
        compared_yield_kg=sum(s.yield_kg for s in compared),
        baseline_area_ha=sum(s.baseline[0] for s in compared if s.baseline),
        baseline_kg_co2e=sum(s.baseline[1] for s in compared if s.baseline),
        baseline_yield_kg=sum(s.baseline[2] for s in compared if s.baseline),
        verified_seasons=sum(s.verified for s in inside),
        verified_area_ha=sum(s.area_ha for s in inside if s.verified),
        awd_area_ha=sum(s.area_ha for s in inside if s.awd),
        vietgap_area_ha=sum(s.area_ha for s in inside if s.vietgap),
        organic_area_ha=sum(s.area_ha for s in inside if s.organic),
        certified_area_ha=sum(s.area_ha for s in inside if s.vietgap or s.organic),
    )


def assert_same(found: Emissions, wanted: Emissions) -> None:
    for name, value in found.as_dict().items():
        want = wanted.as_dict()[name]
        if want is None or value is None or isinstance(want, str):
            assert value == want, name
        else:  # cells keep three decimals: a few thousandths per cell at most
            assert math.isclose(value, want, rel_tol=1e-6, abs_tol=0.01), (name, value, want)


def add(parts: list[figures.Part]) -> Emissions:
    """Parts of places added up; the crops mixed as figures of the whole are."""
    by_crop: dict[str, list[Emissions]] = {}
    for part in parts:
        for crop in part.crops:
            by_crop.setdefault(crop.crop or "", []).append(crop)
    return figures.mixed(
        Emissions(**{n: sum(getattr(p, n) for p in same) for n in figures.EMISSION_SUMS}, crop=crop)
        for crop, same in sorted(by_crop.items(), key=lambda item: figures.crop_order(item[0]))
    )


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seasons=st.lists(planted, max_size=25),
    year=st.integers(2024, 2027),
    half=st.sampled_from([None, 1, 2]),
)
def test_totals_equal_the_seasons_and_the_sum_of_their_parts(
    ctx: None, seasons: list[Planted], year: int, half: int | None
) -> None:
    wipe(db.session)
    builder = Builder(db.session)
    for s in seasons:
        builder.plant(s)
    db.session.commit()
    rollup.refresh(db.session, NOW)
    period = Period(year, half)

    total = figures.emissions(db.session, Area(), period)
    assert_same(total, expected(seasons, period))
    communes = figures.emissions_by(db.session, Area(), period, "commune")
    assert_same(add(communes), total)
    htx = figures.emissions_by(db.session, Area(), period, "organisation")
    assert_same(add(htx), total)
    by_crop = figures.emissions_by_crop(db.session, Area(), period)
    assert [p.key for p in by_crop] == sorted({p.key for p in by_crop}, key=figures.crop_order)
    assert_same(add(by_crop), total)
    for place, (province, commune) in enumerate(PLACES):
        found = figures.emissions(db.session, Area(province, commune), period)
        assert_same(found, expected(seasons, period, place))
    by_year = figures.emissions_by_year(db.session, Area())
    assert_same(by_year.get(year, Emissions()), expected(seasons, Period(year)))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    before=st.lists(planted, max_size=12),
    after=st.lists(planted, min_size=1, max_size=12),
    year=st.integers(2024, 2027),
)
def test_refreshes_after_changes_equal_a_full_rebuild(
    ctx: None, before: list[Planted], after: list[Planted], year: int
) -> None:
    """Cells built, then more seasons (some with certificates or approvals), a refresh:
    the figures are those of all the seasons, as a full rebuild gives them."""
    wipe(db.session)
    builder = Builder(db.session)
    for s in before:
        builder.plant(s)
    db.session.commit()
    rollup.refresh(db.session, NOW)
    db.session.commit()
    for s in after:
        builder.plant(s)
    db.session.commit()
    rollup.refresh(db.session, NOW)
    db.session.commit()
    period = Period(year)
    incremental = figures.emissions(db.session, Area(), period)
    assert_same(incremental, expected(before + after, period))
    rollup.rebuild_all(db.session)
    assert_same(figures.emissions(db.session, Area(), period), incremental)


def test_a_rebuild_moves_only_what_changed(ctx: None) -> None:
    builder = Builder(db.session)
    first = Planted(0, 0, date(2026, 3, 10), 1.0, 3000, 6000, (1.0, 9000, 5800))
    builder.plant(first)
    builder.plant(Planted(2, 1, date(2026, 4, 2), 2.0, 5000, 13000, None))
    db.session.commit()
    state = rollup.refresh(db.session, NOW)
    db.session.commit()
    assert state.revision == 1
    cells = {c.commune: (c.revision, c.seasons) for c in db.session.scalars(select(EmissionCell))}
    assert cells == {"phường Đồ Sơn": (1, 1), "xã Thới Lai": (1, 1)}

    builder.plant(Planted(0, 0, date(2026, 3, 20), 1.5, 4000, 9000, None))
    db.session.commit()
    assert rollup.refresh(db.session, NOW).revision == 2
    cells = {c.commune: (c.revision, c.seasons) for c in db.session.scalars(select(EmissionCell))}
    assert cells == {"phường Đồ Sơn": (2, 2), "xã Thới Lai": (1, 1)}


def test_a_cell_whose_seasons_went_is_emptied_not_deleted(ctx: None) -> None:
    builder = Builder(db.session)
    season = builder.plant(Planted(1, 0, date(2026, 9, 1), 1.0, 3000, 6000, None))
    db.session.commit()
    rollup.refresh(db.session, NOW)
    season.year = 2020  # now a baseline season, which the figures leave out
    db.session.commit()
    assert rollup.rebuild_all(db.session).revision == 2
    (cell,) = db.session.scalars(select(EmissionCell))
    assert (cell.seasons, cell.area_ha, cell.revision, cell.built) == (0, 0, 2, 1)
    assert figures.emissions(db.session, Area(), Period(2026)) == Emissions()


def test_pages_refresh_at_most_every_max_age_reports_always(ctx: None) -> None:
    builder = Builder(db.session)
    builder.plant(Planted(0, 0, date(2026, 3, 10), 1.0, 3000, 6000, None))
    db.session.commit()
    assert rollup.refresh(db.session, timedelta(minutes=5)).revision == 1  # none yet
    builder.plant(Planted(0, 1, date(2026, 3, 11), 1.0, 3000, 6000, None))
    db.session.commit()
    assert rollup.refresh(db.session, timedelta(minutes=5)).revision == 1  # too recent
    assert figures.emissions(db.session, Area(), Period(2026)).seasons == 1
    assert rollup.refresh(db.session, NOW).revision == 2
    assert figures.emissions(db.session, Area(), Period(2026)).seasons == 2
    cells = {c.organisation_id: c.revision for c in db.session.scalars(select(EmissionCell))}
    rollup.refresh(db.session, NOW)  # nothing changed since: no cell moves
    assert {
        c.organisation_id: c.revision for c in db.session.scalars(select(EmissionCell))
    } == cells


def test_a_refresh_recomputes_only_the_organisations_that_changed(ctx: None) -> None:
    builder = Builder(db.session)
    doson = builder.plant(Planted(0, 0, date(2026, 3, 10), 1.0, 3000, 6000, None))
    builder.plant(Planted(2, 1, date(2026, 4, 2), 2.0, 5000, 13000, None))
    db.session.commit()
    rollup.refresh(db.session, NOW)
    db.session.commit()
    db.session.add(
        Certification(
            field_id=doson.field_id,
            scheme=Scheme.ORGANIC,
            number="HC-1",
            issuer="Trung tâm",
            valid_from=date(2026, 1, 1),
            valid_until=date(2027, 1, 1),
        )
    )
    db.session.commit()
    found = changes.changed(db.session, db.session.get(RollupState, 1), changes.marks(db.session))
    assert found.emissions == {doson.field.organisation_id}
    assert not found.labels and not found.fields
    rollup.refresh(db.session, NOW)
    assert figures.emissions(db.session, Area(*PLACES[0]), Period(2026)).organic_area_ha == 1.0
    revisions = {c.commune: c.revision for c in db.session.scalars(select(EmissionCell))}
    assert revisions == {"phường Đồ Sơn": 2, "xã Thới Lai": 1}


def test_label_status_changes_reach_the_cells(ctx: None) -> None:
    builder = Builder(db.session)
    label = builder.label(0, 0, datetime(2026, 5, 20, tzinfo=UTC))
    db.session.commit()
    rollup.refresh(db.session, NOW)
    db.session.commit()
    label.status, label.status_changed_at = LabelStatus.REVOKED, utcnow()
    db.session.commit()
    rollup.refresh(db.session, NOW)
    assert figures.labels(db.session, Area(), Period(2026)) == Labels(1, 0, 0, 1, 0, 0)


@pytest.mark.parametrize(("hour", "half"), [(16, 1), (17, 2)])
def test_labels_count_in_vietnam_s_month(ctx: None, hour: int, half: int) -> None:
    """00:00 on 1 July in Vietnam is 17:00 UTC on 30 June: such a label is July's."""
    builder = Builder(db.session)
    builder.label(0, 0, datetime(2026, 6, 30, hour, 30, tzinfo=UTC), units=3)
    builder.label(2, 1, datetime(2025, 3, 1, tzinfo=UTC), LabelStatus.REVOKED)
    db.session.commit()
    rollup.refresh(db.session, NOW)
    assert figures.labels(db.session, Area(), Period(2026, half)) == Labels(1, 1, 0, 0, 3, 0)
    assert figures.labels(db.session, Area(), Period(2026, 3 - half)) == Labels()
    assert figures.labels(db.session, Area(*PLACES[2]), Period(2025)) == Labels(1, 0, 0, 1, 0)
    assert figures.labels(db.session, Area(*PLACES[0]), Period(2025)) == Labels()


def test_scans_count_in_the_month_they_happened(ctx: None) -> None:
    builder = Builder(db.session)
    label = builder.label(0, 0, datetime(2026, 5, 20, tzinfo=UTC), units=1)
    unit = db.session.scalars(select(Label).where(Label.parent_id == label.id)).one()
    db.session.add_all(
        [
            ScanDay(label_id=label.id, day=date(2026, 5, 21), locale="vi-VN", count=3),
            ScanDay(label_id=unit.id, day=date(2026, 5, 22), locale="en", count=2),
            ScanDay(label_id=unit.id, day=date(2026, 7, 2), locale="vi", count=4),
        ]
    )
    db.session.commit()
    rollup.refresh(db.session, NOW)
    assert figures.labels(db.session, Area(), Period(2026, 1)) == Labels(1, 1, 0, 0, 1, 5)
    assert figures.labels(db.session, Area(), Period(2026, 2)) == Labels(scans=4)
    assert figures.labels(db.session, Area(*PLACES[2]), Period(2026)) == Labels()
