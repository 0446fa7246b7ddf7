"""The public register: search, the record of a serial, products and lots with their chain,
HTXs, communes and verifiers with their verified reductions. Its open data are the reports
domain's downloads (/open-data), which the register links to.

Anyone may read it; nothing private is shown (records.py selects only public columns)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, Response, abort, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from registry import crops
from registry.accounts.models import OrgKind
from registry.db import db, utcnow
from registry.labels.gs1 import normalise_gtin
from registry.labels.models import Label
from registry.labels.status import REASONS, state
from registry.public import label_page, records
from registry.public.chain import chain_of
from registry.public.label_page import chain_context
from registry.trace.labels import PRODUCT_LABELS
from registry.trace.models import Batch

bp = Blueprint("register", __name__, url_prefix="/register")
CACHE = "public, max-age=300"


def _page(template: str, **context: object) -> BaseResponse:
    response = Response(render_template(template, **context), mimetype="text/html")
    response.headers["Cache-Control"] = CACHE
    return response


@bp.get("")
def search() -> BaseResponse:
    words = request.args.get("q", "")
    return _page(
        "public/register/search.html",
        q=words,
        found=records.search(db.session, words) if words.strip() else None,
        crops=crops.catalogue(),
        now=utcnow(),
        state=state,
    )


@bp.get("/labels/<serial>")
def label(serial: str) -> BaseResponse:
    """The registry's record of a serial, for people who typed it (no token to verify);
    the label page's `unknown` verdict for a serial it does not hold."""
    found = records.label_by_serial(db.session, serial)
    if found is None:
        return label_page.unknown()
    return _page(
        "public/register/label.html",
        label=found,
        current=state(found, utcnow()),
        reasons=REASONS,
        products=PRODUCT_LABELS,
    )


# ---------------------------------------------------------------- products and lots
def _gtin(text: str) -> str:
    try:
        return normalise_gtin(text)
    except ValueError:
        abort(404)


@bp.get("/products/<gtin>")
def product(gtin: str) -> BaseResponse:
    batches = records.batches_of_gtin(db.session, _gtin(gtin))
    if not batches:
        abort(404)
    return _page(
        "public/register/product.html",
        gtin=_gtin(gtin),
        batches=batches,
        labels=_labels_by_batch(records.batch_labels(db.session, [b.id for b in batches])),
        products=PRODUCT_LABELS,
        now=utcnow(),
        state=state,
    )


def _labels_by_batch(labels: Iterable[Label]) -> dict[int, list[Label]]:
    grouped: dict[int, list[Label]] = {}
    for lb in labels:
        grouped.setdefault(lb.batch_id, []).append(lb)
    return grouped


@bp.get("/products/<gtin>/lots/<lot>")
def product_lot(gtin: str, lot: str) -> BaseResponse:
    batches = records.batches_of_gtin(db.session, _gtin(gtin), lot)
    if not batches:
        abort(404)
    return _batch_page(batches[0])


@bp.get("/batches/<maker>/<lot>")
def batch(maker: str, lot: str) -> BaseResponse:
    return _batch_page(records.batch_by_lot(db.session, maker, lot))


def _batch_page(found: Batch) -> BaseResponse:
    return _page(
        "public/register/batch.html",
        batch=found,
        labels=records.batch_labels(db.session, [found.id]),
        now=utcnow(),
        state=state,
        **chain_context(chain_of(db.session, found.id)),
    )


# ---------------------------------------------------------------- organisations, places
def _crop() -> str | None:
    """The crop the listing is filtered by (`?crop=`, a catalogue code), None for every
    crop; an unknown code is refused with the field's message (UnknownCrop, 422)."""
    code = request.args.get("crop", "").strip()
    if not code:
        return None
    return crops.get(code).code


@bp.get("/htx")
def producers() -> BaseResponse:
    crop = _crop()
    return _page(
        "public/register/producers.html",
        producers=records.organisations(db.session, OrgKind.PRODUCER, crop),
        reductions={a.key: a for a in records.reductions(db.session, "organisation", crop=crop)},
        grown=records.crops_by_organisation(db.session),
        crops=crops.catalogue(),
        crop=crop,
    )


@bp.get("/htx/<code>")
def producer(code: str) -> BaseResponse:
    org = records.organisation(db.session, code, OrgKind.PRODUCER)
    grown = records.crops_of(db.session, org.id)
    years = records.years(db.session)
    rows = [
        (crop, year, found[0])
        for crop in grown
        for year in years
        if (found := records.reductions(db.session, "organisation", year, org.id, crop))
    ]
    return _page(
        "public/register/producer.html",
        org=org,
        land=records.farmland(db.session, org.id),
        grown=grown,
        overall=records.reductions(db.session, "organisation", None, org.id),
        by_year=rows,
        labels=records.labels_of_holder(db.session, org.code),
        crops=crops.catalogue(),
        now=utcnow(),
        state=state,
        products=PRODUCT_LABELS,
    )


@bp.get("/communes")
def communes() -> BaseResponse:
    crop = _crop()
    return _page(
        "public/register/communes.html",
        communes=records.communes(db.session, crop),
        reductions={
            (a.province, a.key): a for a in records.reductions(db.session, "commune", crop=crop)
        },
        grown=records.crops_by_commune(db.session),
        crops=crops.catalogue(),
        crop=crop,
    )


@bp.get("/communes/<province>/<commune>")
def commune(province: str, commune: str) -> BaseResponse:
    if (province, commune) not in records.communes(db.session):
        abort(404)
    grown = records.crops_by_commune(db.session).get((province, commune), [])
    by_crop = [(c, records.commune_reduction(db.session, province, commune, c)) for c in grown]
    return _page(
        "public/register/commune.html",
        province=province,
        commune=commune,
        total=records.commune_reduction(db.session, province, commune),
        by_crop=[(c, a) for c, a in by_crop if a is not None],
        grown=grown,
        producers=records.producers_in(db.session, province, commune),
        producer_crops=records.crops_by_organisation(db.session),
        crops=crops.catalogue(),
    )


@bp.get("/verifiers")
def verifiers() -> BaseResponse:
    return _page(
        "public/register/verifiers.html",
        verifiers=records.organisations(db.session, OrgKind.VERIFIER),
    )


@bp.get("/verifiers/<code>")
def verifier(code: str) -> BaseResponse:
    org = records.organisation(db.session, code, OrgKind.VERIFIER)
    return _page(
        "public/register/verifier.html",
        org=org,
        accreditations=records.accreditations(db.session, org.id),
        approvals=records.approvals_count(db.session, org.id),
    )
