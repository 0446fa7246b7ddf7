"""Trace service, part 2: batches under mass balance, hand-overs and their EPCIS events.

Mass balance (DESIGN.md §4): the rows a draw takes from (seasons, parent batches) are
locked with SELECT … FOR UPDATE in id order before anything is summed, so concurrent draws
on PostgreSQL queue behind each other and the last one sees what the first took. Every
new batch and every hand-over step is one EPCIS event and one log entry; callers commit.

Products and processing steps are codes of the crop catalogue (registry/crops): a harvest
batch is its crop's harvested product; a processing step applies to the products the crop's
file lets it, gives its main product and co-products within their shares of the input, and
every kg drawn is an output or the declared loss (registry/trace/steps.py).

Emission intensity follows the mass: a harvest batch takes the kg-weighted g CO2e/kg of
the approved results it draws on; a step with one output divides its inputs' intensity by
its yield; a step with co-products shares the input's emissions between them by mass, or
by economic value where the authority has priced every output (steps.py, prices.py,
docs/coproducts.md); a split keeps it.

The CO2 an orchard's trees took up (DESIGN.md §10b) follows the mass the same way, as
`removals_kg_co2_per_kg`: a harvest batch takes the kg-weighted removals per kg of product
of the results it draws on (each result's `removals_kg_co2` over its `yield_kg`), and every
step, split and merge shares it exactly as it shares the emissions. It is kept beside the
emission intensity, never netted into it, and is None for crops whose kind takes up no
carbon (the catalogue's `tree_stand`: rice and annual crops).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from blinker import Namespace
from flask_babel import lazy_gettext as _l
from sqlalchemy import ARRAY, Integer, any_, bindparam, cast, func, select
from sqlalchemy.orm import aliased

from registry import crops
from registry.accounts.models import Organisation, OrgKind
from registry.db import GRAMS_PER_KG, Db, grams, utcnow
from registry.errors import DomainError, NotFound
from registry.ledger import sequencer
from registry.ledger import service as ledger
from registry.numbers import number
from registry.trace import epcis, prices, steps
from registry.trace.labels import PRODUCT_LABELS, STEP_LABELS
from registry.trace.models import (
    Batch,
    BatchInput,
    Field,
    Handover,
    HandoverStatus,
    Notice,
    Season,
    Step,
    TraceEvent,
    trace_event_batches,
)
from registry.trace.service import digest, season_by_code
from registry.verify.models import Approval, Decision, EmissionResult, MrvReport, ReportSeason

RECEIVERS = (OrgKind.PRODUCER, OrgKind.PROCESSOR, OrgKind.RETAILER)


class BatchNotFound(NotFound):
    title = _l("This batch does not exist or is not yours to see.")


class BatchRefused(DomainError):
    title = _l("This batch operation is refused.")


@dataclass(frozen=True)
class Draw:
    """Grams to take from a season (by code) or a parent batch (by id). Mass balance is
    kept in whole grams, as the database keeps it, so every comparison is exact."""

    g: int
    season: str | None = None
    batch: int | None = None

    @property
    def kg(self) -> float:
        return self.g / GRAMS_PER_KG


# ---------------------------------------------------------------- reading
def batch_for(session: Db, org: Organisation, batch_id: int) -> Batch:
    """A batch the organisation holds, made, or sent or was sent (one step either side)."""
    found = session.get(Batch, batch_id)
    if found is None or not may_see(session, org, found):
        raise BatchNotFound()
    return found


def may_see(session: Db, org: Organisation, batch: Batch) -> bool:
    if org.kind is OrgKind.AUTHORITY or org.id in (batch.organisation_id, batch.maker_id):
        return True
    party = select(Handover.id).where(
        Handover.batch_id == batch.id,
        (Handover.sender_id == org.id) | (Handover.receiver_id == org.id),
    )
    return session.scalar(party.limit(1)) is not None


def held_by(session: Db, org: Organisation, with_empty: bool = False) -> list[Batch]:
    query = select(Batch).where(Batch.organisation_id == org.id)
    if not with_empty:
        query = query.where(Batch.remaining_g > 0)
    return list(session.scalars(query.order_by(Batch.id.desc())))


def pending_for(session: Db, org: Organisation) -> list[Handover]:
    """Hand-overs waiting for the organisation's answer, or sent by it and not answered."""
    query = select(Handover).where(
        Handover.status == HandoverStatus.PENDING,
        (Handover.receiver_id == org.id) | (Handover.sender_id == org.id),
    )
    return list(session.scalars(query.order_by(Handover.id)))


def pending_handover(session: Db, batch_id: int) -> Handover | None:
    return session.scalar(
        select(Handover).where(
            Handover.batch_id == batch_id, Handover.status == HandoverStatus.PENDING
        )
    )


def children_of(session: Db, batch_id: int) -> list[tuple[Batch, float]]:
    """One step after: the batches that drew on this one, with the kg drawn."""
    rows = session.execute(
        select(Batch, BatchInput.grams)
        .join(BatchInput, BatchInput.batch_id == Batch.id)
        .where(BatchInput.parent_id == batch_id)
        .order_by(Batch.id)
    )
    return [(b, g / GRAMS_PER_KG) for b, g in rows]


def ancestor_ids(session: Db, batch_id: int) -> list[int]:
    """The batch and every batch upstream of it, by one recursive query."""
    up = (
        select(BatchInput.batch_id, BatchInput.parent_id)
        .where(BatchInput.batch_id == batch_id)
        .cte("up", recursive=True)
    )
    step = aliased(BatchInput)
    up = up.union(select(step.batch_id, step.parent_id).join(up, step.batch_id == up.c.parent_id))
    parents = session.scalars(select(up.c.parent_id).where(up.c.parent_id.is_not(None)))
    return [batch_id, *sorted(set(parents))]


