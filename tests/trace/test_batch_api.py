"""The batches API as a mill's or retailer's system uses it: problem details on every
refusal, ownership on acceptance, the EPCIS export and capture over HTTP."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from registry.accounts.models import Organisation, User
from registry.db import db
from tests.accounts.test_api import bearer
from tests.conftest import Factory
from tests.trace.test_batches import grower, mill, rice_coproducts  # noqa: F401
from tests.verify.conftest import farm, verifier  # noqa: F401

RW = ("read", "write")


def tokens(app: Flask, make: Factory, grower, mill) -> tuple[dict[str, str], dict[str, str]]:
    org, _ = grower
    owner = db.session.scalar(db.select(User).where(User.organisation_id == org.id))
    assert owner is not None
    return bearer(app, owner, RW), bearer(app, make.user(mill), RW)


def test_paddy_is_drawn_milled_shipped_and_accepted_over_the_api(
    app: Flask,
    client: FlaskClient,
    make: Factory,
    grower,
    mill: Organisation,
) -> None:
    htx, miller = tokens(app, make, grower, mill)
    season = grower[1].code
    made = client.post(
        "/api/v1/batches",
        json={"lot_code": "lua-1", "draws": [{"season": season, "kg": 3000}]},
        headers=htx,
    )
    assert made.status_code == 201, made.json
    paddy = made.json
    assert paddy["lot_code"] == "LUA-1" and paddy["holder"] == grower[0].code
    over = client.post(
        "/api/v1/batches",
        json={"lot_code": "LUA-2", "draws": [{"season": season, "kg": 3601}]},
        headers=htx,
    )
    assert over.status_code == 422 and over.mimetype == "application/problem+json"
    assert "draws.0.kg" in over.json["errors"]
    sent = client.post(
        f"/api/v1/batches/{paddy['id']}/ship", json={"receiver": "MILL-1"}, headers=htx
    )
    assert sent.status_code == 201 and sent.json["status"] == "pending"
    assert client.get(f"/api/v1/batches/{paddy['id']}", headers=miller).status_code == 200
    assert [h["id"] for h in client.get("/api/v1/handovers", headers=miller).json] == [
        sent.json["id"]
    ]
    bad = client.post(
        f"/api/v1/handovers/{sent.json['id']}/answer", json={"accept": "maybe"}, headers=miller
    )
    assert bad.status_code == 422 and "accept" in bad.json["errors"]
    accepted = client.post(
        f"/api/v1/handovers/{sent.json['id']}/answer", json={"accept": True}, headers=miller
    )
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    rice = client.post(
        "/api/v1/batches/transform",
        json={
            "step": "milling",
            "lot_code": "GAO-1",
            "quantity_kg": 1950,
            "inputs": [{"batch": paddy["id"], "kg": 3000}],
            "coproducts": rice_coproducts(3000, 1950),
        },
        headers=miller,
    )
    assert rice.status_code == 201, rice.json
    assert rice.json["product_name"] == {"vi": "gạo trắng", "en": "milled rice"}
    assert rice.json["crop"] == "rice" and rice.json["derivation"]["allocation"] == "mass"
    assert rice.json["g_co2e_per_kg"] > paddy["g_co2e_per_kg"]
    export = client.get(f"/api/v1/batches/{rice.json['id']}/epcis", headers=miller)
    assert export.status_code == 200 and export.mimetype == "application/ld+json"
    assert len(export.json["epcisBody"]["eventList"]) == 4
    stranger = bearer(app, make.user(make.org(code="HTX-LA")), RW)
    hidden = client.get(f"/api/v1/batches/{rice.json['id']}/epcis", headers=stranger)
    assert hidden.status_code == 404 and hidden.mimetype == "application/problem+json"


def test_bad_inputs_are_problem_details_never_500(
    app: Flask,
    client: FlaskClient,
    make: Factory,
    grower,
    mill: Organisation,
) -> None:
    htx, _ = tokens(app, make, grower, mill)
    for body in (
        {"lot_code": "LÔ 1", "draws": [{"season": "X", "kg": 1}]},
        {"lot_code": "L", "gtin": "8934567890127", "draws": [{"season": "X", "kg": 1}]},
        {"lot_code": "L", "draws": []},
        {"lot_code": "L", "draws": [{"season": "X", "kg": -1}]},
        {"lot_code": "L", "draws": [{"season": "X", "kg": "NaN"}]},
        {"lot_code": "L", "draws": [{"season": "X", "kg": 0.0004}]},  # under a gram
        [],
    ):
        response = client.post("/api/v1/batches", json=body, headers=htx)
        assert response.status_code == 422, (body, response.json)
        assert response.json["errors"]
    capture = client.post(
        "/api/v1/epcis/capture", data="not json", headers=htx, content_type="application/json"
    )
    assert capture.status_code in (400, 422) and capture.mimetype == "application/problem+json"
    assert (
        client.post(
            "/api/v1/batches/99/split", json={"parts": [{"kg": 1}]}, headers=htx
        ).status_code
        == 422
    )


def test_less_than_a_gram_is_refused_on_the_field_and_documented(client: FlaskClient) -> None:
    """Masses are kept in whole grams: the schema refuses what would be stored as nothing,
    and the OpenAPI document says so (minimum 0.001 kg)."""
    spec = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    assert spec["SeasonDrawIn"]["properties"]["kg"]["minimum"] == 0.001
    assert spec["FieldIn"]["properties"]["area_ha"]["minimum"] == 0.0001


def test_a_retried_write_gets_its_first_answer_and_changes_nothing_more(
    app: Flask,
    client: FlaskClient,
    make: Factory,
    grower,
    mill: Organisation,
) -> None:
    """A mill's system that retries after a timeout sends the same Idempotency-Key: the
    batch is made, split and shipped once, each retry answered as the first time."""
    htx, _ = tokens(app, make, grower, mill)
    harvest = {"lot_code": "LUA-9", "draws": [{"season": grower[1].code, "kg": 1000}]}

    def twice(path: str, body: dict[str, object]) -> dict[str, object]:
        key = {**htx, "Idempotency-Key": f"retry-{path}"}
        first, again = (client.post(path, json=body, headers=key) for _ in range(2))
        assert first.status_code == again.status_code == 201, first.json
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.get_data() == first.get_data()
        return first.json

    paddy = twice("/api/v1/batches", harvest)
    parts = twice(f"/api/v1/batches/{paddy['id']}/split", {"parts": [{"kg": 400}]})
    sent = twice(f"/api/v1/batches/{parts[0]['id']}/ship", {"receiver": "MILL-1"})
    held = client.get("/api/v1/batches?all=1", headers=htx).json
    assert sorted(b["lot_code"] for b in held).count("LUA-9") == 1
    assert len(held) == 1 + len(parts)  # one paddy batch, one split
    pending = client.get("/api/v1/handovers", headers=htx).json
    assert [h["id"] for h in pending] == [sent["id"]]
