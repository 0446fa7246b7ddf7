"""Every failure is a clear 4xx (problem details for machines, a localised page for people),
and an unexpected one is a 500 that leaks nothing."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from registry import create_app
from tests.conftest import csrf_token


def test_unknown_page_is_a_localised_404(client: FlaskClient) -> None:
    response = client.get("/khong-co")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Không tìm thấy" in response.get_data(as_text=True)


def test_unknown_api_path_is_a_problem(client: FlaskClient) -> None:
    response = client.get("/api/v1/khong-co")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404 and response.json["type"] == "about:blank"


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
