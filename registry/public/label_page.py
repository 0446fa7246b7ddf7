"""The label page at the address in the QR code (DESIGN.md §5; the marker of §7).

The verdict comes first and is decided here, on the server, from the token in the URL
(checked against the registry's own trust list) and the label's record now; then the
chain behind the batch. The page needs no script, loads nothing from elsewhere and
stays far under 60 KB. Each opening is counted by day and coarse locale (scans.py)."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from registry.db import db, utcnow
from registry.keys import keystore
from registry.labels.status import REASONS
from registry.ledger import service as ledger
from registry.public import records, scans
from registry.public.chain import Chain, chain_of
from registry.public.verdict import Judgement, Verdict, judge, trust_list
from registry.trace.geo import MapFeature, svg_map
from registry.trace.labels import (
    OPTION_LABELS,
    PRODUCT_LABELS,
    SCHEME_LABELS,
    SEASON_LABELS,
    STEP_LABELS,
)
from registry.trace.service import today_in_vietnam
from registry.verify.chart import gas_bars

bp = Blueprint("label_page", __name__)

STATUS = {Verdict.UNKNOWN: 404, Verdict.INVALID: 400}  # the others are answers, 200


@bp.get("/l/<serial>")
def short_form(serial: str) -> ResponseReturnValue:
    """`/l/{SERIAL}?le={TOKEN}`; without a token there is nothing to verify, so the
    register's record of the serial answers."""
    if "le" not in request.args:
        return redirect(url_for("register.label", serial=serial), 307)
    return show()


def _label_url() -> str:
    """The URL as the QR holds it: this path and its token(s), nothing else of the query."""
    tokens = "&".join(f"le={t}" for t in request.args.getlist("le"))
    return f"{request.host_url.rstrip('/')}{request.path.rstrip('/')}?{tokens}"


def show(link_header: str | None = None) -> Response:
    """The label page for the current request's URL (either form)."""
    now = utcnow()
    found = judge(
        _label_url(),
        trust_list(keystore().published("label")),
        partial(records.label_by_serial, db.session),
        now,
    )
    label = found.label
    chain = chain_of(db.session, label.batch_id) if label is not None else None
    page = render_template(
        "public/label.html",
        found=found,
        label=label,
        log_size=ledger.size(db.session) if label is not None else None,
        reason=_reason(found),
        **chain_context(chain),
    )
    if label is not None:
        locale = scans.coarse_locale(request.headers.get("Accept-Language"))
        scans.record(db.session, label.id, today_in_vietnam(), locale)
    db.session.commit()
    response = make_response(page, STATUS.get(found.verdict, 200))
    response.headers["Cache-Control"] = "no-cache"  # a revocation shows at once
    response.vary.add("Cookie")  # the language
    if link_header:
        response.headers["Link"] = link_header
    return response


def _reason(found: Judgement) -> str | None:
    """Why, in the reader's language (token reasons here, status reasons from labels)."""
    if found.reason is None:
        return None
    if found.reason in REASONS:
        return str(REASONS[found.reason])
    texts = {
        "bad_encoding": _("The code in the QR is damaged or is not a label of this registry."),
        "bad_header": _("The code in the QR is not a label of this registry."),
        "bad_claims": _("The code in the QR is not a label of this registry."),
        "unknown_key": _("It was signed with a key this registry does not trust."),
        "bad_signature": _("Its signature does not match: the label was changed or forged."),
        "not_yet_valid": _("It says it was issued in the future."),
        "bad_url": _("This address is not a label address."),
        "url_mismatch": _(
            "The serial, lot or GTIN in the address differ from the signed ones: the label "
            "was altered or swapped."
        ),
        "not_as_issued": _("It is not the code the registry issued for this serial."),
        "not_found": _("The registry holds no label with this serial."),
    }
    return texts.get(found.reason)


def chain_context(chain: Chain | None) -> dict[str, Any]:
    """What templates/public/_chain.html needs besides the chain: its map, its charts and
    the names of the trace vocabulary."""
    return {
        "chain": chain,
        "field_map": _field_map(chain) if chain else "",
        "charts": _charts(chain) if chain else {},
        "products": PRODUCT_LABELS,
        "seasons": SEASON_LABELS,
        "steps": STEP_LABELS,
        "options": OPTION_LABELS,
        "schemes": SCHEME_LABELS,
    }


def _field_map(chain: Chain) -> Markup:
    features = [
        MapFeature(f.code, f"{f.code} · {f.commune}", f"#field-{f.code}", f.geometry)
        for f in chain.fields
    ]
    return Markup(svg_map(features, width=320, height=200))  # svg_map escapes every text


def _number(value: float) -> str:
    return str(format_decimal(value, "#,##0"))


def _charts(chain: Chain) -> dict[str, Markup]:
    return {
        s.code: gas_bars(
            s.result, (_("This season"), "2020"), _("Emissions by gas, kg CO₂e per ha"), _number
        )
        for s in chain.seasons
        if s.result is not None
    }
