"""Progress to 2035: verified seasons only, within what the viewer may see (as the dashboard:
the authority everywhere, a commune office its commune, an HTX itself with its pending
seasons apart), held to the same point of the trajectory as the dashboard."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import select

from registry.accounts.models import Organisation, OrgKind, User
from registry.db import db, utcnow
from registry.numbers import percent as pct
from registry.reports.periods import target_pct
from registry.trace.models import Season
from registry.trace.service import today_in_vietnam
from registry.verify.models import EmissionResult, MrvReport, ReportSeason, ReportStatus
from tests.conftest import Factory, csrf_token, login
from tests.reports.conftest import PLACES, Builder, Planted

DOSON, THOILAI = PLACES[0], PLACES[2]


@dataclass(frozen=True)
class World:
    """An HTX in Đồ Sơn (HTX-00) and one in Thới Lai (HTX-20), each with a verified 2026
    season and one waiting in a submitted report, and a user of every kind of organisation
    (the demo's, with the authority in Hải Phòng and the commune office of Đồ Sơn)."""

    authority: User
    office: User
    doson: User
    thoilai: User
    verifier: User
    mill: User
    retailer: User
    waiting: dict[str, int]  # HTX code → its submitted report's id


def _submit(builder: Builder, season: Season) -> int:
    """A submitted report of the season's newest result (waiting for a verifier)."""
    session = builder.session
    result = session.scalar(
        select(EmissionResult)
        .where(EmissionResult.season_id == season.id)
        .order_by(EmissionResult.id.desc())
        .limit(1)
    )
    harvest = season.harvest_date or date(2026, 1, 1)
    report = MrvReport(
        organisation=season.field.organisation,
        period_start=harvest - timedelta(days=30),
        period_end=harvest,
        status=ReportStatus.SUBMITTED,
        submitted_at=utcnow(),
        created_by_id=builder._user(),
    )
    report.seasons.append(ReportSeason(season=season, result=result))
    session.add(report)
    session.flush()
    return report.id


def _member(app: Flask, make: Factory, code: str) -> User:
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.code == code))
        assert org is not None
        db.session.expunge(org)
    return make.user(org)


@pytest.fixture
def world(app: Flask, make: Factory) -> World:
    with app.app_context():
        builder = Builder(db.session)
        # HTX-00: 25 % below 2020 verified; a season 25 % above 2020 waits for a verifier.
        builder.plant(
            Planted(0, 0, date(2026, 3, 10), 1.0, 3000, 6000, (1.0, 4000, 6000), verified=True)
        )
        late = builder.plant(Planted(0, 0, date(2026, 5, 2), 1.0, 5000, 6000, (1.0, 4000, 6000)))
        # HTX-20: 33.3 % below 2020 verified; one season waits.
        builder.plant(
            Planted(2, 0, date(2026, 4, 1), 2.0, 6000, 12000, (2.0, 9000, 12000), verified=True)
        )
        other = builder.plant(Planted(2, 0, date(2026, 8, 15), 1.0, 2800, 6000, (1.0, 4000, 6000)))
        waiting = {"HTX-00": _submit(builder, late), "HTX-20": _submit(builder, other)}
        db.session.commit()
    return World(
        authority=make.user(make.org(kind=OrgKind.AUTHORITY, commune="phường Hồng Bàng")),
        office=make.user(
            make.org(kind=OrgKind.COMMUNE_OFFICE, province=DOSON[0], commune=DOSON[1])
        ),
        doson=_member(app, make, "HTX-00"),
        thoilai=_member(app, make, "HTX-20"),
        verifier=make.user(
            make.org(kind=OrgKind.VERIFIER, province="Hà Nội", commune="phường Ba Đình")
        ),
        mill=make.user(make.org(kind=OrgKind.PROCESSOR, province=THOILAI[0], commune="xã Cờ Đỏ")),
        retailer=make.user(make.org(kind=OrgKind.RETAILER, commune="phường Lê Chân")),
        waiting=waiting,
    )


def rows(html: str, kind: str = "verified") -> dict[str, str]:
    """Row key → the reduction shown, of the verified (or pending) table."""
    return dict(re.findall(rf'<tr data-{kind}="([^"]+)" data-reduction="([^"]*)">', html))


def progress(client: FlaskClient, user: User | None, query: str = "") -> tuple[int, str]:
    if user is not None:
        login(client, user)
    response = client.get(f"/mrv/progress{query}")
    html = response.get_data(as_text=True)
    if user is not None:
        client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    return response.status_code, html


