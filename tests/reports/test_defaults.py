"""Report pages open on the reader's own area and on the period it owes next by the
reporting calendar; the whole registry is one choice away; what a request names wins."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry.accounts.models import Organisation, OrgKind
from registry.db import db
from registry.reports import defaults
from registry.reports.figures import Area
from registry.reports.models import GeneratedReport, ReportKind
from registry.reports.periods import Period
from registry.verify.models import MrvReport, ReportStatus
from tests.conftest import Factory, csrf_token, login
from tests.reports.conftest import Builder, Planted
from tests.reports.test_views import kpi

HAI_PHONG = "Hải Phòng"
SPRING = date(2026, 3, 1)  # the province's 6-month report (2026-H1) is due next
AUTUMN = date(2026, 9, 1)  # its annual report (2026) is


@pytest.fixture
def seasons(app: Flask) -> None:
    """Đồ Sơn (Hải Phòng): one verified and one unverified season in 2026 H1; Thới Lai
    (Cần Thơ): one in 2026 H2."""
    with app.app_context():
        builder = Builder(db.session)
        builder.plant(
            Planted(0, 0, date(2026, 3, 10), 1.0, 3000, 6000, (1.0, 9000, 5800), verified=True)
        )
        builder.plant(Planted(0, 1, date(2026, 5, 2), 2.0, 6000, 12000, (2.0, 16000, 11000)))
        builder.plant(Planted(2, 0, date(2026, 8, 15), 1.5, 2800, 9000, (1.5, 10000, 8800)))
        db.session.commit()


def authority(make: Factory, province: str = HAI_PHONG) -> Organisation:
    return make.org(kind=OrgKind.AUTHORITY, province=province, commune="phường Hồng Bàng")


def on(monkeypatch: pytest.MonkeyPatch, today: date) -> None:
    monkeypatch.setattr("registry.reports.views.today_in_vietnam", lambda: today)


def lead(html: str) -> str:
    found = re.search(r'<p class="lead">([^<]*)</p>', html)
    assert found, html
    return found.group(1)


def selected(html: str, name: str) -> list[str]:
    """The values selected in the form's <select name=…>."""
    found = re.search(rf'<select id="{name}" name="{name}">(.*?)</select>', html, re.S)
    assert found, name
    return [
        value or text
        for value, text in re.findall(
            r'<option(?: value="([^"]*)")? selected>([^<]*)</option>', found.group(1)
        )
    ]


def parts(html: str) -> list[str]:
    return re.findall(r'data-part="([^"]+)"', html)


# ---------------------------------------------------------------- the service
@pytest.mark.parametrize(
    ("today", "period"),
    [
        (date(2026, 1, 20), Period(2026, 1)),
        (date(2026, 7, 9), Period(2026, 1)),  # due before 10 July
        (date(2026, 7, 20), Period(2026, 1)),  # overdue and not delivered: still owed
        (date(2026, 8, 20), Period(2026)),  # the annual report, due before 10 December
        (date(2026, 12, 9), Period(2026)),
        (date(2027, 1, 20), Period(2027, 1)),
    ],
)
def test_the_authority_opens_on_its_province_and_the_period_due_next(
    ctx: None, make: Factory, today: date, period: Period
) -> None:
    found = defaults.default_view(db.session, authority(make), today)
    assert found == defaults.View(Area(HAI_PHONG), period)


def test_a_delivered_report_moves_the_default_to_the_next_one(ctx: None, make: Factory) -> None:
    org = authority(make)
    assert defaults.default_view(db.session, org, date(2026, 7, 20)).period == Period(2026, 1)
    user_id = make.user(org).id
    db.session.add(
        GeneratedReport(
            organisation_id=org.id,
            created_by_id=user_id,
            kind=ReportKind.HALF,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 6, 30),
            province=HAI_PHONG,
            data={},
            digest="0" * 64,
            log_index=0,
        )
    )
    db.session.flush()
    assert defaults.default_view(db.session, org, date(2026, 7, 20)).period == Period(2026)


def test_a_commune_office_opens_on_its_commune_and_its_confirmation(
    ctx: None, make: Factory
) -> None:
    office = make.org(kind=OrgKind.COMMUNE_OFFICE, province=HAI_PHONG, commune="phường Đồ Sơn")
    assert defaults.default_view(db.session, office, date(2026, 7, 4)) == defaults.View(
        Area(HAI_PHONG, "phường Đồ Sơn"), Period(2026, 1)
    )
    assert defaults.default_view(db.session, office, date(2026, 8, 6)).period == Period(2026)


def test_a_national_authority_opens_on_the_whole_registry(ctx: None, make: Factory) -> None:
    national = authority(make, province="Bộ Nông nghiệp và Môi trường")
    assert defaults.default_view(db.session, national, SPRING).area == Area()


