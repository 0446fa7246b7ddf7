"""Finding fields and seasons among hundreds (issue 21): search without case or accents,
filters, pages of 50, where each season stands, and which seasons lack the diary entries
their MRV result needs, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry import crops
from registry.accounts.models import Organisation, OrgKind, User
from registry.db import db
from registry.folding import fold
from registry.trace import finding, service
from registry.trace.finding import PER_PAGE, Progress
from registry.trace.labels import NEED_LABELS
from registry.trace.models import DiaryKind, Season
from registry.trace.schemas import DiaryEntryIn, SeasonIn
from registry.verify import results
from registry.verify.inputs import derive
from registry.verify.models import MrvReport, ReportSeason, ReportStatus
from tests.conftest import Factory
from tests.trace.conftest import field_values

Htx = tuple[Organisation, User]

FIELDS = [
    ("HD-01", "Ruộng Hà Đông", "phường Hà Đông", "VT-HN-0042"),
    ("DS-01", "Ruộng Đồng Cao", "phường Đồ Sơn", None),
    ("DS-02", "Bờ Tre 100%", "phường Đồ Sơn", None),
]


def register(org: Organisation, fields: list[tuple[str, str, str, str | None]] = FIELDS) -> None:
    for code, name, commune, planting in fields:
        values = field_values(code=code, name=name, commune=commune, planting_area_code=planting)
        service.register_field(db.session, org, values)


def open_season(org: Organisation, field: str, **values: Any) -> Season:
    loaded = SeasonIn().load({"field": field, "season_type": "dong_xuan", "year": 2026,
                              "sowing_date": "2025-12-08", **values})  # fmt: skip
    return service.open_season(db.session, org, loaded)


def keep(org: Organisation, user: User, season: Season, kind: str, on: str, **data: Any) -> None:
    entry = {"season": season.code, "kind": kind, "date": on, "data": data}
    service.record_entry(db.session, org, user, DiaryEntryIn().load(entry))


def codes(page: finding.Page[Any]) -> list[str]:
    return [row.code for row in page.items]


@pytest.fixture
def other(ctx: None, make: Factory) -> Organisation:
    """A second HTX whose fields and seasons no search of the first may find."""
    org = db.session.get(Organisation, make.org(kind=OrgKind.PRODUCER, code="HTX-KHAC").id)
    assert org is not None
    register(org, [("HD-09", "Ruộng Hà Đông khác", "phường Hà Đông", None)])
    open_season(org, "HD-09")
    db.session.commit()
    return org


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("ha dong", ["HD-01"]),  # no accents typed: "Hà Đông" is found
        ("HÀ ĐÔNG", ["HD-01"]),
        ("dong", ["DS-01", "HD-01"]),  # Đông and Đồng fold alike
        ("dong ha", ["HD-01"]),  # every word, in any order
        ("ds-02", ["DS-02"]),
        ("vt-hn-0042", ["HD-01"]),  # the planting-area code
        ("100%", ["DS-02"]),  # punctuation is left out, as in the names searched
        ("%", []),  # punctuation alone: no word to find (and no wildcard reaches LIKE)
        ("_", []),
        ("--", []),
        ("?!", []),
        (" . ", []),
        ("", ["DS-01", "DS-02", "HD-01"]),
        ("   ", ["DS-01", "DS-02", "HD-01"]),
    ],
)
def test_fields_are_found_without_case_or_accents(
    htx: Htx, other: Organisation, q: str, found: list[str]
) -> None:
    org, _ = htx
    register(org)
    db.session.commit()
    page = finding.find_fields(db.session, org.id, q=q)
    assert codes(page) == found
    assert (page.matched, page.total) == (len(found), 3)


def test_fields_by_commune_and_by_the_crops_grown_on_them(htx: Htx, other: Organisation) -> None:
    org, _ = htx
    register(org)
    open_season(org, "DS-02", crop="vegetable", season_type=None)
    open_season(org, "HD-01")
    db.session.commit()
    assert codes(finding.find_fields(db.session, org.id, commune="phường Đồ Sơn")) == [
        "DS-01",
        "DS-02",
    ]
    assert codes(finding.find_fields(db.session, org.id, crop="vegetable")) == ["DS-02"]
    assert codes(finding.find_fields(db.session, org.id, crop="rice", q="ha dong")) == ["HD-01"]
    assert codes(finding.find_fields(db.session, org.id, crop="maize")) == []
    assert finding.communes_of(db.session, org.id) == ["phường Hà Đông", "phường Đồ Sơn"]


def test_pages_of_fifty_and_their_boundaries(htx: Htx) -> None:
    org, _ = htx
    register(org, [(f"F-{i:03d}", f"Ruộng {i}", "phường Đồ Sơn", None) for i in range(51)])
    db.session.commit()
    first = finding.find_fields(db.session, org.id, page=1)
    assert len(first.items) == PER_PAGE and first.items[0].code == "F-000"
    assert (first.pages, first.has_previous, first.has_next, first.first) == (2, False, True, 1)
    second = finding.find_fields(db.session, org.id, page=2)
    assert codes(second) == ["F-050"] and second.first == 51
    assert second.has_previous and not second.has_next
    beyond = finding.find_fields(db.session, org.id, page=3)
    assert beyond.items == [] and (beyond.matched, beyond.total, beyond.first) == (51, 51, 0)
    everything = finding.find_fields(db.session, org.id, page=None)  # the API without a page
    assert len(everything.items) == 51 and not everything.has_next
    one = finding.find_fields(db.session, org.id, q="ruộng 50")
    assert codes(one) == ["F-050"] and (one.matched, one.total, one.pages) == (1, 51, 1)


def test_seasons_by_code_field_crop_and_year(htx: Htx, other: Organisation) -> None:
    org, _ = htx
    register(org)
    open_season(org, "HD-01")
    open_season(org, "HD-01", year=2020, sowing_date="2019-12-05")
    open_season(org, "DS-01", crop="vegetable", season_type=None, sowing_date="2026-02-01")
    db.session.commit()
    find = finding.find_seasons
    assert codes(find(db.session, org.id)) == ["DS-01-2026-C1", "HD-01-2026-DX", "HD-01-2020-DX"]
    assert codes(find(db.session, org.id, q="ha dong 2020")) == ["HD-01-2020-DX"]
    assert codes(find(db.session, org.id, q="hd-01-2026")) == ["HD-01-2026-DX"]
    assert codes(find(db.session, org.id, q="dong cao")) == ["DS-01-2026-C1"]
    assert codes(find(db.session, org.id, crop="vegetable")) == ["DS-01-2026-C1"]
    assert codes(find(db.session, org.id, year=2020)) == ["HD-01-2020-DX"]
    assert codes(find(db.session, org.id, crop="rice", year=2026)) == ["HD-01-2026-DX"]
    assert finding.years_of(db.session, org.id) == [2026, 2020]
    page = find(db.session, org.id, year=2019)
    assert (page.items, page.matched, page.total) == ([], 0, 3)
    nothing = find(db.session, org.id, q="--")  # punctuation alone: nothing to find
    assert (nothing.items, nothing.matched, nothing.total) == ([], 0, 3)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(min_size=1, max_size=12).filter(lambda q: q.strip() and not fold(q)))
def test_a_query_without_a_letter_or_digit_finds_nothing(htx: Htx, q: str) -> None:
    """Whatever punctuation, symbols or spaces a query holds without a letter or digit, it
    finds no field nor season (an empty one lists them all)."""
    org, _ = htx
    if not finding.find_fields(db.session, org.id).total:
        register(org)
        open_season(org, "HD-01")
        db.session.commit()
    assert finding.find_fields(db.session, org.id, q=q).matched == 0
    assert finding.find_seasons(db.session, org.id, q=q).matched == 0
    assert finding.find_fields(db.session, org.id, q=" " * len(q)).matched == 3


def test_each_season_stands_in_one_place_on_its_way_to_a_label(htx: Htx) -> None:
    """open → harvested → reported (waiting for a verifier) → verified (its newest result
    approved); a correction after approval makes a new result, no longer the approved one."""
    org, user = htx
    register(org)
    growing = open_season(org, "DS-01")
    harvested = open_season(org, "DS-02")
    reported = open_season(org, "HD-01")
    verified = open_season(org, "HD-01", season_type="he_thu", sowing_date="2026-05-02")
    for season in (harvested, reported, verified):
        keep(org, user, season, "water", "2026-05-02", event="flooding")
        keep(org, user, season, "harvest", "2026-08-20", kg=6000)
    db.session.flush()
    _report(org, user, reported, ReportStatus.SUBMITTED)
    _report(org, user, verified, ReportStatus.APPROVED)
    db.session.commit()
    expected = {
        Progress.OPEN: [growing.code],
        Progress.HARVESTED: [harvested.code],
        Progress.REPORTED: [reported.code],
        Progress.VERIFIED: [verified.code],
    }
    for progress, found in expected.items():
        assert codes(finding.find_seasons(db.session, org.id, status=progress)) == found
    listed = finding.find_seasons(db.session, org.id).items
    progress = finding.progress_of(db.session, listed)
    assert {s.code: progress[s.id] for s in listed} == {c[0]: p for p, c in expected.items()}
    keep(org, user, verified, "harvest", "2026-08-21", kg=6100)  # a second harvest entry
    results.compute(db.session, verified)  # the diary changed: a newer result
    db.session.commit()
    assert codes(finding.find_seasons(db.session, org.id, status="verified")) == []
    assert verified.code in codes(finding.find_seasons(db.session, org.id, status="harvested"))


def _report(org: Organisation, user: User, season: Season, status: ReportStatus) -> None:
    """A report holding the season's current result (as reports.create_report stores it)."""
    outcome = results.compute(db.session, season)
    assert outcome.result is not None
    db.session.flush()
    report = MrvReport(
        organisation_id=org.id,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        status=status,
        created_by_id=user.id,
    )
    report.seasons.append(ReportSeason(season=season, result=outcome.result))
    db.session.add(report)
    db.session.flush()


