"""Report pages: who sees what, reports whose digest is in the log, and the commune's
signed confirmation."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date

import pytest
import rfc8785
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from registry.accounts.models import OrgKind, Role, User
from registry.db import db
from registry.jobs import queue
from registry.keys import keystore
from registry.ledger import service as ledger
from registry.verify import signing
from tests.conftest import Factory, csrf_token, login
from tests.reports.conftest import PLACES, Builder, Planted

DOSON = PLACES[0]


@pytest.fixture
def seasons(app: Flask) -> None:
    """Đồ Sơn: two seasons in 2026 H1; Thới Lai: one in 2026 H2."""
    with app.app_context():
        builder = Builder(db.session)
        builder.plant(Planted(0, 0, date(2026, 3, 10), 1.0, 3000, 6000, (1.0, 9000, 5800)))
        builder.plant(Planted(0, 1, date(2026, 5, 2), 2.0, 6000, 12000, (2.0, 16000, 11000)))
        builder.plant(Planted(2, 0, date(2026, 8, 15), 1.5, 2800, 9000, (1.5, 10000, 8800)))
        db.session.commit()


def office(
    make: Factory, place: tuple[str, str] = DOSON, roles: tuple[Role, ...] = (Role.ADMIN,)
) -> User:
    org = make.org(kind=OrgKind.COMMUNE_OFFICE, province=place[0], commune=place[1])
    return make.user(org, roles=roles)


def authority(make: Factory) -> User:
    return make.user(
        make.org(kind=OrgKind.AUTHORITY, province="Hải Phòng", commune="phường Hồng Bàng")
    )


def kpi(html: str, name: str) -> str:
    found = re.search(rf'data-kpi="{name}"[^>]*>([^<]*)<', html)
    assert found, name
    return found.group(1).strip()


def test_the_authority_sees_every_commune(
    client: FlaskClient, make: Factory, seasons: None
) -> None:
    login(client, authority(make))
    html = client.get("/reports?period=2026&province=").get_data(as_text=True)  # all of it
    assert kpi(html, "verified") == "0 / 3"
    assert 'data-part="Hải Phòng"' in html and 'data-part="Cần Thơ"' in html  # by province
    assert "<svg" in html and "http" not in html.split("<svg", 1)[1].split("</svg>", 1)[0][40:]
    province = client.get("/reports?period=2026&province=Hải Phòng").get_data(as_text=True)
    assert 'data-part="phường Đồ Sơn"' in province and "xã Thới Lai" not in province
    narrowed = client.get("/reports?period=2026&commune=xã Thới Lai").get_data(as_text=True)
    assert kpi(narrowed, "verified") == "0 / 1"
    assert re.findall(r'data-part="([^"]+)"', narrowed) == ["HTX-20"]  # by cooperative


def test_a_commune_office_sees_only_its_commune(
    client: FlaskClient, make: Factory, seasons: None
) -> None:
    login(client, office(make))
    html = client.get("/reports?period=2026").get_data(as_text=True)
    assert kpi(html, "verified") == "0 / 2"
    assert "xã Thới Lai" not in html
    assert (
        client.get("/reports?period=2026&commune=xã Thới Lai&province=Cần Thơ").status_code == 403
    )
    assert client.get("/reports?province=Cần Thơ").status_code == 403


def test_others_do_not_see_the_dashboard(client: FlaskClient, make: Factory) -> None:
    assert client.get("/reports").status_code == 302  # to the sign-in page
    login(client, make.user(make.org(kind=OrgKind.PRODUCER)))
    assert client.get("/reports").status_code == 403
    assert client.get("/reports/periodic").status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=2026-H3", "period"),
        ("htx=NONE", "htx"),
        ("crop=banana", "crop"),
        ("province=Paris", "province"),
    ],
)
def test_bad_filters_are_a_422_naming_the_field(
    client: FlaskClient, make: Factory, query: str, field: str
) -> None:
    login(client, authority(make))
    response = client.get(f"/reports?{query}")
    assert response.status_code == 422
    api = client.get(f"/reports?{query}", headers={"Accept": "application/json"})
    assert api.status_code == 422 and field in api.json["errors"]


def generate(client: FlaskClient, **form: str) -> str:
    """Generate a report through the page, run its job as a worker would and follow the job's
    page to the report's: its address."""
    token = csrf_token(client, "/reports/periodic")
    response = client.post("/reports/periodic", data={"csrf_token": token, **form})
    assert response.status_code == 303, response.get_data(as_text=True)
    queue.run_until_empty(client.application)
    done = client.get(response.headers["Location"])
    assert done.status_code == 302, done.get_data(as_text=True)
    return done.headers["Location"]