def test_the_authority_sees_every_cooperative_verified_seasons_only(
    client: FlaskClient, world: World
) -> None:
    code, html = progress(client, world.authority)
    assert code == 200
    assert rows(html) == {"HTX-00": "25,0 %", "HTX-20": "33,3 %"}  # the waiting seasons left out
    assert rows(html, "pending") == {}
    assert 'href="/mrv/progress"' in html  # in the menu
    _, by_commune = progress(client, world.authority, "?by=commune")
    assert set(rows(by_commune)) == {DOSON[1], THOILAI[1]}
    assert f"{DOSON[1]}, {DOSON[0]}" in by_commune
    _, narrowed = progress(client, world.authority, f"?province={THOILAI[0]}")
    assert set(rows(narrowed)) == {"HTX-20"}


def test_a_commune_office_sees_its_commune_only(client: FlaskClient, world: World) -> None:
    code, html = progress(client, world.office)
    assert code == 200 and rows(html) == {"HTX-00": "25,0 %"} and rows(html, "pending") == {}
    assert "HTX-20" not in html and THOILAI[1] not in html
    elsewhere = f"?province={THOILAI[0]}&commune={THOILAI[1]}"
    assert progress(client, world.office, elsewhere)[0] == 403
    assert rows(progress(client, world.office, "?htx=HTX-20")[1]) == {}
    assert rows(progress(client, world.office, "?by=province")[1]) == {DOSON[0]: "25,0 %"}


def test_an_htx_sees_itself_with_its_waiting_seasons_apart(
    client: FlaskClient, world: World
) -> None:
    code, html = progress(client, world.doson)
    assert code == 200
    assert rows(html) == {"HTX-00": "25,0 %"}  # what counts toward progress
    assert rows(html, "pending") == {"HTX-00": "-25,0 %"}  # marked, apart, its own only
    assert "chưa thẩm định" in html and "HTX-20" not in html and THOILAI[1] not in html
    assert progress(client, world.doson, "?htx=HTX-20")[0] == 403
    assert rows(progress(client, world.doson, f"?province={THOILAI[0]}")[1]) == {}
    _, other = progress(client, world.thoilai)
    assert set(rows(other)) == set(rows(other, "pending")) == {"HTX-20"}
    assert "HTX-00" not in other and DOSON[1] not in other


@pytest.mark.parametrize("kind", ["verifier", "mill", "retailer", None])
def test_nobody_else_sees_progress(client: FlaskClient, world: World, kind: str | None) -> None:
    code, html = progress(client, getattr(world, kind) if kind else None)
    assert code == (403 if kind else 302)
    assert "HTX-00" not in html and "HTX-20" not in html


def test_bad_filters_are_refused_with_a_4xx(client: FlaskClient, world: World) -> None:
    for query in ("?by=household", "?year=1999", "?year=99999999999999999999999", "?htx=<b>"):
        assert progress(client, world.authority, query)[0] == 422, query


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_the_page_and_the_dashboard_hold_seasons_to_the_same_target(
    app: Flask, client: FlaskClient, world: World, locale: str
) -> None:
    """One trajectory (periods.target_pct: 0 % in 2020, the target in 2035), one wording."""
    client.set_cookie("lang", locale)
    login(client, world.authority)
    with app.test_request_context(), force_locale(locale):
        expected = pct(target_pct(2026, 10.0))  # 4,0 % (vi), 4.0 % (en)
        this_year = today_in_vietnam().year
        now = pct(target_pct(this_year, 10.0))
    board = client.get("/reports?period=2026").get_data(as_text=True)
    page = client.get("/mrv/progress?year=2026").get_data(as_text=True)
    assert expected in board and expected in page
    sentence = re.search(r'<p data-target-year="2026">([^<]*)</p>', page)
    assert sentence is not None and expected in sentence.group(1)
    assert {"vi": "vào năm 2026", "en": "in 2026"}[locale] in sentence.group(1)
    every_year = client.get("/mrv/progress").get_data(as_text=True)
    sentence = re.search(r'<p data-target-year="(\d+)">([^<]*)</p>', every_year)
    assert sentence is not None and sentence.group(1) == str(this_year)
    assert now in sentence.group(2) and str(this_year) in sentence.group(2)
    assert " now" not in sentence.group(2) and "1,0 %" not in page and "1.0 %" not in page