def season_drawn_g(session: Db, season_id: int) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(BatchInput.grams), 0)).where(
            BatchInput.season_id == season_id
        )
    )
    return int(total or 0)


def drawable(session: Db, org: Organisation) -> list[tuple[Season, float]]:
    """The organisation's seasons under a valid approval with kg left to draw, newest
    sowing first: one query, for the harvest-batch form."""
    approved = (
        select(ReportSeason.season_id)
        .join(Approval, Approval.report_id == ReportSeason.report_id)
        .where(Approval.decision == Decision.APPROVED, Approval.revoked_at.is_(None))
    )
    drawn = (
        select(func.coalesce(func.sum(BatchInput.grams), 0))
        .where(BatchInput.season_id == Season.id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Season, Season.harvested_g - drawn)
        .join(Field, Season.field_id == Field.id)
        .where(Field.organisation_id == org.id, Season.id.in_(approved))
        .order_by(Season.sowing_date.desc())
    )
    return [(season, left / GRAMS_PER_KG) for season, left in rows if left and left > 0]


@dataclass(frozen=True)
class Verified:
    """An approved, unrevoked season: what it may give and at what intensity."""

    season: Season
    approval: Approval
    result: EmissionResult

    @property
    def harvest_g(self) -> int:
        return self.season.harvested_g or 0