def test_a_report_s_digest_is_in_the_log(
    app: Flask, client: FlaskClient, make: Factory, seasons: None
) -> None:
    login(client, authority(make))
    page = generate(client, kind="half", period="2026-H1", province="Hải Phòng", commune="")
    data = client.get(f"{page}.json").get_data()
    digest = hashlib.sha256(rfc8785.dumps(json.loads(data))).hexdigest()
    html = client.get(page).get_data(as_text=True)
    assert digest in html
    index = int(re.search(r"#(\d+)</a>", html).group(1))
    with app.app_context():
        entry = json.loads(ledger.entry(db.session, index))
    assert entry["type"] == "report.generated"
    assert entry["data"] == {
        "digest": digest,
        "kind": "half",
        "period": "2026-H1",
        "province": "Hải Phòng",
        "commune": "",
    }
    figures = json.loads(data)["emissions"]
    assert (figures["seasons"], figures["area_ha"]) == (2, 3.0)
    assert "Hộ bà" not in data.decode()  # households never reach a report


def test_a_report_must_match_its_kind(client: FlaskClient, make: Factory) -> None:
    login(client, authority(make))
    token = csrf_token(client, "/reports/periodic")
    response = client.post(
        "/reports/periodic", data={"csrf_token": token, "kind": "half", "period": "2026"}
    )
    assert response.status_code == 422
    assert "2026-H1" in response.get_data(as_text=True)


def test_a_commune_office_reads_only_its_commune_s_reports(
    client: FlaskClient, make: Factory, seasons: None
) -> None:
    login(client, authority(make))
    province_report = generate(client, kind="annual", period="2026", province="Hải Phòng")
    commune_report = generate(
        client, kind="annual", period="2026", province="Hải Phòng", commune="phường Đồ Sơn"
    )
    client.post("/logout", data={"csrf_token": csrf_token(client, "/reports")})
    login(client, office(make))
    assert client.get(commune_report).status_code == 200
    assert client.get(f"{commune_report}.xlsx").status_code == 200
    for path in (province_report, f"{province_report}.pdf", f"{province_report}.json"):
        assert client.get(path).status_code == 404
    listed = client.get("/reports/periodic").get_data(as_text=True)
    assert commune_report.rsplit("/", 1)[1] in re.findall(r'data-report="(\d+)"', listed)
    assert len(re.findall(r'data-report="(\d+)"', listed)) == 1
    own = generate(client, kind="half", period="2026-H1")
    assert "phường Đồ Sơn" in client.get(own).get_data(as_text=True)  # its own commune
    token = csrf_token(client, "/reports/periodic")
    other = {"kind": "half", "period": "2026-H1", "province": "Cần Thơ", "commune": "xã Thới Lai"}
    assert client.post("/reports/periodic", data={"csrf_token": token, **other}).status_code == 403


