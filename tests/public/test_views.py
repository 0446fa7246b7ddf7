from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.conftest import Factory, csrf_token, login


def test_home_page_is_vietnamese_first(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Sổ đăng ký nhãn Phát thải thấp" in html


def test_english_is_selectable_and_remembered(client: FlaskClient) -> None:
    response = client.get("/lang/en?next=/login")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "Sign in" in html
    client.get("/lang/vi")
    assert '<html lang="vi">' in client.get("/").get_data(as_text=True)


def test_language_switch_does_not_redirect_off_site(client: FlaskClient) -> None:
    response = client.get("/lang/en?next=//evil.example/")
    assert response.headers["Location"] == "/"


def test_a_signed_in_users_language_is_remembered_on_their_account(
    client: FlaskClient, make: Factory
) -> None:
    user = make.user(make.org())
    login(client, user)
    client.get("/lang/en")
    client.delete_cookie("lang")
    assert '<html lang="en">' in client.get("/dashboard").get_data(as_text=True)


def test_pages_load_nothing_from_other_sites(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_pages_are_mobile_ready(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html


def test_healthz_reports_the_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_login_form_has_labelled_fields(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert '<label for="email">' in html and '<label for="password">' in html
    assert csrf_token(client, "/login")
