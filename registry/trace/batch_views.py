"""Batch pages for HTX, mills and retailers: the register, a batch with its upstream tree,
and the forms to draw a harvest, process, split, ship and answer hand-overs.

Forms are checked by the same marshmallow schemas as the API; the service's dotted error
keys (`draws.0.kg`, `inputs.1.batch`) are mapped back to the inputs that caused them, so a
refused form comes back with 422 and the message beside the right box."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from marshmallow import Schema, ValidationError
from sqlalchemy import select
from werkzeug.wrappers import Response

from registry import crops
from registry.accounts.access import acting_organisation, kinds_required
from registry.accounts.models import Organisation, OrgKind
from registry.db import db
from registry.errors import DomainError
from registry.ledger import sequencer
from registry.numbers import number
from registry.trace import batch_schemas as schemas
from registry.trace import batches, lineage, prices, steps
from registry.trace.labels import HANDOVER_LABELS, PRODUCT_LABELS, STEP_LABELS
from registry.trace.models import Batch, Handover, Step
from registry.validation import localise

bp = Blueprint("batches", __name__)

Page = str | tuple[str, int] | Response
P = ParamSpec("P")
R = TypeVar("R")
DRAW_ROWS = 3  # season rows on the harvest form; enough for a phone, the API takes 100


def handlers_only(view: Callable[P, R]) -> Callable[P, R]:
    """Pages for staff of an organisation that holds batches."""
    return login_required(
        kinds_required(OrgKind.PRODUCER, OrgKind.PROCESSOR, OrgKind.RETAILER)(view)
    )


def _base() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"])


def _flat(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested marshmallow messages as dotted keys, like the service's."""
    if not isinstance(messages, dict):
        return {prefix: list(messages) if isinstance(messages, list) else [messages]}
    out: dict[str, list[str]] = {}
    for key, value in messages.items():
        out.update(_flat(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def _attempt(
    schema: Schema, data: dict[str, Any], act: Callable[[dict[str, Any]], Any]
) -> tuple[Any, dict[str, Any]]:
    """Load, act, commit; or the localised errors by dotted key and nothing written."""
    try:
        values = schema.load(data)
        with sequencer.batched(db.session):  # log entries numbered once committed
            done = act(values)
    except ValidationError as exc:
        return None, localise(_flat(exc.messages))
    except DomainError as exc:
        db.session.rollback()
        errors = _flat(exc.errors) if exc.errors else {"_": [str(exc.detail or exc.title)]}
        return None, localise(errors)
    db.session.commit()
    return done, {}


def _rename(errors: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """Errors keyed by the form's input names; messages of keys renamed alike stay together."""
    out: dict[str, Any] = {}
    for key, messages in errors.items():
        out.setdefault(names.get(key, key), []).extend(messages)
    return out


# ---------------------------------------------------------------- register
@bp.get("/batches")
@handlers_only
def register() -> str:
    org = acting_organisation()
    return render_template(
        "trace/batches.html",
        held=batches.held_by(db.session, org, with_empty=request.args.get("all") == "1"),
        pending=batches.pending_for(db.session, org),
        notices=batches.notices_for(db.session, org),
        org=org,
        products=PRODUCT_LABELS,
        steps=STEP_LABELS,
    )


# ---------------------------------------------------------------- harvest
def _drawable(org: Organisation) -> dict[str, str]:
    """The seasons the harvest form offers: code → what to show."""
    return {
        season.code: _("%(code)s · %(kg)s kg left", code=season.code, kg=number(left))
        for season, left in batches.drawable(db.session, org)
    }


@bp.route("/batches/new", methods=["GET", "POST"])
@login_required
@kinds_required(OrgKind.PRODUCER)
def new_harvest() -> Page:
    org = acting_organisation()
    errors: dict[str, Any] = {}
    if request.method == "POST":
        rows = [n for n in range(1, DRAW_ROWS + 1) if request.form.get(f"season_{n}")]
        data = {
            **_fields("lot_code", "gtin", "production_date"),
            "draws": [
                {"season": request.form[f"season_{n}"], "kg": request.form.get(f"kg_{n}") or None}
                for n in rows
            ],
        }
        batch, errors = _attempt(
            schemas.HarvestBatchIn(),
            data,
            lambda v: batches.register_harvest(db.session, org, v, _base()),
        )
        if batch is not None:
            flash(_("Batch %(lot)s registered.", lot=batch.lot_code), "success")
            return redirect(url_for("batches.batch", batch_id=batch.id))
        names = {f"draws.{i}.{k}": f"{k}_{n}" for i, n in enumerate(rows) for k in ("season", "kg")}
        errors = _rename(errors, {**names, "draws": "season_1"})
    page = render_template(
        "trace/batch_new.html",
        errors=errors,
        form=request.form,
        drawable=_drawable(org),
        rows=range(1, DRAW_ROWS + 1),
    )
    return (page, 422) if errors else page


def _fields(*names: str) -> dict[str, Any]:
    return {k: request.form[k] for k in names if request.form.get(k, "").strip()}


# ---------------------------------------------------------------- processing
@bp.route("/batches/process", methods=["GET", "POST"])
@handlers_only
def process() -> Page:
    """Make a batch from parents in three choices, each a link so that no script is
    needed: the product (of those the organisation holds), the step (only those that
    apply to that product, and merging), then the kg taken and made."""
    org = acting_organisation()
    usable = [b for b in batches.held_by(db.session, org) if b.at_risk_since is None]
    held_products = list(dict.fromkeys(b.product for b in usable))
    product = request.args.get("product", "")
    if product not in held_products:
        product = held_products[0] if len(held_products) == 1 else ""
    held = [b for b in usable if b.product == product]
    offered = {t.step.code: t for t in steps.applicable(product)} if product else {}
    step = request.args.get("step", "")
    if step not in offered and step != Step.MERGE:
        step = ""
    rule = offered.get(step)
    errors: dict[str, Any] = {}
    if request.method == "POST" and step:
        batch, errors = _process(org, held, step, rule)
        if batch is not None:
            flash(_("Batch %(lot)s registered.", lot=batch.lot_code), "success")
            return redirect(url_for("batches.batch", batch_id=batch.id))
    page = render_template(
        "trace/batch_process.html",
        errors=errors,
        form=request.form,
        held=held,
        held_products=held_products,
        product=product,
        offered=offered,
        step=step,
        rule=rule,
        products=PRODUCT_LABELS,
        steps=STEP_LABELS,
    )
    return (page, 422) if errors else page


def _process(
    org: Organisation, held: list[Batch], step: str, rule: crops.Transform | None
) -> tuple[Batch | None, dict[str, Any]]:
    chosen = [b for b in held if request.form.get(f"kg_{b.id}", "").strip()]
    inputs = [{"batch": b.id, "kg": request.form[f"kg_{b.id}"]} for b in chosen]
    data = {**_fields("lot_code", "gtin", "production_date"), "inputs": inputs}
    schema: Schema
    if rule is None:  # merging
        schema, act = schemas.MergeIn(), batches.merge
    else:
        schema, act, data["step"] = schemas.TransformIn(), batches.transform, step
        data.update(_fields("quantity_kg", "loss_kg"))
        data["coproducts"] = [
            {"product": c, "kg": request.form[f"co_{c}"]}
            for c in rule.coproducts
            if request.form.get(f"co_{c}", "").strip()
        ]
    batch, errors = _attempt(schema, data, lambda v: act(db.session, org, v, _base()))
    names = {f"inputs.{i}.{k}": f"kg_{b.id}" for i, b in enumerate(chosen) for k in ("batch", "kg")}
    if rule is not None:
        for n, c in enumerate(data["coproducts"]):
            names.update({f"coproducts.{n}.kg": f"co_{c['product']}"})
            names.update({f"coproducts.{n}.product": f"co_{c['product']}"})
        names["coproducts"] = f"co_{rule.coproducts[0]}" if rule.coproducts else "quantity_kg"
    names.update({"inputs": "inputs", "step": "_"})
    return batch, _rename(errors, names)


# ---------------------------------------------------------------- prices
@bp.route("/batches/prices", methods=["GET", "POST"])
@login_required
@kinds_required(OrgKind.AUTHORITY)
def product_prices() -> Page:
    """The authority's prices per kg, by crop and product: a price for every output of a
    step makes its emissions shared by economic value instead of by mass."""
    org = acting_organisation()
    errors: dict[str, Any] = {}
    if request.method == "POST":
        _done, errors = _attempt(
            schemas.PriceIn(),
            _fields("product", "vnd_per_kg"),
            lambda v: prices.set_price(db.session, org, v["product"], v["vnd_per_kg"]),
        )
        if not errors:
            flash(_("Price set."), "success")
            return redirect(url_for("batches.product_prices"))
    page = render_template(
        "trace/prices.html",
        errors=errors,
        form=request.form,
        crops=crops.catalogue(),
        current=prices.current(db.session),
        products=PRODUCT_LABELS,
        steps=STEP_LABELS,
    )
    return (page, 422) if errors else page


# ---------------------------------------------------------------- one batch
@bp.get("/batches/<int:batch_id>")
@handlers_only
def batch(batch_id: int) -> str:
    return _batch_page(batch_id, {}, {})[0]


def _batch_page(batch_id: int, errors: dict[str, Any], form: Any) -> tuple[str, int]:
    org = acting_organisation()
    found = batches.batch_for(db.session, org, batch_id)
    tree = lineage.lineage(
        db.session,
        found,
        {b: url_for("batches.batch", batch_id=b) for b in _visible(org, found)},
    )
    page = render_template(
        "trace/batch.html",
        batch=found,
        org=org,
        errors=errors,
        form=form,
        diagram=lineage.diagram(tree, _("Where batch %(lot)s comes from", lot=found.lot_code)),
        diagram_px=lineage.width_px(tree),
        before=found.inputs,
        after=batches.children_of(db.session, found.id),
        handovers=_handovers(found),
        pending=batches.pending_handover(db.session, found.id),
        receivers=_receivers(org),
        products=PRODUCT_LABELS,
        steps=STEP_LABELS,
        handover_labels=HANDOVER_LABELS,
    )
    return page, 422 if errors else 200


def _visible(org: Organisation, found: Batch) -> list[int]:
    """Ancestors the organisation may open (its own, or one step before or after)."""
    ancestors = db.session.scalars(
        select(Batch).where(Batch.id.in_(batches.ancestor_ids(db.session, found.id)))
    )
    return [b.id for b in ancestors if batches.may_see(db.session, org, b)]


def _handovers(found: Batch) -> list[Handover]:
    query = select(Handover).where(Handover.batch_id == found.id).order_by(Handover.id)
    return list(db.session.scalars(query))


def _receivers(org: Organisation) -> list[Organisation]:
    query = (
        select(Organisation)
        .where(Organisation.kind.in_(batches.RECEIVERS), Organisation.id != org.id)
        .order_by(Organisation.name)
    )
    return list(db.session.scalars(query))


@bp.post("/batches/<int:batch_id>/split")
@handlers_only
def split(batch_id: int) -> Page:
    org = acting_organisation()
    parts = [{"kg": request.form.get("kg") or None, **_fields("lot_code")}]
    done, errors = _attempt(
        schemas.SplitIn(),
        {"parts": parts},
        lambda v: batches.split(db.session, org, batch_id, v["parts"], _base()),
    )
    if done:
        flash(_("Batch %(lot)s split off.", lot=done[0].lot_code), "success")
        return redirect(url_for("batches.batch", batch_id=done[0].id))
    names = {
        "parts.0.kg": "kg",
        "parts.0.lot_code": "lot_code",
        "inputs.0.kg": "kg",
        "inputs.0.batch": "kg",
    }
    return _batch_page(batch_id, _rename(errors, names), request.form)


@bp.post("/batches/<int:batch_id>/ship")
@handlers_only
def ship(batch_id: int) -> Page:
    org = acting_organisation()
    data = _fields("receiver", "note")
    if "receiver" not in data:  # the form starts on "Choose…": nobody is guessed
        return _batch_page(
            batch_id, {"receiver": [_("Choose who receives the batch.")]}, request.form
        )
    if request.form.get("ship_kg", "").strip():
        data["kg"] = request.form["ship_kg"]
    done, errors = _attempt(
        schemas.ShipIn(),
        data,
        lambda v: batches.ship(
            db.session, org, batch_id, v["receiver"], _base(), v["kg"], v["note"]
        ),
    )
    if done:
        flash(
            _("Sent to %(org)s: it stays yours until they accept.", org=done.receiver.name),
            "success",
        )
        return redirect(url_for("batches.batch", batch_id=done.batch_id))
    names = {
        "inputs.0.kg": "ship_kg",
        "inputs.0.batch": "receiver",
        "kg": "ship_kg",
        "parts.0.kg": "ship_kg",
    }
    return _batch_page(batch_id, _rename(errors, names), request.form)


@bp.post("/handovers/<int:handover_id>")
@handlers_only
def answer(handover_id: int) -> Page:
    org = acting_organisation()
    data = {"accept": request.form.get("accept") == "1", **_fields("reason")}
    done, errors = _attempt(
        schemas.AnswerIn(),
        data,
        lambda v: batches.answer(db.session, org, handover_id, v["accept"], _base(), v["reason"]),
    )
    if done:
        message = _("Batch accepted: it is now yours.") if data["accept"] else _("Batch refused.")
        flash(message, "success")
        return redirect(url_for("batches.batch", batch_id=done.batch_id))
    for messages in errors.values():
        flash(" ".join(messages), "error")
    return redirect(url_for("batches.register"))


@bp.post("/notices/<int:notice_id>/read")
@handlers_only
def dismiss(notice_id: int) -> Response:
    batches.dismiss_notice(db.session, acting_organisation(), notice_id)
    db.session.commit()
    return redirect(url_for("batches.register"))


@bp.get("/batches/<int:batch_id>/epcis.jsonld")
@handlers_only
def epcis_export(batch_id: int) -> Any:
    """The batch's upstream history as an EPCIS 2.0 file to download."""
    found = batches.batch_for(db.session, acting_organisation(), batch_id)
    response = current_app.json.response(batches.upstream_document(db.session, found))
    response.mimetype = "application/ld+json"
    response.headers["Content-Disposition"] = f'attachment; filename="{found.lot_code}.jsonld"'
    return response
