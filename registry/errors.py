"""One place that turns every failure into a clear answer.

API requests (under `/api/`, `/log/`, `/.well-known/`) get RFC 9457 problem details;
pages get a friendly, localised error page. Services raise `DomainError` subclasses and
never know which of the two the caller will see.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, current_app, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from registry import problems
from registry.db import db
from registry.validation import localise

PROBLEM_JSON = "application/problem+json"
MACHINE_PREFIXES = ("/api/", "/log/", "/.well-known/")


class DomainError(Exception):
    """A rule of the registry was broken; `status` says which 4xx the caller gets."""

    status = 422
    slug: str | None = None  # its problem type (registry/problems.py); else the status's
    title: Any = _l("The request breaks a rule of the registry.")

    def __init__(self, detail: Any = None, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(str(detail or self.title))
        self.detail = detail
        self.errors = errors or {}

    @property
    def kind(self) -> str | None:
        """A refusal the request was well formed for is `rule-broken`, not `invalid-fields`."""
        return self.slug or ("rule-broken" if self.status == 422 else None)


class NotFound(DomainError):
    status = 404
    title = _l("Not found.")


class Forbidden(DomainError):
    status = 403
    title = _l("You are not allowed to do this.")


class Conflict(DomainError):
    status = 409
    title = _l("This conflicts with what the registry already holds.")


def wants_problem_json() -> bool:
    return request.path.startswith(MACHINE_PREFIXES) or (
        request.accept_mimetypes.best in ("application/json", PROBLEM_JSON)
    )


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    *,
    slug: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """An RFC 9457 problem details response; `errors` maps field names to messages, `slug`
    names the problem type (the status's own kind by default) and `extra` adds members.
    Title and detail are in the caller's language, which Content-Language names."""
    kind = problems.type_uri(slug or problems.BY_STATUS.get(status))
    body: dict[str, Any] = {"type": kind, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = jsonify({**body, **(extra or {})})
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    response.headers.update(headers or {})
    response.headers["Content-Language"] = str(get_locale())
    response.vary.add("Accept-Language")
    return response


def _page(status: int, title: str, detail: str | None) -> tuple[str, int]:
    return render_template("errors/error.html", status=status, title=title, detail=detail), status


def _field_errors(exc: HTTPException) -> dict[str, Any]:
    """Field messages that webargs (flask-smorest) attached to a 422, flattened by location."""
    messages = (getattr(exc, "data", None) or {}).get("messages", {})
    flat: dict[str, Any] = {}
    for by_field in messages.values():
        if isinstance(by_field, dict):
            flat.update(by_field)
    return localise(flat)


def handle_http(exc: HTTPException) -> Response | tuple[str, int]:
    status = exc.code or 500
    title = str(STATUS_TITLES.get(status, exc.name))
    csrf = isinstance(exc, CSRFError)
    detail = str(CSRF_DETAIL) if csrf else None
    if wants_problem_json():
        headers = dict(exc.get_response().headers) if status in (401, 405) else {}
        headers.pop("Content-Type", None)
        headers.pop("Content-Length", None)
        slug = "form-expired" if csrf else None
        return problem(status, title, detail, _field_errors(exc) or None, headers, slug=slug)
    return _page(status, title, detail)


def handle_domain(exc: DomainError) -> Response | tuple[str, int]:
    db.session.rollback()
    title = str(exc.title)
    detail = str(exc.detail) if exc.detail else None
    if wants_problem_json():
        return problem(exc.status, title, detail, localise(exc.errors) or None, slug=exc.kind)
    return _page(exc.status, title, detail)


def handle_validation(exc: ValidationError) -> Response | tuple[str, int]:
    db.session.rollback()
    title = str(STATUS_TITLES[422])
    raw = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    errors = localise(raw)
    if wants_problem_json():
        return problem(422, title, None, errors)
    return _page(422, title, "; ".join(f"{k}: {v}" for k, v in errors.items()))


def handle_unexpected(exc: Exception) -> Response | tuple[str, int]:
    """Last resort: log it, roll back, and answer 500 without leaking internals."""
    db.session.rollback()
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    title = str(STATUS_TITLES[500])
    if wants_problem_json():
        return problem(500, title)
    return _page(500, title, None)


CSRF_DETAIL = _l(
    "The form expired or did not come from this site. Go back, reload the page and send it again."
)

STATUS_TITLES: dict[int, Any] = {
    400: _l("The request is not valid."),
    401: _l("Please sign in first."),
    403: _l("You are not allowed to do this."),
    404: _l("Not found."),
    405: _l("This method is not allowed here."),
    409: _l("This conflicts with what the registry already holds."),
    413: _l("The upload is too large."),
    415: _l("This content type is not supported."),
    422: _l("Some fields are not valid."),
    429: _l("Too many requests; please wait a moment."),
    500: _l("Something went wrong on our side."),
}


def reject_nul_bytes() -> None:
    """NUL characters are never meaningful input, and PostgreSQL refuses them in text."""
    values = [*request.args.values(), *request.form.values()]
    if any("\x00" in v for v in values) or "\x00" in request.path:
        abort(400)


def init_app(app: Flask) -> None:
    app.register_blueprint(problems.bp)
    app.before_request(reject_nul_bytes)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(DomainError, handle_domain)
    app.register_error_handler(ValidationError, handle_validation)
    app.register_error_handler(Exception, handle_unexpected)
