"""People's times: Vietnam's clock and a four-digit year on every page (the `datetimeformat`
and `vn_date` filters), so an evening in UTC shows as the next local day; the API stays UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask, render_template_string
from flask.testing import FlaskClient

from registry.accounts import service
from registry.accounts.models import User
from registry.db import db
from tests.conftest import Factory, login

# 19:29 UTC on 6 December is 02:29 on 7 December in Vietnam (UTC+7).
EVENING_UTC = datetime(2026, 12, 6, 19, 29, 32, tzinfo=UTC)


def test_filters_write_vietnam_time_with_a_four_digit_year(app: Flask) -> None:
    page = "{{ t | datetimeformat('short') }}|{{ t | vn_date }}|{{ d | vn_date }}|{{ n | vn_date }}"
    with app.test_request_context():
        shown = render_template_string(page, t=EVENING_UTC, d=date(2026, 12, 6), n=None)
    assert shown == "02:29 07/12/2026|07/12/2026|06/12/2026|"


def test_tokens_page_shows_local_time_and_the_api_keeps_utc(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    user = make.user(make.org())
    with app.app_context():
        owner = db.session.get(User, user.id)
        assert owner is not None
        token, _ = service.create_token(db.session, user=owner, name="kho", scopes=["read"])
        token.expires_at = EVENING_UTC
        _, secret = service.create_token(db.session, user=owner, name="api", scopes=["read"])
        db.session.commit()
    login(client, user)
    html = client.get("/tokens").get_data(as_text=True)
    assert "02:29 07/12/2026" in html and "7/12/26," not in html
    listed = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {secret}"})
    assert listed.json is not None
    assert "2026-12-06T19:29:32" in {t["name"]: t["expires_at"] for t in listed.json}["kho"]
