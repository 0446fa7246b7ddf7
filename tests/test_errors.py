"""Every failure is a clear 4xx (problem details for machines, a localised page for people),
and an unexpected one is a 500 that leaks nothing."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient

from registry import create_app
from registry.errors import PROBLEM_JSON
from registry.problems import TYPES
from tests.accounts.test_api import bearer
from tests.conftest import Factory, csrf_token


def test_unknown_page_is_a_localised_404(client: FlaskClient) -> None:
    response = client.get("/khong-co")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Không tìm thấy" in response.get_data(as_text=True)


def test_unknown_api_path_is_a_problem(client: FlaskClient) -> None:
    response = client.get("/api/v1/khong-co")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404
    assert response.json["type"].endswith("/problems/not-found")


def test_wrong_method_on_the_api_is_a_405_problem(client: FlaskClient) -> None:
    response = client.delete("/api/v1/organisations")
    assert response.status_code == 405 and response.json["status"] == 405
    assert "GET" in response.headers["Allow"]


def test_problem_titles_follow_the_chosen_language(client: FlaskClient) -> None:
    vietnamese = client.get("/api/v1/khong-co").json["title"]
    client.set_cookie("lang", "en")
    assert client.get("/api/v1/khong-co").json["title"] == "Not found."
    assert vietnamese != "Not found."


def test_an_unexpected_error_is_a_500_without_internals(app: Flask) -> None:
    broken = create_app({**app.config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    @broken.get("/api/v1/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    @broken.get("/boom")
    def boom_page() -> str:
        raise RuntimeError("secret internals")

    client = broken.test_client()
    api = client.get("/api/v1/boom")
    assert api.status_code == 500 and api.mimetype == "application/problem+json"
    page = client.get("/boom")
    assert page.status_code == 500 and "secret internals" not in page.get_data(as_text=True)


def test_security_headers_forbid_third_party_content(client: FlaskClient) -> None:
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_nul_bytes_in_input_are_a_400_not_a_database_error(client: FlaskClient) -> None:
    assert client.get("/api/v1/organisations?kind=pro%00ducer").status_code == 400
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": "a\x00@b.vn", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 400 and "Yêu cầu không hợp lệ" in response.get_data(True)


def test_each_kind_of_error_has_a_stable_type_with_a_page(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    producer = bearer(app, make.user(make.org()), scopes=("read", "write"))
    seen = {
        "not-found": client.get("/api/v1/khong-co"),
        "unauthorized": client.get("/api/v1/me"),
        "method-not-allowed": client.delete("/api/v1/organisations"),
        "invalid-fields": client.get("/api/v1/approvals?limit=0"),
        "rule-broken": client.post(
            "/api/v1/batches",
            json={"lot_code": "L-1", "draws": [{"season": "KHONG-CO", "kg": 1}]},
            headers=producer,
        ),
        "forbidden": client.get("/api/v1/exchange/labels", headers=producer),
    }
    base = app.config["PUBLIC_BASE_URL"]
    for slug, response in seen.items():
        assert response.mimetype == PROBLEM_JSON
        assert response.json["type"] == f"{base}/problems/{slug}", response.json
        assert response.json["status"] == TYPES[slug].status == response.status_code
        page = client.get(urlsplit(response.json["type"]).path)
        assert page.status_code == 200 and page.mimetype == "text/html"
        assert response.json["type"] in page.get_data(as_text=True)
    assert client.get("/problems/khong-co").status_code == 404


def test_problem_details_follow_accept_language(client: FlaskClient) -> None:
    vietnamese = client.get("/api/v1/khong-co")
    assert vietnamese.json["title"] == "Không tìm thấy."
    assert vietnamese.headers["Content-Language"] == "vi"
    assert "Accept-Language" in vietnamese.headers["Vary"]
    for header in ("en", "en-US,en;q=0.9", "fr;q=1, en;q=0.5"):
        english = client.get("/api/v1/khong-co", headers={"Accept-Language": header})
        assert english.json["title"] == "Not found.", header
        assert english.headers["Content-Language"] == "en"
    other = client.get("/api/v1/khong-co", headers={"Accept-Language": "fr"})
    assert other.json["title"] == "Không tìm thấy."
    fields = client.post("/api/v1/labels/status", json={}, headers={"Accept-Language": "en"})
    assert fields.json["errors"] == {"serials": ["Missing data for required field."]}
    vi = client.post("/api/v1/labels/status", json={})
    assert vi.json["errors"]["serials"] != ["Missing data for required field."]


def test_pages_keep_the_language_people_chose_whatever_the_browser_says(
    client: FlaskClient,
) -> None:
    page = client.get("/khong-co", headers={"Accept-Language": "en"})
    assert "Không tìm thấy" in page.get_data(as_text=True)
