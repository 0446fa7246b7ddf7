"""GET /calculator: the public emissions calculator (issue 23). A GET form that submits to
itself, so the address is the shareable link that reproduces the figures; no sign-in, no
script, nothing stored or logged (the answer is marked no-store, so no shared cache keeps
it either). Bad input is answered 422 with a message beside each field."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as BaseResponse

from registry.calculator import service
from registry.calculator.data import units
from registry.limits import limiter, limits_off
from registry.verify.methodology import CLIMATES, PRESEASONS, WATER_REGIMES
from registry.verify.words import INPUTS, VALUES

bp = Blueprint("calculator", __name__)
PER_ADDRESS = "60 per minute"  # each result runs the calculator up to five times
AREA_NEEDED = _l("Enter the area of the field.")


@bp.get("/calculator")
@limiter.limit(PER_ADDRESS, exempt_when=limits_off)
def page() -> BaseResponse:
    args = request.args
    choices = service.crop_choices()
    crop = args.get("crop", choices[0].code)
    known = {c.code: c for c in choices}
    errors: service.Errors = {}
    outcome = None
    if crop not in known:
        errors["crop"] = [str(service.CHOOSE)]
        crop = choices[0].code
    elif "area" in args:  # the form was submitted
        outcome, errors = _compute(args)
    kind = service.kind_of(crop)
    html = render_template(
        "calculator/page.html",
        args=args,
        crop=known[crop],
        kind=kind,
        choices=choices,
        errors=errors,
        outcome=outcome,
        u=units(),
        takes=lambda name: service.takes(kind, name),
        options=_options(kind),
        inputs=INPUTS,
    )
    response = Response(html, status=422 if errors else 200, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _options(kind: str) -> dict[str, list[tuple[str, Any]]]:
    """The choices of each coded field, in words."""
    found = {
        name: [(code, VALUES[code]) for code in codes]
        for name, codes in (
            ("water", WATER_REGIMES),
            ("preseason", PRESEASONS),
            ("climate", CLIMATES),
        )
    }
    found["residue"] = [(code, how.name) for code, how in service.handling(kind).items()]
    return found


def _compute(args: Any) -> tuple[service.Outcome | None, service.Errors]:
    """The outcome of the submitted form, or the messages by field (a unit's beside its
    amount)."""
    try:
        if not str(args.get("area", "")).strip():
            raise service.EntryProblems({"area": [str(AREA_NEEDED)]})
        return service.calculate(service.read_entry(args)), {}
    except service.EntryProblems as exc:
        shown: service.Errors = {}
        for name, messages in exc.errors.items():
            shown.setdefault(name.removesuffix("_unit"), []).extend(messages)
        return None, shown
