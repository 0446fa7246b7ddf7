"""The OpenAPI document at /api/v1/openapi.json describes the API as it answers (DESIGN.md §8,
docs/api.md): errors as problem details, limits as the server keeps them, no dangling
reference, the token checked before the fields. tests/test_api_fuzz.py fuzzes it whole;
these pin what issue 17 found."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from registry.errors import PROBLEM_JSON
from tests.accounts.test_api import bearer
from tests.conftest import Factory


def document(client: FlaskClient) -> dict[str, Any]:
    found: dict[str, Any] = client.get("/api/v1/openapi.json").get_json()
    return found


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield method, path, operation


def pointer(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    found: Any = doc
    for part in ref[2:].split("/"):
        found = found[part]
    return found


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def example_url(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: "1" if m.group(1).endswith("_id") else "ABCDEFGH", path)


def test_every_reference_resolves(client: FlaskClient) -> None:
    doc = document(client)
    for ref in refs(doc):
        assert pointer(doc, ref) is not None  # KeyError for the marshmallow repr of old


def test_every_error_is_documented_as_problem_details(client: FlaskClient) -> None:
    doc = document(client)
    checked = 0
    for method, path, operation in operations(doc):
        for status, response in operation["responses"].items():
            if status == "default" or status[0] in "45":
                response = pointer(doc, response["$ref"]) if "$ref" in response else response
                assert set(response["content"]) == {PROBLEM_JSON}, (method, path, status)
                checked += 1
    assert checked > 100


def test_every_success_has_its_body_documented(client: FlaskClient) -> None:
    for method, path, operation in operations(document(client)):
        successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert successes, (method, path)
        for status, response in successes.items():
            assert response.get("content"), (method, path, status)


def test_the_revocation_list_has_its_body_documented(client: FlaskClient) -> None:
    doc = document(client)
    ok = doc["paths"]["/api/v1/revocations"]["get"]["responses"]["200"]
    body = pointer(doc, ok["content"]["application/json"]["schema"]["$ref"])
    assert set(body["properties"]) == {"iss", "iat", "revoked"}
    assert set(client.get("/api/v1/revocations").json) == {"iss", "iat", "revoked"}
    cose = doc["paths"]["/api/v1/revocations.cose"]["get"]["responses"]["200"]
    assert set(cose["content"]) == {"application/cose"}


def test_a_bound_the_server_refuses_is_exclusive(client: FlaskClient) -> None:
    doc = document(client)
    area = doc["components"]["schemas"]["CalcInput"]["properties"]["area_ha"]
    assert area["minimum"] == 0 and area["exclusiveMinimum"] is True
    stored = doc["components"]["schemas"]["FieldIn"]["properties"]["area_ha"]  # whole m²
    assert stored["minimum"] == 0.0001 and "exclusiveMinimum" not in stored
    units = doc["components"]["schemas"]["RequestIn"]["properties"]["units"]
    assert units["minimum"] == 0 and "exclusiveMinimum" not in units


def test_a_protected_operation_without_a_token_is_a_401_before_its_fields(
    client: FlaskClient,
) -> None:
    """A body or query full of mistakes and no token: 401 problem details with a challenge,
    never the field errors (which would tell a stranger what the endpoint expects)."""
    doc = document(client)
    protected = 0
    for method, path, operation in operations(doc):
        response = client.open(
            example_url(path),
            method=method,
            json={"nonsense": [1, 2, 3]},
            query_string={"limit": "many", "since": "-1", "cursor": "x"},
        )
        if operation.get("security"):
            protected += 1
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.mimetype == PROBLEM_JSON
            assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
            assert "errors" not in response.json
        else:
            assert response.status_code != 401, (method, path)
    assert protected > 30


def test_the_wrong_kind_of_organisation_is_a_403_before_the_fields(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    retailer = bearer(app, make.user(make.org(kind="retailer")), scopes=("read", "write"))
    response = client.post("/api/v1/fields", json={"nonsense": 1}, headers=retailer)
    assert response.status_code == 403 and "errors" not in response.json


def test_a_serial_path_takes_serials_only(client: FlaskClient) -> None:
    """`/labels/{serial}` no longer swallows `/labels/status`: its Allow header is true."""
    doc = document(client)
    pattern = doc["paths"]["/api/v1/labels/{serial}"]["parameters"][0]["schema"]["pattern"]
    assert re.search(pattern, "7K3M9QXA") and re.search(pattern, "7k3m9qxa")
    assert not any(re.search(pattern, word) for word in ("status", "requests", "ABCDEFGHJ"))
    allow = client.options("/api/v1/labels/status").headers["Allow"]
    assert set(allow.split(", ")) == {"OPTIONS", "POST"}
    assert client.get("/api/v1/labels/ABCDEFGH").status_code == 404
    assert client.get("/api/v1/labels/abcdefgh").status_code == 404
    assert client.get("/api/v1/labels/TOO-LONG-1").status_code == 404