def test_what_a_request_names_wins(ctx: None, make: Factory) -> None:
    org = authority(make)
    query = {"province": None, "commune": None, "htx": None, "crop": "rice", "period": None}
    assert defaults.chosen_view(db.session, org, SPRING, query, ["crop"]) == defaults.View(
        Area(HAI_PHONG, crop="rice"), Period(2026, 1)
    )
    whole = defaults.chosen_view(db.session, org, SPRING, query, ["province", "crop"])
    assert whole.area == Area(crop="rice")  # an empty province: the whole registry
    named = {**query, "province": "Cần Thơ", "period": Period(2025, 2)}
    assert defaults.chosen_view(db.session, org, SPRING, named, ["province", "period"]) == (
        defaults.View(Area("Cần Thơ", crop="rice"), Period(2025, 2))
    )


# ---------------------------------------------------------------- the dashboard
def test_the_dashboard_opens_on_the_province_and_the_period_due_next(
    client: FlaskClient, make: Factory, seasons: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, SPRING)
    login(client, make.user(authority(make)))
    html = client.get("/reports").get_data(as_text=True)
    assert lead(html).startswith(f"{HAI_PHONG} · ")
    assert selected(html, "province") == [HAI_PHONG]
    assert selected(html, "period") == ["2026-H1"]
    assert parts(html) == ["phường Đồ Sơn"]  # Hải Phòng's communes, not every province
    assert kpi(html, "verified") == "1 / 2"
    on(monkeypatch, AUTUMN)
    assert selected(client.get("/reports").get_data(as_text=True), "period") == ["2026"]


def test_the_whole_registry_is_one_choice_away(
    client: FlaskClient, make: Factory, seasons: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, AUTUMN)
    login(client, make.user(authority(make)))
    html = client.get("/reports").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" data-whole-registry>', html)
    assert link is not None
    assert '<option value="">Toàn bộ sổ đăng ký</option>' in html  # the filter's choice
    whole = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert sorted(parts(whole)) == ["Cần Thơ", HAI_PHONG]  # by province
    assert kpi(whole, "verified") == "1 / 3"
    assert selected(whole, "province") == [] and selected(whole, "period") == ["2026"]
    back = re.search(r'<a href="([^"]+)" data-home-province>', whole)
    assert back is not None and "province=H%E1%BA%A3i+Ph%C3%B2ng" in back.group(1)


def test_explicit_filters_win_over_the_defaults(
    client: FlaskClient, make: Factory, seasons: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, SPRING)
    login(client, make.user(authority(make)))
    html = client.get("/reports?period=2026-H2&province=Cần Thơ").get_data(as_text=True)
    assert selected(html, "province") == ["Cần Thơ"] and selected(html, "period") == ["2026-H2"]
    assert parts(html) == ["xã Thới Lai"]
    commune = client.get("/reports?commune=xã Thới Lai&period=2026").get_data(as_text=True)
    assert lead(commune).startswith("xã Thới Lai, Cần Thơ · ")
    assert kpi(commune, "verified") == "0 / 1"
    crop = client.get("/reports?crop=rice").get_data(as_text=True)  # a crop keeps the province
    assert selected(crop, "province") == [HAI_PHONG] and selected(crop, "crop") == ["rice"]


def test_a_commune_office_s_dashboard_opens_on_its_commune(
    client: FlaskClient, make: Factory, seasons: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, date(2026, 11, 20))  # its confirmation for 2026 is due before 5 December
    office = make.org(kind=OrgKind.COMMUNE_OFFICE, province=HAI_PHONG, commune="phường Đồ Sơn")
    login(client, make.user(office))
    html = client.get("/reports").get_data(as_text=True)
    assert lead(html).startswith("phường Đồ Sơn, Hải Phòng · ")
    assert selected(html, "period") == ["2026"]
    assert "data-whole-registry" not in html and "Toàn bộ sổ đăng ký" not in html


# ---------------------------------------------------------------- the periodic reports page
def test_the_report_form_opens_on_the_province_and_the_report_due_next(
    client: FlaskClient, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, SPRING)
    login(client, make.user(authority(make)))
    html = client.get("/reports/periodic").get_data(as_text=True)
    assert selected(html, "province") == [HAI_PHONG]
    assert selected(html, "period") == ["2026-H1"] and selected(html, "kind") == ["half"]
    assert selected(html, "commune") == []
    assert '<option value="">Toàn bộ sổ đăng ký</option>' in html
    on(monkeypatch, AUTUMN)
    html = client.get("/reports/periodic").get_data(as_text=True)
    assert selected(html, "period") == ["2026"] and selected(html, "kind") == ["annual"]


