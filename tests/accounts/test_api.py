from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from registry.accounts import service
from registry.accounts.models import OrgKind, User
from registry.db import db
from tests.conftest import Factory


def bearer(app: Flask, user: User, scopes: tuple[str, ...] = ("read",)) -> dict[str, str]:
    with app.app_context():
        owner = db.session.get(User, user.id)
        assert owner is not None
        _, secret = service.create_token(db.session, user=owner, name="api", scopes=scopes)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_me_names_the_tokens_organisation(app: Flask, client: FlaskClient, make: Factory) -> None:
    org = make.org(code="HTX-DOSON", name="HTX Dịch vụ Nông nghiệp Đồ Sơn")
    response = client.get("/api/v1/me", headers=bearer(app, make.user(org)))
    assert response.status_code == 200
    assert response.json == {
        "organisation": {
            "code": "HTX-DOSON",
            "name": "HTX Dịch vụ Nông nghiệp Đồ Sơn",
            "kind": "producer",
            "province": "Hải Phòng",
            "commune": "phường Đồ Sơn",
        },
        "user": response.json["user"],
        "scopes": ["read"],
    }


def test_missing_or_bad_tokens_get_a_401_problem_with_a_challenge(client: FlaskClient) -> None:
    for headers in ({}, {"Authorization": "Bearer ptt_nope"}, {"Authorization": "Basic eDp5"}):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == 401 and response.json["title"]
        assert response.headers["WWW-Authenticate"].lower().startswith("bearer")


def test_a_token_without_the_scope_gets_403(app: Flask, client: FlaskClient, make: Factory) -> None:
    headers = bearer(app, make.user(make.org()), scopes=("write",))
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 403 and response.mimetype == "application/problem+json"


def test_token_listing_shows_only_the_callers_organisation(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    mine = make.user(make.org())
    theirs = make.user(make.org(kind=OrgKind.RETAILER))
    bearer(app, theirs)
    response = client.get("/api/v1/tokens", headers=bearer(app, mine))
    assert response.status_code == 200
    assert len(response.json) == 1 and "token_hash" not in response.json[0]


def test_organisation_directory_is_public_and_validates_its_filter(
    client: FlaskClient, make: Factory
) -> None:
    make.org(kind=OrgKind.VERIFIER, code="VER-1")
    make.org(kind=OrgKind.PRODUCER)
    listed = client.get("/api/v1/organisations?kind=verifier")
    assert [o["code"] for o in listed.json] == ["VER-1"]
    bad = client.get("/api/v1/organisations?kind=farmer")
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert "kind" in bad.json["errors"]
    missing = client.get("/api/v1/organisations/NOPE")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_the_api_does_not_take_session_cookies_as_credentials(
    client: FlaskClient, make: Factory
) -> None:
    from tests.conftest import login

    login(client, make.user(make.org()))
    assert client.get("/api/v1/me").status_code == 401


def test_openapi_document_describes_the_api(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/me", "/api/v1/organisations", "/api/v1/tokens"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "Organisation" in spec["components"]["schemas"]
