"""From the diary to results: inputs, provenance, baseline, storage and aggregates."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, update

from registry.accounts.models import Organisation, User
from registry.db import db
from registry.public import records
from registry.trace import service
from registry.trace.models import Field, Season
from registry.trace.schemas import DiaryEntryIn, SeasonIn
from registry.verify import bulk, results
from registry.verify.calc_schema import calc_from_json, load_input, quick_load
from registry.verify.inputs import derive
from registry.verify.methodology import ORGANIC_KINDS, PRESEASONS, WATER_REGIMES
from registry.verify.models import EmissionResult, MrvReport, ReportSeason, ReportStatus
from tests.reports.conftest import Builder, Planted
from tests.trace.conftest import field_values
from tests.verify.conftest import AWD_DIARY, BASELINE_DIARY, Farm, keep


def test_inputs_come_from_the_diary_with_their_sources(farm: Farm) -> None:
    _, _, base, awd = farm
    own = derive(awd)
    assert own.ok, own.problems
    assert own.inputs["water_regime"] == "multiple_drainage"
    assert own.inputs["cultivation_days"] == 94 and own.inputs["yield_kg"] == 6600
    assert own.inputs["urea_kg"] == 165 and own.inputs["synthetic_n_kg"] == pytest.approx(75.9)
    assert own.inputs["organic"] == [] and own.inputs["straw_burned_t"] == 0
    assert len(own.sources["water_regime"]) == 3
    baseline = derive(base)
    assert baseline.inputs["water_regime"] == "continuous"
    assert baseline.inputs["organic"] == [{"kind": "straw_short", "t_ha": 3.0}]
    assert baseline.inputs["straw_burned_t"] == 5.6


def test_an_incomplete_diary_gives_what_to_fix_not_a_number(farm: Farm) -> None:
    org, user, _, _ = farm
    fresh = service.open_season(
        db.session,
        org,
        SeasonIn().load(
            {"field": "DS-01", "season_type": "he_thu", "year": 2026, "sowing_date": "2026-04-15"}
        ),
    )
    service.record_entry(
        db.session,
        org,
        user,
        DiaryEntryIn().load(
            {"season": fresh.code, "kind": "note", "date": "2026-04-16", "data": {"text": "gieo"}}
        ),
    )
    outcome = results.compute(db.session, fresh)
    assert outcome.result is None and len(outcome.derivation.problems) == 2  # harvest, water


def test_the_result_against_the_2020_baseline_shows_a_reduction(farm: Farm) -> None:
    _, _, base, awd = farm
    outcome = results.compute(db.session, awd)
    assert outcome.baseline is not None and outcome.baseline.id == base.id
    stored = outcome.result
    assert stored is not None and stored.reduction_pct is not None and stored.reduction_pct > 30
    assert stored.result == calc_from_json(stored.inputs, version=stored.version)  # bit for bit
    assert stored.inputs["baseline"]["water_regime"] == "continuous"


def test_a_new_result_is_kept_only_when_the_inputs_change(farm: Farm) -> None:
    org, user, _, awd = farm
    first = results.compute(db.session, awd).result
    again = results.compute(db.session, awd).result
    assert first is not None and again is not None and first.id == again.id
    service.record_entry(
        db.session,
        org,
        user,
        DiaryEntryIn().load(
            {
                "season": awd.code,
                "kind": "fertiliser",
                "date": "2026-01-10",
                "data": {"product": "NPK 20-20-15", "n_pct": 20, "kg": 100},
            }
        ),
    )
    changed = results.compute(db.session, awd).result
    assert changed is not None and changed.id != first.id
    assert changed.total_kg_co2e > first.total_kg_co2e
    assert db.session.scalar(select(func.count()).select_from(EmissionResult)) == 2
    db.session.commit()
    (row,) = results.aggregate(db.session, "province", verified_only=None)  # the newest only
    assert row.seasons == 1 and row.total_kg_co2e == pytest.approx(changed.total_kg_co2e)


def test_aggregates_equal_the_sum_of_their_seasons(farm: Farm) -> None:
    _, _, base, awd = farm
    results.compute(db.session, base)
    season = results.compute(db.session, awd).result
    db.session.commit()
    assert season is not None
    for by in ("organisation", "commune", "province"):
        (row,) = results.aggregate(db.session, by, verified_only=None)
        assert row.seasons == 1 and row.total_kg_co2e == pytest.approx(season.total_kg_co2e)
        assert row.reduction_pct == pytest.approx(season.reduction_pct)
    assert results.aggregate(db.session, "province", year=2025, verified_only=None) == []


def test_aggregates_count_verified_seasons_unless_asked_otherwise(ctx: None) -> None:
    """Verified: the newest result is in an approved report (not a revoked one)."""
    builder = Builder(db.session)
    when, base = date(2026, 3, 10), (1.0, 4000.0, 6000.0)
    builder.plant(Planted(0, 0, when, 1.0, 3000, 6000, base, verified=True))  # 25 % below
    builder.plant(Planted(0, 0, when, 1.0, 5000, 6000, base))  # 25 % above: not verified
    revoked = builder.plant(Planted(0, 0, when, 1.0, 2000, 6000, base, verified=True))
    its_report = select(ReportSeason.report_id).where(ReportSeason.season_id == revoked.id)
    db.session.execute(
        update(MrvReport).where(MrvReport.id.in_(its_report)).values(status=ReportStatus.REVOKED)
    )
    db.session.commit()
    (shown,) = results.aggregate(db.session, "organisation")
    (pending,) = results.aggregate(db.session, "organisation", verified_only=False)
    (every,) = results.aggregate(db.session, "organisation", verified_only=None)
    assert (shown.seasons, pending.seasons, every.seasons) == (1, 2, 3)
    assert shown.reduction_pct == pytest.approx(25.0)
    assert pending.reduction_pct == pytest.approx(12.5)  # (5000 + 2000) against 2 × 4000
    assert every.reduction_pct == pytest.approx(100 / 6)  # 10000 against 3 × 4000


def test_communes_of_one_name_in_two_provinces_stay_apart(ctx: None) -> None:
    builder = Builder(db.session)
    builder.plant(Planted(0, 0, date(2026, 3, 10), 1, 3000, 6000, (1, 4000, 6000), verified=True))
    builder.plant(Planted(2, 0, date(2026, 4, 1), 1, 3000, 6000, (1, 3000, 6000), verified=True))
    db.session.execute(update(Field).values(commune="xã Tân Phú"))
    db.session.commit()
    found = results.aggregate(db.session, "commune")
    assert [(a.key, a.province, a.seasons) for a in found] == [
        ("xã Tân Phú", "Cần Thơ", 1),
        ("xã Tân Phú", "Hải Phòng", 1),
    ]
    here = records.commune_reduction(db.session, "Hải Phòng", "xã Tân Phú")
    assert here is not None and here.reduction_pct == pytest.approx(25.0)


def test_computing_many_seasons_at_once_gives_the_same_results(farm: Farm) -> None:
    _, _, base, awd = farm
    assert results.compute_many(db.session, [base.id, awd.id]) == 2
    db.session.commit()
    assert results.compute_many(db.session, [base.id, awd.id]) == 0  # nothing changed
    one = results.latest_result(db.session, awd.id)
    assert one is not None and results.compute(db.session, awd).result is one
    assert one.reduction_pct is not None and one.reduction_pct > 30


# ------------------------------------------------------------ compute_many == compute
Diary = list[tuple[Any, ...]]  # (kind, date, data) or (kind, date, data, index corrected)
HT_2026: Diary = [
    ("amendment", "2026-02-20", {"material": "straw", "t_ha": 2.5}),  # > 30 days: straw_long
    ("amendment", "2026-04-10", {"material": "compost", "t_ha": 1.5}),
    ("water", "2026-04-12", {"event": "flooding"}),
    (
        "fertiliser",
        "2026-04-14",
        {"product": "Hữu cơ vi sinh", "n_pct": 2.5, "kg": 800, "organic": True},
    ),
    ("fertiliser", "2026-04-20", {"product": "NPK 20-20-15", "n_pct": 20, "kg": 120}),
    ("fertiliser", "2026-05-02", {"product": "Urê", "urea": True, "kg": 90}),
    ("water", "2026-05-10", {"event": "drainage", "end_date": "2026-05-16"}),
    ("water", "2026-05-10", {"event": "drainage", "end_date": "2026-05-17"}, 6),  # corrected
    ("pesticide", "2026-06-01", {"product": "Beam 75WP", "amount": 0.3, "unit": "kg"}),
    ("harvest", "2026-07-16", {"kg": 58000}),
    ("harvest", "2026-07-16", {"kg": 5800}, 9),  # a typing error, corrected
    ("straw", "2026-07-18", {"practice": "burned", "tonnes": 1.2}),
]
COMPLETE_2020: Diary = [
    ("water", "2020-07-28", {"event": "flooding"}),
    ("fertiliser", "2020-08-10", {"product": "Urê", "urea": True, "kg": 200}),
    ("harvest", "2020-11-05", {"kg": 5100}),
]
VARIED: dict[str, list[tuple[str, int, str, Diary]]] = {
    # two 2020 seasons of other types than Hè Thu: the first by id is the baseline
    "DS-02": [
        ("thu_dong", 2020, "2020-08-01", COMPLETE_2020),
        ("dong_xuan", 2020, "2019-12-05", BASELINE_DIARY),
        ("he_thu", 2026, "2026-04-15", HT_2026),
    ],
    "DS-03": [("dong_xuan", 2026, "2025-12-08", AWD_DIARY)],  # no 2020 season
    "DS-04": [
        ("dong_xuan", 2020, "2019-12-05", BASELINE_DIARY[:2]),  # a baseline without harvest
        ("dong_xuan", 2026, "2025-12-08", AWD_DIARY),
        ("he_thu", 2026, "2026-04-15", HT_2026[:5]),  # still open
        (
            "thu_dong",
            2026,
            "2026-08-12",
            [  # flooded again before the drainage started
                ("water", "2026-08-10", {"event": "flooding"}),
                ("water", "2026-09-01", {"event": "drainage", "end_date": "2026-08-25"}),
                ("harvest", "2026-11-10", {"kg": 5000}),
            ],
        ),
    ],
    "DS-05": [
        (
            "vu_mua",
            2026,
            "2026-07-05",
            [  # 20 t/ha: a typing error, no number
                ("water", "2026-07-01", {"event": "flooding"}),
                ("harvest", "2026-10-15", {"kg": 20000}),
            ],
        )
    ],
}


def keep_varied(org: Organisation, user: User) -> list[Season]:
    seasons = []
    for code, planned in VARIED.items():
        service.register_field(db.session, org, field_values(code=code))
        for season_type, year, sowing, diary in planned:
            season = service.open_season(
                db.session,
                org,
                SeasonIn().load(
                    {"field": code, "season_type": season_type, "year": year, "sowing_date": sowing}
                ),
            )
            ids: list[int] = []
            for kind, on, data, *corrects in diary:
                values = {"season": season.code, "kind": kind, "date": on, "data": data}
                if corrects:
                    values |= {"supersedes": ids[corrects[0]], "reason": "Nhập nhầm"}
                entry = service.record_entry(db.session, org, user, DiaryEntryIn().load(values))
                ids.append(entry.id)
            seasons.append(season)
    db.session.commit()
    return seasons


def stored_rows() -> dict[int, tuple[Any, ...]]:
    """Every stored result as the database holds it, without its id and time."""
    table = EmissionResult.__table__
    columns = [c for c in table.columns if c.name not in ("id", "computed_at")]
    rows = db.session.execute(select(*columns).order_by(table.c.id))
    return {row.season_id: tuple(row) for row in rows}


def test_compute_many_stores_the_rows_compute_stores(farm: Farm) -> None:
    org, user, base, awd = farm
    seasons = [base, awd, *keep_varied(org, user)]
    for season in seasons:
        results.compute(db.session, season)
    db.session.commit()
    by_compute = stored_rows()
    db.session.execute(delete(EmissionResult))
    db.session.commit()

    assert len(by_compute) == 7
    assert results.compute_many(db.session, [s.id for s in reversed(seasons)]) == 7
    db.session.commit()
    assert stored_rows() == by_compute  # bit for bit, JSON documents and floats alike
    assert results.compute_many(db.session, [s.id for s in seasons]) == 0

    by_code = {s.code: results.latest_result(db.session, s.id) for s in seasons}
    assert {code for code, r in by_code.items() if r is None} == {
        "DS-04-2020-DX",  # no harvest recorded
        "DS-04-2026-HT",  # open
        "DS-04-2026-TD",  # drainage ends before it starts
        "DS-05-2026-VM",  # over 15 t/ha
    }
    ht = by_code["DS-02-2026-HT"]
    assert ht is not None and ht.yield_kg == 5800 and len(ht.sources["yield_kg"]) == 1
    assert ht.inputs["baseline"]["yield_kg"] == 5100  # Thu Đông 2020, the first by id
    assert ht.inputs["water_regime"] == "single_drainage"  # the corrected drainage counts once
    assert {o["kind"] for o in ht.inputs["organic"]} == {"straw_long", "compost"}
    no_baseline = (by_code["DS-03-2026-DX"], by_code["DS-04-2026-DX"])
    assert all(r is not None and "baseline" not in r.inputs for r in no_baseline)


def test_compute_all_stores_and_explains_what_compute_does(farm: Farm) -> None:
    org, user, base, awd = farm
    seasons = [base, awd, *keep_varied(org, user)]
    ids = [s.id for s in seasons]

    def explained(computed: list[results.Computation]) -> list[tuple[Any, ...]]:
        return [
            (
                c.season.id,
                c.derivation.problems,
                c.baseline_problems,
                c.baseline.id if c.baseline else None,
                c.result is None,
            )
            for c in computed
        ]

    one_by_one = explained([results.compute(db.session, s) for s in seasons])
    db.session.commit()
    by_compute = stored_rows()
    db.session.execute(delete(EmissionResult))
    db.session.commit()
    db.session.expunge_all()  # nothing loaded: compute_all must load the diaries itself

    again = sorted(
        db.session.scalars(select(Season).where(Season.id.in_(ids))), key=lambda s: ids.index(s.id)
    )
    together = results.compute_all(db.session, again)
    assert explained(together) == one_by_one
    db.session.commit()
    assert stored_rows() == by_compute
    unchanged = results.compute_all(db.session, again)  # the newest results, nothing new
    assert not db.session.new
    assert [c.result and c.result.id for c in unchanged] == [
        c.result and c.result.id for c in together
    ]


def test_compute_many_explains_what_compute_explains(farm: Farm) -> None:
    org, user, _, _ = farm
    seasons = keep_varied(org, user)
    batch = bulk.read(db.session, [s.id for s in seasons], results.BASELINE_YEAR)
    assert [s.id for s in batch.seasons] == sorted(s.id for s in seasons)
    by_id = {s.id: s for s in seasons}
    for row in batch.seasons:
        own, alone = batch.derivation(row), derive(by_id[row.id])
        assert (own.inputs, own.sources) == (alone.inputs, alone.sources)
        assert [str(p) for p in own.problems] == [str(p) for p in alone.problems]
    problems = [str(p) for row in batch.seasons for p in batch.derivation(row).problems]
    assert "Sản lượng vượt 15 tấn/ha: hãy kiểm tra số kg và diện tích thửa." in problems  # lazy


def test_compute_many_keeps_a_new_result_only_for_a_changed_diary(farm: Farm) -> None:
    org, user, base, awd = farm
    assert results.compute_many(db.session, [base.id, awd.id, awd.id, 10**6]) == 2
    db.session.commit()
    keep(org, user, awd, [("fertiliser", "2026-01-10", {"product": "NPK", "n_pct": 20, "kg": 50})])
    assert results.compute_many(db.session, [base.id, awd.id]) == 1
    db.session.commit()
    newest = results.latest_result(db.session, awd.id)
    assert newest is not None and results.compute(db.session, awd).result is newest
    assert db.session.scalar(select(func.count()).select_from(EmissionResult)) == 3


# ------------------------------------------------------------ the schema without marshmallow
ODD_VALUES = st.sampled_from(
    ["1.5", True, None, math.nan, math.inf, -1, 0, 0.5, 90.0, 90.5, 10**400, 1e300, [], {}]
)
PLAIN = {
    "area_ha": st.floats(0.01, 50),
    "cultivation_days": st.integers(1, 365),
    "water_regime": st.sampled_from(WATER_REGIMES),
    "preseason": st.sampled_from(PRESEASONS),
    "yield_kg": st.floats(1, 1e6),
    "organic": st.lists(
        st.fixed_dictionaries({"kind": st.sampled_from(ORGANIC_KINDS), "t_ha": st.floats(0, 100)}),
        max_size=3,
    ),
    "synthetic_n_kg": st.floats(0, 1e4) | st.integers(0, 10**4),
    "straw_burned_t": st.floats(0, 100),
}
OPTIONAL = {
    "methodology": st.sampled_from(["ipcc2019-t1-rice", "other", ""]),
    "gwp": st.sampled_from(["AR5", "AR6", "AR4"]),
    "region": st.sampled_from(["global", "south_east_asia"]),
    "urea_kg": st.floats(0, 1e4),
}


@st.composite
def documents(draw: st.DrawFn, with_baseline: bool = True) -> dict[str, Any]:
    """§10 documents, mostly valid, some with one field dropped, added or odd."""
    document = draw(st.fixed_dictionaries(PLAIN, optional=OPTIONAL))
    if with_baseline and draw(st.booleans()):
        document["baseline"] = draw(documents(with_baseline=False))
    change = draw(st.sampled_from(["none", "none", "drop", "add", "odd"]))
    name = draw(st.sampled_from(sorted(document)))
    if change == "drop":
        del document[name]
    elif change == "add":
        document["extra"] = 1
    elif change == "odd":
        document[name] = draw(ODD_VALUES)
    return document


@given(documents())
def test_quick_load_gives_what_the_schema_loads_or_nothing(document: dict[str, Any]) -> None:
    quick = quick_load(document)
    if quick is not None:
        assert quick == load_input(document)


def test_quick_load_takes_the_documents_seasons_give(farm: Farm) -> None:
    awd = farm[3]
    document = results.compute(db.session, awd).result.inputs  # type: ignore[union-attr]
    assert document["baseline"]["water_regime"] == "continuous"
    assert quick_load(document) == load_input(document)
    assert quick_load({**document, "yield_kg": 0}) is None  # the schema explains instead


def test_a_season_keeps_the_methodology_its_results_were_made_with(farm: Farm) -> None:
    """A season first computed with the frozen ipcc2019-t1-rice stays on it when its diary
    changes, by compute and by compute_many; a season without results gets the default."""
    _org, _user, base, awd = farm
    new = results.compute(db.session, base).result
    assert new is not None and new.methodology == "ipcc2019-t1-crops"
    old = results.compute(db.session, awd).result
    assert old is not None
    db.session.flush()
    rice = {**old.inputs, "methodology": "ipcc2019-t1-rice"}
    db.session.execute(
        update(EmissionResult)
        .where(EmissionResult.id == old.id)
        .values(methodology="ipcc2019-t1-rice", inputs=rice, inputs_digest="made-before-crops")
    )
    db.session.commit()
    db.session.expire_all()
    again = results.compute(db.session, awd).result
    db.session.commit()
    assert again is not None and again.id != old.id and again.methodology == "ipcc2019-t1-rice"
    db.session.execute(delete(EmissionResult).where(EmissionResult.id == again.id))
    db.session.commit()
    assert results.compute_many(db.session, [awd.id, base.id]) == 1
    db.session.commit()
    newest = results.latest_result(db.session, awd.id)
    assert newest is not None and newest.methodology == "ipcc2019-t1-rice"


# ------------------------------------------------------------ baseline of the same crop
def _cycle(org: Organisation, user: User, code: str, crop: str, sowing: str, kg: float) -> Season:
    season = service.open_season(
        db.session,
        org,
        SeasonIn().load(
            {"field": code, "crop": crop, "year": int(sowing[:4]), "sowing_date": sowing}
        ),
    )
    on = date.fromisoformat(sowing)
    for kind, days, data in (
        ("fertiliser", 1, {"product": "Urê", "urea": True, "kg": kg / 100}),
        ("harvest", 40, {"kg": kg}),
    ):
        when = date.fromordinal(on.toordinal() + days)
        values = {"season": season.code, "kind": kind, "date": when, "data": data}
        service.record_entry(db.session, org, user, DiaryEntryIn().load(values))
    return season


def test_the_baseline_is_the_same_crops_2020_period_of_the_same_cycle(farm: Farm) -> None:
    """§10b: a baseline is the same crop on the same field in 2020; of several 2020 crop
    cycles, the one of the same number, as the season's page shows it
    (trace.service.baseline_of). Both ways of computing pick it."""
    org, user, *_ = farm
    service.register_field(db.session, org, field_values(code="VG-01"))
    first = _cycle(org, user, "VG-01", "vegetable", "2020-03-02", 9000)
    second = _cycle(org, user, "VG-01", "vegetable", "2020-09-01", 8000)
    _cycle(org, user, "VG-01", "maize", "2020-11-05", 5000)  # cycle 3, as the flowers below
    later = _cycle(org, user, "VG-01", "vegetable", "2026-03-02", 9500)
    again = _cycle(org, user, "VG-01", "vegetable", "2026-09-01", 8500)
    flower = _cycle(org, user, "VG-01", "flower", "2026-06-01", 7000)  # no 2020 flowers
    db.session.commit()
    picked = {s.code: results.baseline_of(db.session, s) for s in (later, again, flower)}
    assert picked == {later.code: first, again.code: second, flower.code: None}
    assert picked == {s.code: service.baseline_of(db.session, s) for s in (later, again, flower)}
    results.compute_many(db.session, [later.id, again.id, flower.id])
    for season, base in ((later, first), (again, second)):
        stored = results.latest_result(db.session, season.id)
        assert stored is not None and stored.baseline_yield_kg == base.harvested_kg
        assert results.compute(db.session, season).baseline is base
    stored = results.latest_result(db.session, flower.id)
    assert stored is not None and stored.baseline_total_kg_co2e is None
