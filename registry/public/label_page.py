"""The label page at the address in the QR code (DESIGN.md §5; the marker of §7).

The verdict comes first and is decided here, on the server, from the token in the URL
(checked against the registry's own trust list) and the label's record now; then the
chain behind the batch. The page needs no script, loads nothing from elsewhere and
stays far under 60 KB. Each opening is counted by day, coarse locale and province
(scans.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from flask import (
    Blueprint,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import aliased
from werkzeug.wrappers import Response

from registry import crops
from registry.accounts.models import Organisation
from registry.db import db, utcnow
from registry.keys import keystore
from registry.labels.models import Label
from registry.labels.status import REASONS
from registry.ledger import service as ledger
from registry.links import fixed_url
from registry.numbers import whole
from registry.public import records, scans
from registry.public.chain import Chain, Shape, chain_of, shape_of, stamp
from registry.public.fragments import Fragments
from registry.public.story import chain_story, story
from registry.public.verdict import Judgement, Recorded, Verdict, judge, trust_list
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

VIETNAM_OFFSET = timedelta(hours=7)  # Asia/Ho_Chi_Minh all year: Vietnam keeps no summer time

bp = Blueprint("label_page", __name__)
bp.add_app_template_global(fixed_url)  # the public pages' constant links (_page.html)

STATUS = {Verdict.UNKNOWN: 404, Verdict.INVALID: 400}  # the others are answers, 200


@bp.get("/l/<serial>")
def short_form(serial: str) -> ResponseReturnValue:
    """`/l/{SERIAL}?le={TOKEN}`; without a token there is nothing to verify, so the
    register's record of the serial answers, and for a serial the registry does not hold
    (typed from a label, or mistyped) this page with the `unknown` verdict."""
    if "le" in request.args:
        return show()
    if records.label_by_serial(db.session, serial) is None:
        return unknown()
    return redirect(url_for("register.label", serial=serial), 307)


def _label_url() -> str:
    """The URL as the QR holds it: this path and its token(s), nothing else of the query."""
    tokens = "&".join(f"le={t}" for t in request.args.getlist("le"))
    return f"{request.host_url.rstrip('/')}{request.path.rstrip('/')}?{tokens}"


_parent = aliased(Label)
LABEL = (  # what the page shows of a label and decides its verdict on, built once
    select(
        Label.id,
        Label.serial,
        Label.batch_id,
        Label.parent_id,
        Label.lot,
        Label.gtin,
        Label.product,
        Label.g_co2e_per_kg,
        Label.reduction_permille,
        Label.crop,
        Label.removals_kg_co2_per_kg,
        Label.kid,
        Label.token,
        Label.issued_at,
        Label.expires_at,
        Label.status,
        Label.reason_code,
        Label.log_index,
        Label.organisation,
        Organisation.name.label("holder_name"),
        _parent.serial.label("parent_serial"),
    )
    .outerjoin(Organisation, Organisation.code == Label.organisation)
    .outerjoin(_parent, _parent.id == Label.parent_id)
    .where(Label.serial == bindparam("serial"))
)


def show(link_header: str | None = None) -> Response:
    """The label page for the current request's URL (either form). Its reads go one
    statement at a time on an autocommit connection: no BEGIN and COMMIT around them, and
    each sees what is committed when it runs, so the verdict is the record's now."""
    url = _label_url()
    with db.engine.connect() as connection:
        reads = connection.execution_options(isolation_level="AUTOCOMMIT")
        found = judge(
            url,
            keystore().derived("label", trust_list),
            lambda serial: reads.execute(LABEL, {"serial": serial.upper()}).first(),
            utcnow(),
        )
        return _page(found, link_header, reads, url if "le" in request.args else None)


def unknown() -> Response:
    """The page for a serial asked without a token that the registry does not hold: the
    `unknown` verdict of a scanned label it lacks, without a signature to speak of."""
    return _page(Judgement(Verdict.UNKNOWN), None, None, None)


def _page(
    found: Judgement, link_header: str | None, reads: Connection | None, url: str | None
) -> Response:
    label = found.label
    page = render_template(
        "public/label.html",
        found=found,
        label=label,
        part=_chain_part(reads, label) if label is not None and reads is not None else None,
        log_size=_log_size(label.log_index) if label is not None else None,
        reason=_reason(found),
        products=PRODUCT_LABELS,
        label_url=url,  # for the checker's command line
        gettext=bound_gettext(),
    )
    if label is not None and _count_scan(label.id):
        db.session.commit()  # the tally was written
    response = make_response(page, STATUS.get(found.verdict, 200))
    response.headers["Cache-Control"] = "no-cache"  # a revocation shows at once
    response.vary.add("Cookie")  # the language
    if link_header:
        response.headers["Link"] = link_header
    return response


def _count_scan(label_id: int) -> bool:
    """Count this opening by day, coarse locale and the province the proxy names; True
    when the tally was written (every `SCAN_WRITE_SECONDS`), to be committed."""
    config = current_app.config
    locale = scans.coarse_locale(request.headers.get("Accept-Language"))
    header = config["SCAN_REGION_HEADER"]
    region = request.headers.get(header) if header else None
    every = config.get("SCAN_WRITE_SECONDS", 0 if current_app.testing else 10)
    key = (label_id, today_in_vietnam(), locale, scans.coarse_province(region))
    return scans.count(db.session, key, every)


@dataclass(frozen=True)
class ChainPart:
    """What the label page shows of its batch, shared by every label on the batch."""

    html: Markup
    at_risk: bool