def test_viewers_do_not_generate_or_confirm(
    client: FlaskClient, make: Factory, seasons: None
) -> None:
    login(client, office(make, roles=(Role.VIEWER,)))
    token = csrf_token(client, "/reports")
    assert (
        client.post(
            "/reports/periodic", data={"csrf_token": token, "kind": "annual", "period": "2026"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/reports/confirm", data={"csrf_token": token, "period": "2026", "digest": "0" * 64}
        ).status_code
        == 403
    )


def review(client: FlaskClient, period: str) -> tuple[str, str]:
    html = client.get(f"/reports/confirm?period={period}").get_data(as_text=True)
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', html)
    assert digest, html
    return digest.group(1), csrf_token(client, f"/reports/confirm?period={period}")


def test_a_commune_confirms_its_reduction_signed_and_logged(
    app: Flask, client: FlaskClient, make: Factory, seasons: None
) -> None:
    user = office(make)
    login(client, user)
    digest, token = review(client, "2026-H1")
    response = client.post(
        "/reports/confirm", data={"csrf_token": token, "period": "2026-H1", "digest": digest}
    )
    assert response.status_code == 302
    found = client.get(
        "/api/v1/confirmations/" + response.headers["Location"].rsplit("/", 1)[1]
    ).json
    statement = found["statement"]
    assert statement["type"] == "commune.confirmation"
    assert (statement["commune"], statement["province"], statement["period"]["key"]) == (
        *DOSON[::-1],
        "2026-H1",
    )
    assert statement["figures"]["seasons"] == 2 and statement["figures_digest"] == digest
    assert statement["user"] == user.id
    with app.app_context():
        key = keystore().current("log")
        entry = json.loads(ledger.entry(db.session, found["log_index"]))
    assert found["kid"] == key.kid == statement["kid"]
    assert signing.verify(statement, found["signature"], key.public_key)
    assert entry["type"] == "commune.confirmed"
    assert entry["data"]["statement_digest"] == hashlib.sha256(rfc8785.dumps(statement)).hexdigest()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert found["signature"] in page


def test_figures_that_changed_since_the_review_are_not_confirmed(
    app: Flask, client: FlaskClient, make: Factory, seasons: None
) -> None:
    login(client, office(make))
    digest, token = review(client, "2026-H1")
    with app.app_context():
        Builder(db.session).plant(Planted(0, 2, date(2026, 4, 1), 1.0, 2000, 6000, None))
        db.session.commit()
    response = client.post(
        "/reports/confirm", data={"csrf_token": token, "period": "2026-H1", "digest": digest}
    )
    assert response.status_code == 409
    assert 'data-figure="seasons">3' in response.get_data(as_text=True)


def test_reminders_name_the_due_dates(
    client: FlaskClient, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("registry.reports.views.today_in_vietnam", lambda: date(2026, 11, 25))
    login(client, authority(make))
    html = client.get("/reports").get_data(as_text=True)
    assert 'data-reminder="report-province-2026"' in html
    assert 'data-reminder="report-department-2026"' in html


def test_a_commune_token_gets_only_its_commune(
    app: Flask, client: FlaskClient, make: Factory, seasons: None
) -> None:
    from tests.accounts.test_api import bearer

    auth = bearer(app, office(make))
    found = client.get("/api/v1/reports/dashboard?period=2026", headers=auth)
    assert found.status_code == 200
    assert found.json["parts_by"] == "organisation"
    assert sorted(p["key"] for p in found.json["parts"]) == ["HTX-00", "HTX-01"]
    assert found.json["emissions"]["seasons"] == 2
    other = client.get(
        "/api/v1/reports/dashboard?commune=xã Thới Lai&province=Cần Thơ", headers=auth
    )
    assert other.status_code == 403 and other.mimetype == "application/problem+json"
    assert client.get("/api/v1/reports/dashboard?period=x", headers=auth).status_code == 422


def test_registry_reports_rebuild(runner: FlaskCliRunner, seasons: None) -> None:
    result = runner.invoke(args=["reports", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "revision 1" in result.output
    assert "revision 2" in runner.invoke(args=["reports", "rebuild"]).output


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/reports?commune=" + "x" * 101, 422),
        ("/reports?commune=xã Không Có", 422),  # no province named, none found
        ("/reports?period=99999", 422),
        ("/reports/periodic/999", 404),
        ("/reports/periodic/999.pdf", 404),
        ("/reports/confirmations/999", 404),
        ("/api/v1/confirmations/999", 404),
        ("/api/v1/exchange/emissions?since=99999999999999999999", 401),  # the token first
        ("/open-data/emissions.json?province=" + "x" * 500, 422),
    ],
)
def test_bad_input_is_a_4xx_never_a_500(
    client: FlaskClient, make: Factory, path: str, status: int
) -> None:
    login(client, authority(make))
    assert client.get(path).status_code == status
