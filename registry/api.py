"""The `/api/v1` JSON API: a flask-smorest `Api` per app, building the OpenAPI document
from the marshmallow schemas of every domain's `api.py`."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api, Blueprint
from flask_wtf.csrf import CSRFProtect

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def _blueprints() -> list[Blueprint]:
    from registry.accounts.api import blp as accounts
    from registry.labels.api import blp as labels
    from registry.reports.api import blp as reports
    from registry.trace.api import blp as trace
    from registry.trace.batch_api import blp as batch_api
    from registry.trace.import_api import blp as trace_import
    from registry.verify.api import blp as verify
    from registry.verify.approvals_api import blp as approvals

    return [accounts, trace, trace_import, batch_api, verify, approvals, labels, reports]


def init_app(app: Flask, csrf: CSRFProtect) -> Api:
    """Register every domain's API blueprint; they authenticate with bearer tokens, not
    cookies, so they are exempt from CSRF."""

    api = Api(
        app,
        spec_kwargs={
            "info": {
                "description": "Public and partner API of the Low-Emission Label Registry. "
                "Errors are RFC 9457 problem details (application/problem+json)."
            },
            "servers": [{"url": app.config["PUBLIC_BASE_URL"]}],
        },
    )
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "API token (ptt_…)"}
    )
    for blp in _blueprints():
        csrf.exempt(blp)
        api.register_blueprint(blp, url_prefix="/api/v1")
    return api
