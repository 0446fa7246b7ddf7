"""The `/api/v1` JSON API: a flask-smorest `Api` per app, building the OpenAPI document
from the marshmallow schemas of every domain's `api.py`, and the conventions every operation
shares (DESIGN.md §8, docs/api.md): errors are problem details, the token is checked before
the query and the body are read, and the document states the limits the server enforces."""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from flask import Flask
from flask_smorest import Api, Blueprint
from flask_wtf.csrf import CSRFProtect
from marshmallow import fields, validate

from registry.accounts.access import check_access_first
from registry.accounts.schemas import ProblemSchema
from registry.errors import PROBLEM_JSON

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
BINARY = {"type": "string", "format": "binary"}  # the schema of a body sent as it is (an image)
TEXT = {"type": "string"}
JSON = "application/json"


class RegistryApi(Api):
    """flask-smorest's Api, with its shared error responses (`NOT_FOUND`, `DEFAULT_ERROR`…)
    documented as the problem details the error handlers send."""

    ERROR_SCHEMA = ProblemSchema


class ProblemDetailsPlugin(BasePlugin):
    """Documents errors as the server sends them: every 4xx and 5xx body, shared or not, is
    `application/problem+json`; an operation that takes a token can answer 401 and 403, and
    one with a path parameter 404 (an unknown or out-of-range id)."""

    def response_helper(self, response: dict[str, Any], **kwargs: Any) -> None:
        _as_problem(response)  # the shared responses are errors only

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                if str(status)[0] in "45" and isinstance(response, dict):
                    _as_problem(response)
            if operation.get("security"):
                _add(responses, 401, "UNAUTHORIZED")
                _add(responses, 403, "FORBIDDEN")
            if "{" in (path or ""):
                _add(responses, 404, "NOT_FOUND")


def _add(responses: dict[Any, Any], status: int, shared: str) -> None:
    """Document `status` as the shared response unless the operation documents it itself
    (flask-smorest keys responses by int or str as its decorators were given them)."""
    if not any(str(key) == str(status) for key in responses):
        responses[str(status)] = shared


def _as_problem(response: dict[str, Any]) -> None:
    content = response.get("content", {})
    if JSON in content:
        content[PROBLEM_JSON] = content.pop(JSON)


def exclusive_bounds(self: Any, field: fields.Field, ret: dict[str, Any], **_: Any) -> dict:
    """apispec writes a `Range(min_inclusive=False)` as a plain `minimum`; OpenAPI 3.0 says
    the bound itself is refused with `exclusiveMinimum: true` (likewise for the maximum)."""
    found: dict[str, bool] = {}
    for rule in field.validators:
        if not isinstance(rule, validate.Range):
            continue
        if rule.min is not None and not rule.min_inclusive and ret.get("minimum") == rule.min:
            found["exclusiveMinimum"] = True
        if rule.max is not None and not rule.max_inclusive and ret.get("maximum") == rule.max:
            found["exclusiveMaximum"] = True
    return found


def empty_as_absent(self: Any, field: fields.Field, ret: dict[str, Any], **_: Any) -> dict:
    """A query schema that reads an empty value as an absent one (`EMPTY_IS_ABSENT`, as the
    forms' query schemas do: an empty choice means 'any') says so with `allowEmptyValue`."""
    if ret.get("in") == "query" and getattr(field.parent, "EMPTY_IS_ABSENT", False):
        return {"allowEmptyValue": True}
    return {}


def _add_converters(app: Flask, api: Api) -> None:
    """The API's own path converters, before its routes are added."""
    from registry.labels.schemas import SerialConverter, serial_parameter

    app.url_map.converters["serial"] = SerialConverter
    api.register_converter(SerialConverter, serial_parameter)


def _blueprints() -> list[Blueprint]:
    from registry.accounts.api import blp as accounts
    from registry.jobs.api import blp as jobs
    from registry.labels.api import blp as labels
    from registry.reports.api import blp as reports
    from registry.trace.api import blp as trace
    from registry.trace.batch_api import blp as batch_api
    from registry.trace.import_api import blp as trace_import
    from registry.verify.api import blp as verify
    from registry.verify.approvals_api import blp as approvals

    return [accounts, trace, trace_import, batch_api, verify, approvals, labels, reports, jobs]


def init_app(app: Flask, csrf: CSRFProtect) -> Api:
    """Register every domain's API blueprint; they authenticate with bearer tokens, not
    cookies, so they are exempt from CSRF."""

    api = RegistryApi(
        app,
        spec_kwargs={
            "info": {
                "description": "Public and partner API of the Low-Emission Label Registry. "
                "Errors are RFC 9457 problem details (application/problem+json) whose `type` "
                "names the kind of error; their `title` and `detail` follow Accept-Language "
                "(vi, the default, or en). Integers in paths, queries and bodies are held to "
                "the signed 64-bit range, or to the tighter range each one states."
            },
            "servers": [{"url": app.config["PUBLIC_BASE_URL"]}],
            "extra_plugins": [ProblemDetailsPlugin()],
        },
    )
    api.ma_plugin.converter.add_attribute_function(exclusive_bounds)
    api.ma_plugin.converter.add_parameter_attribute_function(empty_as_absent)
    _add_converters(app, api)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "API token (ptt_…)"}
    )
    app.before_request(check_access_first)
    for blp in _blueprints():
        csrf.exempt(blp)
        api.register_blueprint(blp, url_prefix="/api/v1")
    return api