CHAIN_PARTS: Fragments[ChainPart] = Fragments(4096)  # ~15 KB each
SHAPES: Fragments[Shape] = Fragments(4096)
LOG_SIZE: Fragments[int] = Fragments(1)


def _ttl() -> float:
    """`LABEL_PAGE_CACHE_SECONDS`: how long a rendered chain is kept while its stamp stays
    the same (an hour by default; 0, under TESTING, renders it on every opening)."""
    return float(
        current_app.config.get("LABEL_PAGE_CACHE_SECONDS", 0 if current_app.testing else 3600)
    )


def _chain_part(reads: Connection, label: Recorded) -> ChainPart:
    """The chain of the label's batch in the reader's language, rendered again only when
    its stamp changes (chain.stamp: a batch on hold, an approval revoked, a hand-over
    accepted, a certificate or diary entry added) or the day does (certificates expire).
    The verdict and the claim are never cached: a suspension or revocation shows at once."""
    ttl = _ttl()
    if ttl <= 0:
        return _render_chain(reads, label.batch_id)
    now, batch_id = time.monotonic(), label.batch_id
    shape = SHAPES.get(batch_id, ttl, partial(shape_of, reads, batch_id), now)
    found = stamp(reads, shape)
    if found[0] != shape.inputs:  # inputs written since the shape was read: read it again
        SHAPES.drop(batch_id)
        shape = SHAPES.get(batch_id, ttl, partial(shape_of, reads, batch_id), now)
        found = stamp(reads, shape)
    key = (batch_id, str(get_locale()), today_in_vietnam(), found)
    return CHAIN_PARTS.get(key, ttl, partial(_render_chain, reads, batch_id), now)


def _log_size(index: int) -> int:
    """A log size that includes `index`, for the inclusion proof's link: any size past the
    entry gives a valid proof, so a recent one will do."""
    ttl = min(_ttl(), 60)
    size = LOG_SIZE.get("size", ttl, partial(ledger.size, db.session), time.monotonic())
    return size if size > index else ledger.size(db.session)


def _render_chain(reads: Connection, batch_id: int) -> ChainPart:
    chain = chain_of(reads, batch_id)
    html = render_template("public/_chain.html", **chain_context(chain)) if chain else ""
    return ChainPart(
        Markup(html),  # a rendered template: already escaped
        bool(chain and chain.batch.at_risk_since),
    )


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
    """What templates/public/_chain.html needs besides the chain: its map, its charts, the
    names of the trace vocabulary and of the crops, and each season's story (story.py)."""
    return {
        "chain": chain,
        "words": chain_story(s.kind for s in chain.seasons) if chain else story("rice"),
        "story": story,
        "crop_names": {code: crop.name for code, crop in crops.catalogue().items()},
        "field_map": _field_map(chain) if chain else "",
        "charts": _charts(chain) if chain else {},
        "products": PRODUCT_LABELS,
        "seasons": SEASON_LABELS,
        "steps": STEP_LABELS,
        "options": OPTION_LABELS,
        "schemes": SCHEME_LABELS,
        "today": today_in_vietnam(),  # certificates past their date are marked expired
        "gettext": bound_gettext(),
    }


def bound_gettext() -> Callable[..., str]:
    """The templates' `_` with this request's catalogue looked up once: Flask-Babel's looks
    the locale and its catalogue up again for each of a page's ~60 strings (a third of the
    chain's rendering). It behaves as Jinja's i18n `_` does (newstyle: the text escaped
    when autoescaping, then `%` with the variables, which changes nothing in a text
    without variables or a `%`, so that is skipped: most of the page's strings)."""
    translate = get_translations().ugettext

    @pass_context
    def gettext(context: Context, string: str, **variables: Any) -> str:
        text = translate(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables if variables or "%" in text else text

    return gettext


def _field_map(chain: Chain) -> Markup:
    features = [
        MapFeature(f.code, f"{f.code} · {f.commune}", f"#field-{f.code}", f.geometry)
        for f in chain.fields
    ]
    return Markup(svg_map(features, width=320, height=200))  # svg_map escapes every text


@bp.app_template_filter("vn_day")
def vn_day(when: datetime) -> str:
    """The day in Vietnam of a UTC time, dd/mm/yyyy: i18n.vn_date for the label page's two
    dates without Babel's formatter (~50 µs each)."""
    v = when.astimezone(UTC) + VIETNAM_OFFSET
    return f"{v.day:02}/{v.month:02}/{v.year:04}"


@bp.app_template_filter("unix_local")
def unix_local(seconds: int) -> Markup:
    """A token's Unix time (iat, exp) as people read it, on Vietnam's clock with its offset,
    the UTC instant kept in the element for machines: `<time datetime="…Z">`. (Digits
    only, so nothing to escape; formatted by hand: Markup.format and strftime took ~50 µs.)"""
    w = datetime.fromtimestamp(seconds, UTC)
    v = w + VIETNAM_OFFSET
    return Markup(
        f'<time datetime="{w.year:04}-{w.month:02}-{w.day:02}T{w.hour:02}:{w.minute:02}:'
        f'{w.second:02}Z">{v.day:02}/{v.month:02}/{v.year:04} {v.hour:02}:{v.minute:02} '
        "(UTC+07:00)</time>"
    )


def _charts(chain: Chain) -> dict[str, Markup]:
    title = _("Emissions by gas, kg CO₂e per ha")
    return {
        s.code: gas_bars(s.result, (str(story(s.kind).this_period), "2020"), title, whole)
        for s in chain.seasons
        if s.result is not None
    }
