"""Integers past what the database holds are a 404 (in a path) or a 422 field message (in a
query or a body), never a 500 from the driver. The tests walk every URL rule and every
integer the OpenAPI document describes, so an endpoint added later is covered too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter, Rule
from werkzeug.test import TestResponse

from registry.accounts.models import OrgKind, User
from registry.validation import ID_MAX, INT_MAX, INT_MIN
from tests.accounts.test_api import bearer
from tests.conftest import Factory, login

HUGE = (INT_MAX + 1, 2**64, 10**30)
WIDE = (ID_MAX + 1, INT_MAX)  # fits a BIGINT, not an INTEGER id (32 bits on PostgreSQL)
KINDS = (OrgKind.PRODUCER, OrgKind.PROCESSOR, OrgKind.VERIFIER, OrgKind.AUTHORITY)


def int_rules(app: Flask) -> Iterator[tuple[Rule, str]]:
    """Every (rule, method) with an integer in its path."""
    for rule in app.url_map.iter_rules():
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule, method


def path_of(rule: Rule, number: int | None = None, past: int = 0) -> str:
    """The rule's path with `number` for every integer (by default its converter's bound,
    plus `past`) and `X` for anything else."""

    def fill(match: re.Match[str]) -> str:
        converter = rule._converters[match.group(1)]
        if not isinstance(converter, IntegerConverter):
            return "X"
        return str(number if number is not None else converter.max + past)

    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", fill, rule.rule)


def people(app: Flask, make: Factory) -> list[User]:
    return [make.user(make.org(kind=kind)) for kind in KINDS]


def test_the_walk_finds_the_routes_of_the_issue(app: Flask) -> None:
    found = {re.sub(r"<[^<>]*?([^:<>]+)>", r"{\1}", rule.rule) for rule, _ in int_rules(app)}
    for known in (
        "/api/v1/approvals/{approval_id}",
        "/log/entries/{index}",
        "/api/v1/confirmations/{confirmation_id}",
        "/api/v1/batches/{batch_id}",
        "/api/v1/batches/{batch_id}/epcis",
        "/api/v1/handovers/{handover_id}/answer",
        "/api/v1/labels/requests/{request_id}/issue",
        "/api/v1/mrv/reports/{report_id}/submit",
        "/labels/requests/{request_id}",
        "/labels/print/{job_id}",
    ):
        assert known in found


def test_a_path_integer_past_the_database_range_is_a_404(
    app: Flask, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients = [app.test_client()]
    for user in people(app, make):
        signed_in = app.test_client()
        login(signed_in, user)
        clients.append(signed_in)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # the views, not the forms
    token = bearer(app, make.user(make.org()), scopes=("read", "write"))
    for rule, method in int_rules(app):
        for path in [path_of(rule, past=1), *(path_of(rule, n) for n in HUGE)]:
            for client in clients:
                response = client.open(path, method=method, headers=token)
                assert response.status_code == 404, (method, path, response.status_code)
                if path.startswith(("/api/", "/log/")):
                    assert response.mimetype == "application/problem+json"


def test_a_path_integer_at_the_bound_reaches_the_view_and_no_500(
    app: Flask, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The largest number a route takes matches it: the view looks it up (on PostgreSQL
    too, where record ids are 32-bit columns) and answers with a 4xx."""
    signed_in = []
    for user in people(app, make):
        client = app.test_client()
        login(client, user)
        signed_in.append((client, bearer(app, user, scopes=("read", "write"))))
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    for client, token in signed_in:
        for rule, method in int_rules(app):
            response = client.open(path_of(rule), method=method, headers=token)
            assert 300 <= response.status_code < 500, (method, rule.rule, response.status_code)


# ---------------------------------------------------------------- queries and bodies
def api_document(client: FlaskClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/api/v1/openapi.json").get_json()
    return document


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def integer_paths(
    document: dict[str, Any], schema: dict[str, Any], path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """(where, schema) of every integer inside a JSON body schema; lists as their item 0."""
    schema = resolve(document, schema)
    kind = schema.get("type")
    if kind == "integer":
        yield path, schema
    elif kind == "array" and "items" in schema:
        yield from integer_paths(document, schema["items"], (*path, 0))
    for name, inner in schema.get("properties", {}).items():
        if not inner.get("readOnly"):
            yield from integer_paths(document, inner, (*path, name))


def body_with(path: tuple[str | int, ...], value: int) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    return [body_with(rest, value)] if head == 0 else {head: body_with(rest, value)}


def mentions(errors: Any, path: tuple[str | int, ...]) -> bool:
    """Whether problem details' `errors` has a message at `path` (list index as "0")."""
    for part in path:
        if not isinstance(errors, dict):
            return False
        errors = errors.get(str(part))
    return bool(errors)


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield method, path, operation


def integer_inputs(document: dict[str, Any]) -> Iterator[tuple[str, str, str, tuple[Any, ...]]]:
    """(method, URL, where, field path) of every integer a query or a JSON body can carry;
    path parameters are 1 (integers) or X, so that only the field under test is wrong."""
    for method, path, operation in operations(document):
        url = re.sub(r"{(\w+)}", lambda m: "1" if m.group(1).endswith("_id") else "X", path)
        for parameter in operation.get("parameters", []):
            schema = resolve(document, parameter["schema"])
            if parameter["in"] == "query" and schema.get("type") == "integer":
                yield method, url, "query", (parameter["name"],)
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            for where, _ in integer_paths(document, content["application/json"]["schema"]):
                yield method, url, "json", where


def test_the_document_bounds_every_integer_a_request_carries(client: FlaskClient) -> None:
    document = api_document(client)
    checked = 0
    for method, path, operation in operations(document):
        parameters = [*document["paths"][path].get("parameters", [])]
        schemas = [p["schema"] for p in [*parameters, *operation.get("parameters", [])]]
        for body in operation.get("requestBody", {}).get("content", {}).values():
            schemas += [s for _, s in integer_paths(document, body["schema"])]
        for schema in schemas:
            schema = resolve(document, schema)
            if schema.get("type") == "integer":
                checked += 1
                assert INT_MIN <= schema.get("minimum", INT_MIN - 1), (method, path, schema)
                assert schema.get("maximum", INT_MAX + 1) <= INT_MAX, (method, path, schema)
    assert checked > 20


def test_a_query_or_body_integer_past_the_range_is_a_422_naming_the_field(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    document = api_document(client)
    tokens = [bearer(app, u, scopes=("read", "write", "exchange")) for u in people(app, make)]
    inputs = list(integer_inputs(document))
    assert {("post", "/api/v1/labels/requests", "json", ("batch",))} <= set(inputs)
    for method, path, where, field in inputs:
        for number in WIDE:  # a number the field may take must not break the database
            for token in tokens:
                response = send(client, method, path, where, field, number, token)
                assert response.status_code < 500, (method, path, field, number)
        for number in (*HUGE, -(2**64)):
            named = False
            for token in tokens:
                response = send(client, method, path, where, field, number, token)
                assert response.status_code < 500, (method, path, field, response.status_code)
                if response.status_code == 422:
                    assert response.mimetype == "application/problem+json"
                    named = named or mentions(response.json.get("errors"), field)
            assert named, (method, path, field, number)


def send(
    client: FlaskClient,
    method: str,
    path: str,
    where: str,
    field: tuple[Any, ...],
    number: int,
    token: dict[str, str],
) -> TestResponse:
    if where == "query":
        return client.open(path, method=method, query_string={field[0]: number}, headers=token)
    return client.open(path, method=method, json=body_with(field, number), headers=token)
