"""Problem types (RFC 9457 `type`): one stable URI for each kind of error the registry
answers, `<PUBLIC_BASE_URL>/problems/<slug>`, and a short page at that URI that says, in
the reader's language, what the error means and what to do (docs/api.md lists them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, render_template
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: Any  # a lazy string: rendered in the reader's language
    advice: Any


TYPES: dict[str, ProblemType] = {
    t.slug: t
    for t in (
        ProblemType(
            "bad-request",
            400,
            _l("The request is not valid."),
            _l("The request could not be read: check its syntax and the characters it holds."),
        ),
        ProblemType(
            "form-expired",
            400,
            _l("The form expired or did not come from this site."),
            _l("Go back, reload the page and send the form again."),
        ),
        ProblemType(
            "unauthorized",
            401,
            _l("Please sign in first."),
            _l(
                "Send an API token in the header `Authorization: Bearer <token>`; your "
                "organisation's administrator makes tokens on the API tokens page."
            ),
        ),
        ProblemType(
            "forbidden",
            403,
            _l("You are not allowed to do this."),
            _l(
                "The kind of your organisation, your role or the token's scopes do not allow "
                "this. Ask your organisation's administrator."
            ),
        ),
        ProblemType(
            "not-found",
            404,
            _l("Not found."),
            _l(
                "Nothing is found at this address, or it belongs to another organisation. "
                "Check the id or the code."
            ),
        ),
        ProblemType(
            "method-not-allowed",
            405,
            _l("This method is not allowed here."),
            _l("This address takes other methods: the Allow header lists them."),
        ),
        ProblemType(
            "conflict",
            409,
            _l("This conflicts with what the registry already holds."),
            _l("Read the current state of the record, then send the request again."),
        ),
        ProblemType(
            "request-in-progress",
            409,
            _l("A request with this Idempotency-Key is still being processed."),
            _l(
                "Wait a moment, then send the same request with the same key again: you will "
                "get its answer."
            ),
        ),
        ProblemType(
            "too-large",
            413,
            _l("The upload is too large."),
            _l("Send a smaller file: the API document gives each operation's limit."),
        ),
        ProblemType(
            "unsupported-type",
            415,
            _l("This content type is not supported."),
            _l("Send the body as JSON, or as multipart/form-data where a file is uploaded."),
        ),
        ProblemType(
            "invalid-fields",
            422,
            _l("Some fields are not valid."),
            _l("`errors` maps each field that is missing or not valid to its messages."),
        ),
        ProblemType(
            "invalid-rows",
            422,
            _l("Some fields are not valid."),
            _l(
                "The file has rows with errors and nothing was saved: `row_errors` names the "
                "sheet, the row and the column of each."
            ),
        ),
        ProblemType(
            "rule-broken",
            422,
            _l("The request breaks a rule of the registry."),
            _l(
                "The request is well formed but the registry's rules refuse it (a mass "
                "balance, a status, a date): `detail` and `errors` say which."
            ),
        ),
        ProblemType(
            "idempotency-key-reused",
            422,
            _l("This Idempotency-Key was already used for another request."),
            _l(
                "Make a new key for each new request; send a key again only with the same "
                "request, to retry it."
            ),
        ),
        ProblemType(
            "too-many-requests",
            429,
            _l("Too many requests; please wait a moment."),
            _l("Wait as long as the Retry-After header says, then try again."),
        ),
        ProblemType(
            "server-error",
            500,
            _l("Something went wrong on our side."),
            _l("The error is logged and will be looked at. Try again later."),
        ),
    )
}

BY_STATUS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found"}
BY_STATUS |= {405: "method-not-allowed", 409: "conflict", 413: "too-large"}
BY_STATUS |= {415: "unsupported-type", 422: "invalid-fields", 429: "too-many-requests"}
BY_STATUS |= {500: "server-error"}


def type_uri(slug: str | None) -> str:
    """The `type` of a problem of this kind. A status the registry never answers by itself
    (a 414 from the server, say) has no kind and stays `about:blank` (RFC 9457 §4.2.1)."""
    if slug not in TYPES:
        return "about:blank"
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/problems/{slug}"


bp = Blueprint("problems", __name__)


@bp.get("/problems/<slug>")
def explain(slug: str) -> str:
    """The human page at a problem type's URI."""
    found = TYPES.get(slug)
    if found is None:
        abort(404)
    return render_template("errors/problem.html", problem=found, uri=type_uri(slug))