def verified(session: Db, season: Season) -> Verified | None:
    """The season's newest unrevoked approval with the result it approved."""
    row = session.execute(
        select(Approval, ReportSeason)
        .join(MrvReport, Approval.report_id == MrvReport.id)
        .join(ReportSeason, ReportSeason.report_id == MrvReport.id)
        .where(
            ReportSeason.season_id == season.id,
            Approval.decision == Decision.APPROVED,
            Approval.revoked_at.is_(None),
        )
        .order_by(Approval.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    approval, link = row
    return Verified(season, approval, link.result)


# ---------------------------------------------------------------- making batches
def register_harvest(
    session: Db, org: Organisation, values: dict[str, Any], base_url: str
) -> Batch:
    """A batch of the crop's harvested product (paddy, fresh vegetables, fresh longan…)
    drawn from the organisation's approved seasons' harvests, all of one crop."""
    gs = _grams(values["draws"], "draws")
    draws = [
        Draw(g=g, season=d["season"].upper()) for d, g in zip(values["draws"], gs, strict=True)
    ]
    _check_distinct([d.season for d in draws], "draws")
    seasons = _lock_seasons(session, org, draws)
    sources: list[tuple[Verified, Draw]] = []
    for n, draw in enumerate(draws):
        source = seasons[draw.season or ""]
        left = source.harvest_g - season_drawn_g(session, source.season.id)
        _check_enough(draw.g, left, f"draws.{n}.kg")
        sources.append((source, draw))
    grown = {source.season.crop for source, _ in sources}
    if len(grown) > 1:
        names = ", ".join(sorted(crops.get(c).name for c in grown))
        raise BatchRefused(
            errors={
                "draws": [_l("A batch is of one crop; these seasons grow %(crops)s.", crops=names)]
            }
        )
    crop = crops.get(grown.pop())
    values = {**values, "product": crop.harvested}
    batch = _new_batch(session, org, values, Step.HARVEST, sum(d.g for _, d in sources))
    batch.derivation, batch.g_co2e_per_kg, batch.baseline_g_co2e_per_kg = _harvest_intensity(
        sources, crop.kind.tree_stand
    )
    batch.removals_kg_co2_per_kg = batch.derivation["removals_kg_co2_per_kg"]
    for source, draw in sources:
        session.add(
            BatchInput(
                batch=batch,
                season_id=source.season.id,
                grams=draw.g,
                approval_id=source.approval.id,
                result_id=source.result.id,
            )
        )
    fields = [s.season.field.code for s, _ in sources]
    event = epcis.harvest_event(
        base_url,
        epcis.new_event_id(),
        utcnow(),
        org.code,
        _lot(org, batch),
        fields,
        [s.season.code for s, _ in sources],
    )
    inputs = [{"season": s.season.code, "kg": d.kg, "approval": s.approval.id} for s, d in sources]
    _record(session, org, batch, event, inputs)
    return batch


def _lock_seasons(session: Db, org: Organisation, draws: list[Draw]) -> dict[str, Verified]:
    found: dict[str, Verified] = {}
    problems: dict[str, list[Any]] = {}
    ids = []
    for n, draw in enumerate(draws):
        try:
            ids.append(season_by_code(session, org.id, draw.season or "").id)
        except NotFound:
            problems[f"draws.{n}.season"] = [_l("This season does not exist in your organisation.")]
    if problems:
        raise BatchRefused(errors=problems)
    locked = session.scalars(
        select(Season)
        .where(Season.id.in_(ids))
        .order_by(Season.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    by_id = {s.id: s for s in locked}
    for n, (draw, season_id) in enumerate(zip(draws, ids, strict=True)):
        source = verified(session, by_id[season_id])
        if source is None:
            problems[f"draws.{n}.season"] = [
                _l("This season has no valid approval from a verifier: it cannot be drawn on.")
            ]
        else:
            found[draw.season or ""] = source
    if problems:
        raise BatchRefused(errors=problems)
    return found


def _harvest_intensity(
    sources: list[tuple[Verified, Draw]], takes_up: bool
) -> tuple[dict[str, Any], float, float | None]:
    """The derivation of a harvest batch (its removals per kg in it), its g CO2e/kg and
    its baseline's. `takes_up`: the crop's trees take up carbon (its kind's tree stand)."""
    parts = []
    for source, draw in sources:
        result = source.result
        base = (
            1000 * result.baseline_total_kg_co2e / result.baseline_yield_kg
            if result.baseline_total_kg_co2e and result.baseline_yield_kg
            else None
        )
        parts.append(
            {
                "season": source.season.code,
                "kg": draw.kg,
                "g_co2e_per_kg": result.per_kg_product_g_co2e,
                "baseline_g_co2e_per_kg": base,
                "removals_kg_co2_per_kg": _result_removals(result) if takes_up else None,
                "approval": source.approval.id,
                "result": result.id,
            }
        )
    intensity, baseline = _weighted(parts)
    derivation = {"rule": "harvest", "inputs": parts, "removals_kg_co2_per_kg": _removals(parts)}
    return derivation, intensity, baseline


def _result_removals(result: EmissionResult) -> float:
    """kg CO2 taken up per kg of harvested product in an approved result; a result that
    harvested nothing has no figure per kg, and no harvest to draw from either."""
    if not result.yield_kg:
        return 0.0
    return float(result.result.get("removals_kg_co2") or 0.0) / result.yield_kg


def _removals(parts: Sequence[dict[str, Any]]) -> float | None:
    """kg-weighted mean removals per kg of the parts, None unless every part has them."""
    if any(p.get("removals_kg_co2_per_kg") is None for p in parts):
        return None
    total = sum(p["kg"] for p in parts)
    return sum(p["kg"] * p["removals_kg_co2_per_kg"] for p in parts) / total


def _weighted(parts: Sequence[dict[str, Any]]) -> tuple[float, float | None]:
    """kg-weighted mean intensity, and of the baselines when every part has one."""
    total = sum(p["kg"] for p in parts)
    intensity = sum(p["kg"] * p["g_co2e_per_kg"] for p in parts) / total
    if any(p["baseline_g_co2e_per_kg"] is None for p in parts):
        return intensity, None
    return intensity, sum(p["kg"] * p["baseline_g_co2e_per_kg"] for p in parts) / total


def transform(session: Db, org: Organisation, values: dict[str, Any], base_url: str) -> Batch:
    """A processing step of the crop catalogue (drying, milling, washing, grading…) on
    parent batches of one product: its main product (`quantity_kg`, `lot_code`) and its
    co-products (`coproducts`: product, kg, optional lot code) are made, and every kg
    drawn is one of them or the loss (`loss_kg` as declared, else the rest), each within
    the step's share of the input. Returns the main product's batch; the co-products'
    batches are named in its derivation (`outputs`)."""
    step = values["step"]
    draws = _batch_draws(values["inputs"])
    parents = _take_from_parents(session, org, draws, None)
    kinds = {p.product for p in parents}
    if len(kinds) > 1:
        raise BatchRefused(
            errors={"inputs": [_l("Only batches of the same product can be processed together.")]}
        )
    product = parents[0].product
    rule = steps.rule(step, product)
    if rule is None:
        raise BatchRefused(errors={"step": [_not_for(step, product)]})
    coproducts = values.get("coproducts") or []
    outputs = [steps.Output(rule.main, grams(values["quantity_kg"]))]
    outputs += [steps.Output(c["product"], grams(c["kg"])) for c in coproducts]
    loss = values.get("loss_kg")
    drawn = sum(d.g for d in draws)
    checked = steps.balance(rule, drawn, outputs, None if loss is None else grams(loss))
    if not checked.ok:
        raise BatchRefused(errors=_balance_errors(rule, checked, coproducts))
    if max(d.g for d in draws) < len(outputs):
        raise BatchRefused(errors={"inputs": [_l("Give at least 1 g (0.001 kg).")]})
    lots = [values["lot_code"]] + [c.get("lot_code") for c in coproducts]
    _check_distinct([x for x in lots if x], "coproducts")
    made = [_new_batch(session, org, {**values, "product": rule.main}, step, outputs[0].g)]
    for n, (coproduct, output) in enumerate(zip(coproducts, outputs[1:], strict=True)):
        code = coproduct.get("lot_code") or _next_lot(session, org, values["lot_code"], n)
        extra = {"lot_code": code, "product": output.product}
        extra["production_date"] = values.get("production_date")
        made.append(_new_batch(session, org, extra, step, output.g))
    allocation = steps.allocate(outputs, prices.in_force(session, [o.product for o in outputs]))
    _derive_outputs(made, parents, draws, checked, allocation)
    _record_outputs(session, org, rule, made, parents, draws, base_url)
    return made[0]


def _not_for(step: str, product: str) -> Any:
    """Why `step` does not apply to `product`, naming the steps that do."""
    offered = ", ".join(STEP_LABELS[t.step.code] for t in steps.applicable(product))
    return _l(
        "%(step)s does not apply to %(product)s; it can go through: %(steps)s.",
        step=STEP_LABELS.get(step, step),
        product=PRODUCT_LABELS[product].lower(),
        steps=offered or "—",
    )


def _balance_errors(
    rule: crops.Transform, checked: steps.Balance, coproducts: Sequence[dict[str, Any]]
) -> dict[str, list[Any]]:
    """A step's mass balance problems as field errors, each beside the box that caused it."""
    where = {c["product"]: f"coproducts.{n}" for n, c in enumerate(coproducts)}
    where[rule.main] = "quantity"
    drawn = checked.input_g
    errors: dict[str, list[Any]] = {}
    for key, problem in checked.problems.items():
        if key == "outputs":
            text = (
                _l("Each product may appear only once.")
                if problem == "twice"
                else _l(
                    "The outputs weigh more than the %(kg)s kg drawn.", kg=_kg(drawn / GRAMS_PER_KG)
                )
            )
            errors.setdefault("quantity_kg" if problem == "more" else "coproducts", []).append(text)
        elif key == "loss":
            errors.setdefault("loss_kg", []).append(_loss_problem(rule, checked, problem))
        elif problem == "missing":
            share = rule.outputs[key]
            errors.setdefault("coproducts", []).append(
                _l(
                    "%(step)s also gives %(product)s (%(low)s–%(high)s %% of the input): "
                    "record its kg.",
                    step=rule.step.name,
                    product=PRODUCT_LABELS[key].lower(),
                    low=number(100 * share.low),
                    high=number(100 * share.high),
                )
            )
        elif problem == "not_of_step":
            gives = ", ".join(PRODUCT_LABELS[c].lower() for c in rule.coproducts) or "—"
            errors.setdefault(f"{where[key]}.product", []).append(
                _l(
                    "%(step)s does not give this product; its co-products are: %(products)s.",
                    step=rule.step.name,
                    products=gives,
                )
            )
        else:
            share = rule.outputs[key]
            output = next(o for o in checked.outputs if o.product == key)
            field = "quantity_kg" if key == rule.main else f"{where[key]}.kg"
            errors.setdefault(field, []).append(
                _l(
                    "The yield is %(got)s %%; %(step)s gives %(low)s–%(high)s %% of the input "
                    "as %(product)s.",
                    got=number(100 * output.g / drawn, "#,##0.0"),
                    step=rule.step.name.lower(),
                    low=number(100 * share.low),
                    high=number(100 * share.high),
                    product=PRODUCT_LABELS[key].lower(),
                )
            )
    return errors


def _loss_problem(rule: crops.Transform, checked: steps.Balance, problem: str) -> Any:
    made = sum(o.g for o in checked.outputs)
    if problem == "sum":
        return _l(
            "The outputs and the loss make %(made)s kg, but %(drawn)s kg were drawn.",
            made=_kg((made + checked.loss_g) / GRAMS_PER_KG),
            drawn=_kg(checked.input_g / GRAMS_PER_KG),
        )
    return _l(
        "%(kg)s kg (%(pct)s %%) of the input is lost or not accounted for; %(step)s loses "
        "%(low)s–%(high)s %%: record every co-product.",
        kg=_kg(checked.loss_g / GRAMS_PER_KG),
        pct=number(100 * checked.loss_g / checked.input_g, "#,##0.0"),
        step=rule.step.name.lower(),
        low=number(100 * rule.loss.low),
        high=number(100 * rule.loss.high),
    )


def split(
    session: Db, org: Organisation, batch_id: int, parts: list[dict[str, Any]], base_url: str
) -> list[Batch]:
    """Divide a batch into parts of given kg (what is not taken stays in the batch)."""
    parts = [{**p, "g": g} for p, g in zip(parts, _grams(parts, "parts"), strict=True)]
    total = Draw(g=sum(p["g"] for p in parts), batch=batch_id)
    (parent,) = _take_from_parents(session, org, [total], None)
    _check_distinct([p.get("lot_code") for p in parts if p.get("lot_code")], "parts")
    outputs = []
    for n, part in enumerate(parts):
        code = part.get("lot_code") or _next_lot(session, org, parent.lot_code, n)
        values = {
            "lot_code": code,
            "product": parent.product,
            "gtin": parent.gtin,
            "production_date": part.get("production_date") or parent.production_date,
        }
        child = _new_batch(session, org, values, Step.SPLIT, part["g"])
        _derive_from_parents(child, [parent], [Draw(g=part["g"], batch=parent.id)], 1.0)
        outputs.append(child)
    event = epcis.transformation_event(
        base_url,
        epcis.new_event_id(),
        utcnow(),
        org.code,
        Step.SPLIT,
        [_lot(org, parent, kg=total.kg)],
        [_lot(org, c) for c in outputs],
    )
    _record_many(session, org, outputs, event, parent)
    return outputs


def merge(session: Db, org: Organisation, values: dict[str, Any], base_url: str) -> Batch:
    """Several batches of one product into one, all of the kg drawn."""
    draws = _batch_draws(values["inputs"])
    if len(draws) < 2:
        raise BatchRefused(errors={"inputs": [_l("Merging needs at least two batches.")]})
    parents = _take_from_parents(session, org, draws, None)
    products = {p.product for p in parents}
    if len(products) > 1:
        raise BatchRefused(errors={"inputs": [_l("Only batches of the same product can merge.")]})
    total = sum(d.g for d in draws)
    values = {**values, "product": parents[0].product}
    batch = _new_batch(session, org, values, Step.MERGE, total)
    _derive_from_parents(batch, parents, draws, 1.0)
    _record_made_from(session, org, batch, parents, draws, base_url)
    return batch


def _record_made_from(
    session: Db,
    org: Organisation,
    batch: Batch,
    parents: Sequence[Batch],
    draws: Sequence[Draw],
    base_url: str,
) -> None:
    """The event of a batch merged from parents, and its log entry."""
    inputs = [_lot(org, p, kg=d.kg) for p, d in zip(parents, draws, strict=True)]
    event = epcis.transformation_event(
        base_url, epcis.new_event_id(), utcnow(), org.code, batch.step, inputs, [_lot(org, batch)]
    )
    drawn = [{"batch": p.id, "kg": d.kg} for p, d in zip(parents, draws, strict=True)]
    _record(session, org, batch, event, drawn, parents)


def _record_outputs(
    session: Db,
    org: Organisation,
    rule: crops.Transform,
    made: list[Batch],
    parents: Sequence[Batch],
    draws: Sequence[Draw],
    base_url: str,
) -> None:
    """One event for a processing step (packing aggregates, other steps transform; every
    output in it) and one log entry per output batch."""
    inputs = [_lot(org, p, kg=d.kg) for p, d in zip(parents, draws, strict=True)]
    when, event_id = utcnow(), epcis.new_event_id()
    if rule.step.event == "aggregation":
        event = epcis.packing_event(base_url, event_id, when, org.code, _lot(org, made[0]), inputs)
    else:
        outputs = [_lot(org, b) for b in made]
        event = epcis.transformation_event(
            base_url, event_id, when, org.code, steps.biz_step(rule.step.code), inputs, outputs
        )
    if len(made) == 1:
        drawn = [{"batch": p.id, "kg": d.kg} for p, d in zip(parents, draws, strict=True)]
        _record(session, org, made[0], event, drawn, parents)
        return
    session.flush()
    lots = [b.lot_code for b in made]
    entries = [
        (
            "batch.registered",
            org.code,
            f"{org.code}/{b.lot_code}",
            {
                **_registered(b, [{"batch": i.parent_id, "kg": i.kg} for i in b.inputs]),
                "outputs": lots,
                "allocation": b.derivation["allocation"],
                "event": event["eventID"],
                "event_digest": digest(event),
            },
        )
        for b in made
    ]
    _log_batches(session, org, event, made, [*made, *parents], entries)


def _registered(batch: Batch, inputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "lot": batch.lot_code,
        "product": batch.product,
        "gtin": batch.gtin,
        "kg": batch.quantity_kg,
        "step": batch.step,
        "inputs": inputs,
        "g_co2e_per_kg": round(batch.g_co2e_per_kg, 3),
    }


def _take_from_parents(
    session: Db, org: Organisation, draws: list[Draw], product: str | None
) -> list[Batch]:
    """Lock the parents, check they are the organisation's, usable and hold enough, and
    take the kg. Returns the parents in the order of `draws`."""
    ids = [d.batch for d in draws]
    _check_distinct(ids, "inputs")
    locked = session.scalars(
        select(Batch)
        .where(Batch.id.in_(ids))
        .order_by(Batch.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    by_id = {b.id: b for b in locked}
    problems: dict[str, list[Any]] = {}
    for n, draw in enumerate(draws):
        parent = by_id.get(draw.batch or 0)
        why = _unusable(session, org, parent, product)
        if why is not None:
            problems[f"inputs.{n}.batch"] = [why]
        elif parent is not None and draw.g > parent.remaining_g:
            left = _kg(parent.remaining_kg)
            problems[f"inputs.{n}.kg"] = [_l("Only %(kg)s kg remain in this batch.", kg=left)]
    if problems:
        raise BatchRefused(errors=problems)
    for draw in draws:
        parent = by_id[draw.batch or 0]
        parent.remaining_g -= draw.g
    return [by_id[d.batch or 0] for d in draws]


def _unusable(session: Db, org: Organisation, parent: Batch | None, product: str | None) -> Any:
    """Why a batch cannot be drawn on, or None."""
    if parent is None or parent.organisation_id != org.id:
        return _l("This batch does not exist or is not held by your organisation.")
    if product is not None and parent.product != product:
        return _l("This step needs %(product)s as input.", product=PRODUCT_LABELS[product])
    if parent.at_risk_since is not None:
        return _l("This batch is on hold: an approval it depends on was revoked.")
    if pending_handover(session, parent.id) is not None:
        return _l("This batch is being handed over; wait for the answer.")
    return None


def _parts(parents: Sequence[Batch], gs: Sequence[int]) -> list[dict[str, Any]]:
    return [
        {
            "batch": p.id,
            "lot": p.lot_code,
            "kg": g / GRAMS_PER_KG,
            "g_co2e_per_kg": p.g_co2e_per_kg,
            "baseline_g_co2e_per_kg": p.baseline_g_co2e_per_kg,
            "removals_kg_co2_per_kg": p.removals_kg_co2_per_kg,
        }
        for p, g in zip(parents, gs, strict=True)
    ]


def _derive_from_parents(
    batch: Batch, parents: Sequence[Batch], draws: Sequence[Draw], ratio: float
) -> None:
    """A split's or merge's batch (ratio 1): the parents' kg-weighted intensity and
    removals per kg."""
    parts = _parts(parents, [d.g for d in draws])
    intensity, baseline = _weighted(parts)
    removals = _removals(parts)
    batch.g_co2e_per_kg = intensity / ratio
    batch.baseline_g_co2e_per_kg = None if baseline is None else baseline / ratio
    batch.removals_kg_co2_per_kg = None if removals is None else removals / ratio
    batch.derivation = {
        "rule": batch.step,
        "yield": round(ratio, 6),
        "inputs": parts,
        "removals_kg_co2_per_kg": batch.removals_kg_co2_per_kg,
    }
    for parent, draw in zip(parents, draws, strict=True):
        batch.inputs.append(BatchInput(parent_id=parent.id, grams=draw.g))


def _derive_outputs(
    made: Sequence[Batch],
    parents: Sequence[Batch],
    draws: Sequence[Draw],
    checked: steps.Balance,
    allocation: steps.Allocation,
) -> None:
    """Each output of a step: the part of each parent's draw it is made of (by mass, in
    whole grams summing to the draw), and its share of the input's emissions (by mass, or
    by economic value) as g CO2e/kg, and of the CO2 its trees took up, shared the same way;
    the whole step in each output's derivation."""
    drawn_parts = _parts(parents, [d.g for d in draws])
    intensity, baseline = _weighted(drawn_parts)
    removals_in = _removals(drawn_parts)
    drawn_kg = checked.input_g / GRAMS_PER_KG
    emissions = intensity * drawn_kg
    base = None if baseline is None else baseline * drawn_kg
    taken_up = None if removals_in is None else removals_in * drawn_kg  # kg CO2
    weights = [o.g for o in checked.outputs]
    splits = [steps.apportion(d.g, weights) for d in draws]
    several = len(made) > 1
    step_facts: dict[str, Any] = {
        "input_kg": drawn_kg,
        "loss_kg": checked.loss_g / GRAMS_PER_KG,
        "g_co2e_per_kg_in": intensity,
        "removals_kg_co2_per_kg_in": removals_in,
        "outputs": [
            {"product": b.product, "lot": b.lot_code, "kg": b.quantity_kg, "fraction": f}
            for b, f in zip(made, allocation.fractions, strict=True)
        ],
    }
    if allocation.method == steps.ECONOMIC:
        for entry, output in zip(step_facts["outputs"], made, strict=True):
            entry["vnd_per_kg"] = allocation.prices[output.product]
    for n, (batch, fraction) in enumerate(zip(made, allocation.fractions, strict=True)):
        shares = [(p, split[n]) for p, split in zip(parents, splits, strict=True) if split[n]]
        batch.g_co2e_per_kg = steps.intensity(emissions, fraction, batch.quantity_g)
        batch.baseline_g_co2e_per_kg = (
            None if base is None else steps.intensity(base, fraction, batch.quantity_g)
        )
        batch.removals_kg_co2_per_kg = (  # kg CO2 shared out, per kg of the output
            None if taken_up is None else steps.intensity(taken_up, fraction, batch.quantity_g)
        )
        batch.derivation = {
            "rule": batch.step,
            "yield": round(batch.quantity_g / sum(g for _, g in shares), 6),
            "inputs": _parts([p for p, _ in shares], [g for _, g in shares]),
            "step": step_facts,
            "removals_kg_co2_per_kg": batch.removals_kg_co2_per_kg,
        }
        if several:
            batch.derivation["allocation"] = allocation.method
        for parent, g in shares:
            batch.inputs.append(BatchInput(parent_id=parent.id, grams=g))


def _new_batch(session: Db, org: Organisation, values: dict[str, Any], step: str, g: int) -> Batch:
    code = values["lot_code"]
    taken = session.scalar(select(Batch.id).where(Batch.maker_id == org.id, Batch.lot_code == code))
    if taken is not None:
        raise BatchRefused(
            errors={"lot_code": [_l("Your organisation already used this lot code.")]}
        )
    batch = Batch(
        organisation_id=org.id,
        maker_id=org.id,
        lot_code=code,
        product=crops.product(values["product"]).code,
        gtin=values.get("gtin"),
        step=step,
        quantity_g=g,
        remaining_g=g,
        production_date=values.get("production_date") or date.today(),
        g_co2e_per_kg=0.0,
        derivation={},
        log_index=-1,
    )
    session.add(batch)
    return batch


def _next_lot(session: Db, org: Organisation, lot: str, n: int) -> str:
    """A free lot code for part `n` of a split: LOT-1, LOT-2… (cut to 20 characters)."""
    k = n + 1
    while True:
        code = f"{lot[: 20 - len(str(k)) - 1]}-{k}"
        if session.scalar(
            select(Batch.id).where(Batch.maker_id == org.id, Batch.lot_code == code)
        ) is None and code not in {b.lot_code for b in session.new if isinstance(b, Batch)}:
            return code
        k += 1


def _record(
    session: Db,
    org: Organisation,
    batch: Batch,
    event: dict[str, Any],
    inputs: list[dict[str, Any]],
    parents: Iterable[Batch] = (),
) -> None:
    entry = (
        "batch.registered",
        org.code,
        f"{org.code}/{batch.lot_code}",
        {**_registered(batch, inputs), "event": event["eventID"], "event_digest": digest(event)},
    )
    _log_batches(session, org, event, [batch], [batch, *parents], [entry])


def _record_many(
    session: Db, org: Organisation, outputs: list[Batch], event: dict[str, Any], parent: Batch
) -> None:
    session.flush()
    entries = [
        (
            "batch.registered",
            org.code,
            f"{org.code}/{b.lot_code}",
            {
                **_registered(b, [{"batch": parent.id, "kg": b.quantity_kg}]),
                "event": event["eventID"],
                "event_digest": digest(event),
            },
        )
        for b in outputs
    ]
    _log_batches(session, org, event, outputs, [*outputs, parent], entries)


def _log_batches(
    session: Db,
    org: Organisation,
    event: dict[str, Any],
    made: Sequence[Batch],
    about: list[Batch],
    entries: Sequence[ledger.Entry],
) -> None:
    """Log one `batch.registered` entry a batch made, and keep the event that made them
    with the first one's index (numbered now, or by the sequencer once committed)."""
    row = store_event(session, org, event, about, -1)
    fills: list[list[sequencer.Fill]] = [[(b, "log_index")] for b in made]
    fills[0].append((row, "log_index"))
    sequencer.record_many(session, entries, fills)


def store_event(
    session: Db,
    org: Organisation,
    event: dict[str, Any],
    batches: list[Batch],
    index: int,
    captured: bool = False,
) -> TraceEvent:
    """Keep an EPCIS event (the registry's own, or `captured` from a partner) with the
    batches it is about and the index of its log entry."""
    row = TraceEvent(
        event_id=event["eventID"],
        type=event["type"],
        biz_step=event.get("bizStep"),
        event_time=epcis.parse_time(event["eventTime"]),
        organisation_id=org.id,
        document=event,
        captured=captured,
        log_index=index,
        batches=batches,
    )
    session.add(row)
    return row


def _lot(org: Organisation, batch: Batch, kg: float | None = None) -> epcis.Lot:
    maker = batch.maker.code if batch.maker_id != org.id and batch.maker else org.code
    return epcis.Lot(maker, batch.lot_code, batch.gtin, batch.quantity_kg if kg is None else kg)


def _grams(values: Sequence[dict[str, Any]], name: str) -> list[int]:
    """Each value's kg in whole grams; a draw of less than a gram is refused (it would
    take nothing from its source and still make a batch)."""
    gs = [grams(float(v["kg"])) for v in values]
    small = {
        f"{name}.{n}.kg": [_l("Give at least 1 g (0.001 kg).")] for n, g in enumerate(gs) if g < 1
    }
    if small:
        raise BatchRefused(errors=small)
    return gs


def _batch_draws(inputs: Sequence[dict[str, Any]]) -> list[Draw]:
    gs = _grams(inputs, "inputs")
    return [Draw(g=g, batch=d["batch"]) for d, g in zip(inputs, gs, strict=True)]


def _check_enough(g: int, left: int, name: str) -> None:
    if g > left:
        left_kg = _kg(left / GRAMS_PER_KG)
        raise BatchRefused(
            errors={name: [_l("Only %(kg)s kg of this harvest are left to draw.", kg=left_kg)]}
        )


def _check_distinct(values: Sequence[Any], name: str) -> None:
    if len(set(values)) != len(values):
        raise BatchRefused(errors={name: [_l("Each source may appear only once.")]})


def _kg(value: float) -> str:
    """kg in the reader's number format (6.600,5 in Vietnamese)."""
    return number(max(value, 0.0), "#,##0.###")


# ---------------------------------------------------------------- hand-overs
def ship(
    session: Db,
    org: Organisation,
    batch_id: int,
    receiver_code: str,
    base_url: str,
    kg: float | None = None,
    note: str | None = None,
) -> Handover:
    """Send a batch, or `kg` of it (split off first), to another organisation."""
    receiver = session.scalar(select(Organisation).where(Organisation.code == receiver_code))
    if receiver is None or receiver.kind not in RECEIVERS or receiver.id == org.id:
        raise BatchRefused(
            errors={"receiver": [_l("Choose another HTX, mill or retailer registered here.")]}
        )
    batch = session.get(Batch, batch_id)
    if batch is None or batch.organisation_id != org.id:
        raise BatchNotFound()
    (batch,) = _take_from_parents(session, org, [Draw(g=0, batch=batch_id)], None)  # lock
    g = batch.remaining_g if kg is None else grams(kg)
    if g < 1 or g > batch.remaining_g:
        left = _kg(batch.remaining_kg)
        raise BatchRefused(errors={"kg": [_l("Only %(kg)s kg remain in this batch.", kg=left)]})
    if g < batch.quantity_g:  # send part: it becomes a batch of its own first
        (batch,) = split(session, org, batch_id, [{"kg": g / GRAMS_PER_KG}], base_url)
    handover = Handover(
        batch=batch, sender_id=org.id, receiver_id=receiver.id, note=note, log_index=-1
    )
    session.add(handover)
    session.flush()
    event = epcis.shipping_event(
        base_url,
        epcis.new_event_id(),
        utcnow(),
        org.code,
        receiver.code,
        _lot(org, batch),
        handover.id,
    )
    _log_event(session, org, event, batch, handover, "log_index")
    return handover


def answer(
    session: Db,
    org: Organisation,
    handover_id: int,
    accept: bool,
    base_url: str,
    reason: str | None = None,
) -> Handover:
    """The receiver accepts (ownership moves) or rejects (the batch stays with the sender)."""
    handover = session.scalar(
        select(Handover)
        .where(Handover.id == handover_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if handover is None or handover.receiver_id != org.id:
        raise NotFound(_l("This hand-over is not addressed to your organisation."))
    if handover.status is not HandoverStatus.PENDING:
        raise BatchRefused(_l("This hand-over was already answered."))
    if not accept and not (reason or "").strip():
        raise BatchRefused(errors={"reason": [_l("Say why the batch is refused.")]})
    batch = handover.batch
    handover.status = HandoverStatus.ACCEPTED if accept else HandoverStatus.REJECTED
    handover.decided_at, handover.reason = utcnow(), (reason or "").strip()[:300] or None
    if accept:
        batch.organisation_id = org.id
    event = epcis.receiving_event(
        base_url,
        epcis.new_event_id(),
        utcnow(),
        handover.sender.code,
        org.code,
        _lot(org, batch),
        accept,
    )
    _log_event(session, org, event, batch, handover, "decided_log_index")
    return handover


def _log_event(
    session: Db,
    org: Organisation,
    event: dict[str, Any],
    batch: Batch,
    handover: Handover,
    column: str,
) -> None:
    """Log a hand-over's event; its index goes to the event and to the hand-over's
    `column` for that step (numbered now, or by the sequencer once committed)."""
    row = store_event(session, org, event, [batch], -1)
    sequencer.record(
        session,
        "trace.event",
        org.code,
        event["eventID"],
        {
            "event": event["eventID"],
            "type": event["type"],
            "biz_step": event["bizStep"],
            "lot": f"{batch.maker.code}/{batch.lot_code}",
            "handover": handover.id,
            "kg": batch.quantity_kg,
            "digest": digest(event),
        },
        [(handover, column), (row, "log_index")],
    )


# ---------------------------------------------------------------- revocation cascade
put_on_hold = Namespace().signal("batches-put-on-hold")
"""Sent (sender: the acting organisation's code; session, batch_ids, reason) when batches
are put on hold, so that downstream domains (labels) follow without trace knowing them."""


def flag_dependents(session: Db, actor: str, approval_id: int, reason: str) -> list[Batch]:
    """Put every batch downstream of a revoked approval on hold and tell its holder."""
    direct = select(BatchInput.batch_id).where(BatchInput.approval_id == approval_id)
    down = direct.cte("down", recursive=True)
    child = aliased(BatchInput)
    down = down.union(select(child.batch_id).join(down, child.parent_id == down.c.batch_id))
    batches = list(
        session.scalars(
            select(Batch).where(
                Batch.id.in_(select(down.c.batch_id)), Batch.at_risk_since.is_(None)
            )
        )
    )
    now = utcnow()
    for batch in batches:
        batch.at_risk_since, batch.at_risk_reason = now, reason[:300]
        session.add(
            Notice(
                organisation_id=batch.organisation_id,
                kind="batch.at_risk",
                subject=f"{batch.id}",
                detail=f"{batch.lot_code}: {reason}"[:300],
            )
        )
    if batches:
        put_on_hold.send(actor, session=session, batch_ids=[b.id for b in batches], reason=reason)
    return batches


def notices_for(session: Db, org: Organisation, limit: int = 20) -> list[Notice]:
    query = select(Notice).where(Notice.organisation_id == org.id, Notice.read_at.is_(None))
    return list(session.scalars(query.order_by(Notice.id.desc()).limit(limit)))


def dismiss_notice(session: Db, org: Organisation, notice_id: int) -> None:
    """Mark a notice read (it stays in the database as a record of who was told)."""
    notice = session.get(Notice, notice_id)
    if notice is None or notice.organisation_id != org.id:
        raise NotFound()
    notice.read_at = notice.read_at or utcnow()


def events_of(session: Db, batch_ids: Iterable[int]) -> list[TraceEvent]:
    """The events that made or moved any of the batches, oldest first, each once; not
    those that only drew on them to make a batch outside the set (another buyer's part
    of a split, another packing of the same milled lot, the batches' own future).

    Two queries: the batches linked to every event about the set, with their parents;
    then the events kept, by primary key. On PostgreSQL ids travel as one array
    parameter each and the event ids are gathered first, so every lookup is by index.
    Written as a semi-join (`id IN (SELECT event_id …)`, as SQLite still is) the planner
    read the whole trace_events table once a few thousand events were wanted: 112 ms at
    106,000 events and growing with the registry, against ~10 ms for both queries
    (bench/trace_bench.py, 1,000 ancestors); a thousand bind parameters also cost
    psycopg ~10 ms to parse."""
    ids = list(batch_ids)
    postgres = session.get_bind().dialect.name == "postgresql"
    link, other = trace_event_batches, trace_event_batches.alias("other")
    about = _among(link.c.batch_id, ids, postgres)
    if postgres:
        gathered = select(func.array_agg(link.c.event_id)).where(about).scalar_subquery()
        linked = other.c.event_id == any_(cast(gathered, ARRAY(Integer)))
    else:
        linked = other.c.event_id.in_(select(link.c.event_id).where(about))
    rows = session.execute(
        select(other.c.event_id, other.c.batch_id, BatchInput.parent_id)
        .outerjoin(BatchInput, BatchInput.batch_id == other.c.batch_id)
        .where(linked)
    )
    kept = _made_or_moved(rows, set(ids))
    query = select(TraceEvent).where(_among(TraceEvent.id, kept, postgres))
    return list(session.scalars(query.order_by(TraceEvent.id)))


def _among(column: Any, ids: list[int], postgres: bool) -> Any:
    """`column IN ids`; on PostgreSQL `= ANY(array)`, one parameter however many ids."""
    if postgres:
        return column == any_(bindparam(None, ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def _made_or_moved(rows: Iterable[Any], ids: set[int]) -> list[int]:
    """Of (event, linked batch, a parent of that batch) rows, the events linked to a
    batch of `ids` that is not merely the input of a linked batch outside `ids`."""
    linked: dict[int, set[int]] = defaultdict(set)
    drawn_on: dict[int, set[int]] = defaultdict(set)
    for event_id, batch_id, parent_id in rows:
        linked[event_id].add(batch_id)
        if parent_id is not None and batch_id not in ids:
            drawn_on[event_id].add(parent_id)
    return [e for e, batch_set in linked.items() if (batch_set & ids) - drawn_on[e]]


def upstream_document(session: Db, batch: Batch) -> dict[str, Any]:
    """The EPCIS document of the batch's whole upstream history."""
    events = events_of(session, ancestor_ids(session, batch.id))
    return epcis.document((e.document for e in events), utcnow())
