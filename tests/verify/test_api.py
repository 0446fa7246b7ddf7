"""The MRV API: public calculator, season results and reports with tokens."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from registry.verify import signing
from registry.verify.calc_schema import calc_from_json
from tests.accounts.test_api import bearer
from tests.conftest import Factory
from tests.verify.conftest import Farm
from tests.verify.test_cli import AWD


def test_the_public_calculator_runs_the_same_code(client: FlaskClient) -> None:
    response = client.post("/api/v1/mrv/calc", json=AWD)
    assert response.status_code == 200 and response.json == calc_from_json(AWD)
    bad = client.post("/api/v1/mrv/calc", json={**AWD, "cultivation_days": 0, "x": 1})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert {"cultivation_days", "x"} <= set(bad.json["errors"])


def test_an_area_or_yield_too_small_to_divide_by_is_a_422_not_infinity(
    client: FlaskClient,
) -> None:
    """JSON has no number past the largest float: the API once answered `Infinity`."""
    tiny = {**AWD, "area_ha": 5e-324, "yield_kg": 5e-324}
    response = client.post("/api/v1/mrv/calc", json=tiny)
    assert response.status_code == 422 and b"Infinity" not in response.data
    assert set(response.json["errors"]) == {"area_ha", "yield_kg"}
    small = client.post("/api/v1/mrv/calc", json={**AWD, "area_ha": 1e-9})
    assert small.status_code == 200 and b"Infinity" not in small.data


def test_a_farm_system_reads_results_and_submits_a_report(
    app: Flask, client: FlaskClient, farm: Farm
) -> None:
    auth = bearer(app, farm[1], scopes=("read", "write"))
    result = client.get(f"/api/v1/seasons/{farm[3].code}/result", headers=auth)
    assert result.status_code == 200 and result.json["result"]["reduction_pct"] > 0
    assert result.json["sources"]["water_regime"]
    made = client.post(
        "/api/v1/mrv/reports",
        headers=auth,
        json={"period_start": "2025-12-01", "period_end": "2026-04-30", "seasons": [farm[3].code]},
    )
    assert made.status_code == 201 and made.json["status"] == "draft"
    done = client.post(f"/api/v1/mrv/reports/{made.json['id']}/submit", headers=auth)
    assert done.status_code == 200 and done.json["status"] == "submitted"
    assert len(done.json["digest"]) == 64
    empty = client.post(
        "/api/v1/mrv/reports",
        headers=auth,
        json={"period_start": "2025-12-01", "period_end": "2026-04-30", "seasons": []},
    )
    assert empty.status_code == 422


def test_retried_report_submission_and_decision_are_written_once(
    app: Flask, client: FlaskClient, farm: Farm, verifier, make: Factory
) -> None:
    """A farm system and a verifier's tool that retry after a timeout send the same
    Idempotency-Key: one report, one submission, one approval, each retry answered as the
    first time (docs/api.md)."""
    htx = bearer(app, farm[1], scopes=("read", "write"))
    checker = bearer(app, make.user(verifier[0]), scopes=("read", "write"))

    def twice(path: str, body: dict[str, Any] | None, auth: dict[str, str]) -> Any:
        key = {**auth, "Idempotency-Key": f"retry-{path}"}
        first, again = (client.post(path, json=body, headers=key) for _ in range(2))
        assert first.status_code == again.status_code and first.status_code < 300, first.json
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.get_data() == first.get_data()
        return first.json

    period = {"period_start": "2025-12-01", "period_end": "2026-04-30"}
    report = twice("/api/v1/mrv/reports", {**period, "seasons": [farm[3].code]}, htx)
    twice(f"/api/v1/mrv/reports/{report['id']}/submit", None, htx)
    path = f"/api/v1/mrv/reports/{report['id']}"
    statement = client.post(
        f"{path}/statement", json={"decision": "approved", "kid": verifier[2]}, headers=checker
    ).json
    signature = signing.sign(statement, verifier[1])
    approval = twice(f"{path}/decision", {"statement": statement, "signature": signature}, checker)
    assert [r["id"] for r in client.get("/api/v1/mrv/reports", headers=htx).json] == [report["id"]]
    assert client.get("/api/v1/approvals").json["items"] == [
        client.get(f"/api/v1/approvals/{approval['id']}").json
    ]
