"""MRV pages in Vietnamese: results and their explanation, reports, the queue. (Progress
to 2035 is a report page: tests/reports/test_progress.py.)"""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from registry.accounts.models import OrgKind
from registry.db import db
from registry.verify import approvals, signing
from registry.verify.models import Decision, MrvReport
from tests.conftest import Factory, csrf_token, login, statements_run
from tests.verify.conftest import Farm, verifier  # noqa: F401
from tests.verify.test_approvals import submitted
from tests.verify.test_results import keep_varied


def test_the_explanation_shows_the_formula_factors_sources_and_chart(
    farm: Farm, client: FlaskClient
) -> None:
    login(client, farm[1])
    html = client.get(f"/mrv/seasons/{farm[3].code}").get_data(as_text=True)
    assert "Table 5.12" in html and "<svg" in html and "EF<sub>c</sub>" in html
    assert "thấp hơn" in html  # "x % lower per kg" against 2020
    assert "mrv" in client.get("/mrv").get_data(as_text=True)


def test_the_overview_takes_a_few_queries_however_many_seasons(
    app: Flask, farm: Farm, client: FlaskClient
) -> None:
    login(client, farm[1])
    client.get("/mrv")  # the first visit stores the results

    def statements_of_overview() -> int:
        with statements_run(app) as statements:
            assert client.get("/mrv").status_code == 200
        return len(statements)

    few = statements_of_overview()
    keep_varied(farm[0], farm[1])  # nine more seasons on four more fields
    client.get("/mrv")
    assert statements_of_overview() == few


def new_report(
    client: FlaskClient, season: str, start: str = "2025-12-01", end: str = "2026-04-30"
) -> TestResponse:
    """The new-report form sent for one season over a monitoring period."""
    return client.post(
        "/mrv/reports/new",
        data={
            "period_start": start,
            "period_end": end,
            "seasons": season,
            "csrf_token": csrf_token(client, "/mrv/reports/new"),
        },
    )


def test_an_htx_submits_a_report_that_reaches_the_verifiers_queue(
    farm: Farm, client: FlaskClient, make: Factory
) -> None:
    login(client, farm[1])
    bad = new_report(client, farm[3].code, "2026-05-01", "2026-09-30")
    assert bad.status_code == 422 and 'id="seasons-error"' in bad.get_data(as_text=True)
    made = new_report(client, farm[3].code)
    assert made.status_code == 302
    page = made.headers["Location"]
    submitted = client.post(f"{page}/submit", data={"csrf_token": csrf_token(client, page)})
    assert submitted.status_code == 302
    assert 'data-status="submitted"' in client.get(page).get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})

    verifier = make.user(make.org(kind=OrgKind.VERIFIER))
    login(client, verifier)
    queue = client.get("/mrv/queue").get_data(as_text=True)
    assert page in queue and farm[0].name in queue
    assert client.get(page).status_code == 200


def test_other_htxs_cannot_read_a_report_or_results(
    farm: Farm, client: FlaskClient, make: Factory
) -> None:
    login(client, make.user(make.org(kind=OrgKind.PRODUCER)))
    assert client.get(f"/mrv/seasons/{farm[3].code}").status_code == 404
    assert client.get("/mrv/queue").status_code == 403


def test_the_new_report_form_marks_seasons_already_approved_and_refuses_them(
    farm: Farm, verifier, client: FlaskClient
) -> None:
    org, key, kid = verifier
    report = submitted(farm)
    statement = approvals.new_statement(db.session, org, report.id, Decision.APPROVED, kid)
    approvals.record_decision(db.session, org, report.id, statement, signing.sign(statement, key))
    db.session.commit()
    login(client, farm[1])
    form = client.get("/mrv/reports/new").get_data(as_text=True)
    box = re.search(rf'<input type="checkbox" id="s-{farm[3].code}"[^>]*>', form)
    assert box and "disabled" in box.group(0)
    assert (
        f'Đã có trong báo cáo <a href="/mrv/reports/{report.id}">#{report.id}</a> (đã phê duyệt)'
        in form
    )
    again = new_report(client, farm[3].code)
    assert again.status_code == 422
    error = re.search(
        r'<p class="error" id="seasons-error">([^<]+)</p>', again.get_data(as_text=True)
    )
    assert error and f"#{report.id}" in error.group(1)
    assert db.session.scalar(select(func.count(MrvReport.id))) == 1  # nothing written