def test_the_report_form_takes_what_the_link_names(
    client: FlaskClient, make: Factory, seasons: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, SPRING)
    login(client, make.user(authority(make)))
    client.get("/reports")  # the page builds the cells that list the communes
    html = client.get("/reports/periodic?period=2025&province=").get_data(as_text=True)
    assert selected(html, "province") == []  # the whole registry
    assert selected(html, "period") == ["2025"] and selected(html, "kind") == ["annual"]
    named = "/reports/periodic?period=2026-H2&province=Cần Thơ&commune=xã Thới Lai"
    html = client.get(named).get_data(as_text=True)
    assert selected(html, "province") == ["Cần Thơ"] and selected(html, "commune") == [
        "xã Thới Lai"
    ]
    assert client.get("/reports/periodic?period=2026-H3").status_code == 422


def test_a_refused_report_keeps_what_was_sent(
    client: FlaskClient, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, SPRING)
    login(client, make.user(authority(make)))
    token = csrf_token(client, "/reports/periodic")
    sent = {"csrf_token": token, "kind": "half", "period": "2026", "province": ""}
    response = client.post("/reports/periodic", data=sent)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert selected(html, "province") == [] and selected(html, "period") == ["2026"]


# ---------------------------------------------------------------- honest figures
def test_the_reduction_says_it_counts_seasons_not_verified_yet(
    app: Flask, client: FlaskClient, make: Factory, seasons: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, SPRING)
    login(client, make.user(authority(make)))
    html = client.get("/reports?commune=phường Đồ Sơn&province=Hải Phòng").get_data(as_text=True)
    assert kpi(html, "verified") == "1 / 2"
    assert "data-unverified-counted" in html
    assert "/mrv/progress?year=2026" in html  # where the verified figure is
    only_verified = client.get("/reports?htx=HTX-00&commune=phường Đồ Sơn&province=Hải Phòng")
    assert kpi(only_verified.get_data(as_text=True), "verified") == "1 / 1"
    assert "data-unverified-counted" not in only_verified.get_data(as_text=True)


def test_only_approved_reports_make_seasons_verified(
    app: Flask, client: FlaskClient, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A season in a report still waiting, refused or whose approval was revoked is not
    verified on the dashboard, the periodic report or the commune's review."""
    with app.app_context():
        builder = Builder(db.session)
        for n, status in enumerate(
            (ReportStatus.SUBMITTED, ReportStatus.REJECTED, ReportStatus.REVOKED)
        ):
            builder.plant(Planted(0, n, date(2026, 3, 10), 1.0, 3000, 6000, None, verified=True))
            newest = select(MrvReport).order_by(MrvReport.id.desc()).limit(1)
            db.session.scalars(newest).one().status = status
        builder.plant(Planted(0, 0, date(2026, 4, 1), 1.0, 3000, 6000, None, verified=True))
        db.session.commit()
    on(monkeypatch, SPRING)
    login(client, make.user(authority(make)))
    html = client.get("/reports").get_data(as_text=True)
    assert kpi(html, "verified") == "1 / 4"


@pytest.mark.parametrize(("locale", "shown"), [("vi", "1.234,57"), ("en", "1,234.57")])
def test_areas_are_written_in_the_reader_s_format(
    app: Flask,
    client: FlaskClient,
    make: Factory,
    monkeypatch: pytest.MonkeyPatch,
    locale: str,
    shown: str,
) -> None:
    """Hectares to two places at most, grouped as the reader groups them; never a raw float."""
    with app.app_context():
        Builder(db.session).plant(Planted(0, 0, date(2026, 3, 10), 1234.567, 3e6, 6e6, None))
        db.session.commit()
    on(monkeypatch, SPRING)
    client.set_cookie("lang", locale)
    login(client, make.user(authority(make)))
    html = client.get("/reports?period=2026").get_data(as_text=True)  # fields registered now
    assert kpi(html, "registered-ha") == f"{shown} ha"
    assert f'data-label="{"Diện tích (ha)" if locale == "vi" else "Area (ha)"}">{shown}<' in html
    assert f"<small>{shown} ha</small>" in html
    assert "1234.567" not in html and "1234,567" not in html


def test_the_confirmation_page_opens_on_the_confirmation_due_next(
    client: FlaskClient, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, date(2026, 11, 20))  # due before 5 December: the year, not 2026-H2
    office = make.org(kind=OrgKind.COMMUNE_OFFICE, province=HAI_PHONG, commune="phường Đồ Sơn")
    login(client, make.user(office))
    assert selected(client.get("/reports/confirm").get_data(as_text=True), "period") == ["2026"]
    named = client.get("/reports/confirm?period=2026-H1").get_data(as_text=True)
    assert selected(named, "period") == ["2026-H1"]