def test_seasons_missing_what_their_mrv_result_needs(htx: Htx) -> None:
    """Rice needs its water and its harvest, an annual crop its harvest, an orchard its
    planting year (the season's own, or a planting entry); the filter asks the database,
    the marker one query for the page, and both agree with the derivation."""
    org, user = htx
    register(org)
    bare = open_season(org, "DS-01")
    watered = open_season(org, "DS-02")
    keep(org, user, watered, "water", "2025-12-01", event="flooding")
    complete = open_season(org, "HD-01")
    keep(org, user, complete, "water", "2025-12-01", event="flooding")
    keep(org, user, complete, "harvest", "2026-03-12", kg=6600)
    cycle = open_season(org, "DS-01", crop="vegetable", season_type=None, sowing_date="2026-02-01")
    keep(org, user, cycle, "fertiliser", "2026-02-10", product="NPK", kg=50, n_pct=16)
    orchard = open_season(org, "HD-01", crop="fruit_tree", season_type=None,
                          sowing_date="2026-01-01", planting_year=2016)  # fmt: skip
    unplanted = open_season(org, "DS-02", crop="fruit_tree", season_type=None,
                            sowing_date="2026-01-01", planting_year=2016)  # fmt: skip
    unplanted.planting_year = None  # as a season made before the year was asked for
    db.session.commit()
    listed = finding.find_seasons(db.session, org.id).items
    lacks = {s.code: kinds for s, kinds in zip(listed, _missing(listed), strict=True)}
    assert lacks == {
        bare.code: [DiaryKind.WATER, DiaryKind.HARVEST],
        watered.code: [DiaryKind.HARVEST],
        complete.code: [],
        cycle.code: [DiaryKind.HARVEST],
        orchard.code: [],
        unplanted.code: [DiaryKind.PLANTING],
    }
    filtered = codes(finding.find_seasons(db.session, org.id, missing=True))
    assert sorted(filtered) == sorted(code for code, kinds in lacks.items() if kinds)
    for season in listed:  # what is missing is what the derivation stops at
        assert derive(season).ok == (not lacks[season.code]), season.code
    keep(org, user, unplanted, "planting", "2026-01-05", trees=100, planting_year=2016)
    db.session.commit()
    assert unplanted.code not in codes(finding.find_seasons(db.session, org.id, missing=True))


def _missing(seasons: list[Season]) -> list[list[DiaryKind]]:
    found = finding.missing_of(db.session, seasons)
    return [found[s.id] for s in seasons]


def test_every_need_of_the_catalogue_is_a_diary_kind_its_crops_keep() -> None:
    for crop in crops.catalogue().values():
        for need in crop.kind.mrv_needs:
            assert crop.offers(need), (crop.code, need)
            assert DiaryKind(need) in NEED_LABELS
