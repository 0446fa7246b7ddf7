"""Label criteria: the authority's versioned rules, and the check of a batch against them.

A batch passes when (1) every season it comes from has a valid signed approval and nothing
upstream is on hold, (2) its reduction against the 2020 baseline reaches the threshold,
(3) its emissions per kg stay under the ceiling, where one is set, and (4) every field it
comes from holds each required certification on the day of issuance. The authority may set
(2) and (3) per crop; a crop without its own rule takes the general reduction and no
ceiling. Each check says why it passed or failed, for the request page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry import crops
from registry.accounts.models import Organisation, OrgKind
from registry.db import Db
from registry.errors import DomainError, Forbidden
from registry.labels.models import Criteria
from registry.ledger import service as ledger
from registry.numbers import number, percent
from registry.trace.batches import ancestor_ids
from registry.trace.models import Batch, BatchInput, Certification, Season
from registry.verify.models import Approval

DEFAULT = {"min_reduction_pct": 10.0, "required_schemes": [], "validity_days": 730}


class NoCriteria(DomainError):
    status = 409
    title = _l("The authority has not set label criteria yet.")


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: Any


@dataclass(frozen=True)
class Evaluation:
    criteria: Criteria
    checks: list[Check]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


def current(session: Db) -> Criteria:
    found = session.scalar(select(Criteria).order_by(Criteria.version.desc()).limit(1))
    if found is None:
        raise NoCriteria()
    return found


def set_criteria(session: Db, authority: Organisation, values: dict[str, Any]) -> Criteria:
    """A new version of the criteria (logged); labels already issued keep theirs."""
    if authority.kind is not OrgKind.AUTHORITY:
        raise Forbidden()
    latest = session.scalar(select(Criteria.version).order_by(Criteria.version.desc()).limit(1))
    criteria = Criteria(
        version=(latest or 0) + 1,
        min_reduction_pct=values["min_reduction_pct"],
        crop_rules=_crop_rules(values.get("crop_rules") or {}),
        required_schemes=sorted(set(values.get("required_schemes") or [])),
        validity_days=values["validity_days"],
        auto_issue=bool(values.get("auto_issue")),
        note=values.get("note"),
        created_by_id=authority.id,
        log_index=-1,
    )
    session.add(criteria)
    criteria.log_index = ledger.append(
        session,
        "label.criteria",
        authority.code,
        f"criteria-{criteria.version}",
        {
            "version": criteria.version,
            "min_reduction_pct": criteria.min_reduction_pct,
            "crop_rules": criteria.crop_rules,
            "required_schemes": criteria.required_schemes,
            "validity_days": criteria.validity_days,
            "auto_issue": criteria.auto_issue,
        },
    )
    return criteria


def _crop_rules(rules: dict[str, dict[str, float | None]]) -> dict[str, dict[str, float]]:
    """The thresholds actually set, crop by crop (a crop with none set has no rule)."""
    kept = {crop: {k: v for k, v in rule.items() if v is not None} for crop, rule in rules.items()}
    return {crop: rule for crop, rule in sorted(kept.items()) if rule}


@dataclass(frozen=True)
class Thresholds:
    """What a batch of these crops must meet: the strictest of their rules."""

    min_reduction_pct: float
    max_g_co2e_per_kg: float | None
    crops: tuple[str, ...]  # the crops whose own rules set them; empty: the general rule


def thresholds(criteria: Criteria, crop_codes: set[str]) -> Thresholds:
    rules = {c: criteria.crop_rules[c] for c in sorted(crop_codes) if c in criteria.crop_rules}
    reductions = [r.get("min_reduction_pct", criteria.min_reduction_pct) for r in rules.values()]
    ceilings = [r["max_g_co2e_per_kg"] for r in rules.values() if "max_g_co2e_per_kg" in r]
    return Thresholds(
        max(reductions, default=criteria.min_reduction_pct),
        min(ceilings, default=None),
        tuple(rules),
    )


def evaluate(session: Db, batch: Batch, criteria: Criteria, on: date) -> Evaluation:
    seasons = upstream_seasons(session, batch)
    limits = thresholds(criteria, {s.crop for s, _ in seasons})
    return Evaluation(
        criteria,
        [
            _chain_check(session, batch, seasons),
            _reduction_check(batch, limits),
            *_intensity_check(batch, limits),
            *_certification_checks(session, seasons, criteria, on),
        ],
    )


def upstream_seasons(session: Db, batch: Batch) -> list[tuple[Season, int | None]]:
    """Every season the batch comes from, with the approval its draw relied on."""
    rows = session.execute(
        select(Season, BatchInput.approval_id)
        .join(BatchInput, BatchInput.season_id == Season.id)
        .where(BatchInput.batch_id.in_(ancestor_ids(session, batch.id)))
        .order_by(Season.id)
    )
    return [(season, approval) for season, approval in rows]


def _chain_check(session: Db, batch: Batch, seasons: list[tuple[Season, int | None]]) -> Check:
    name = _l("Every season it comes from has a valid signed approval")
    if batch.at_risk_since is not None:
        return Check(str(name), False, batch.at_risk_reason)
    ids = {a for _, a in seasons if a is not None}
    revoked = session.scalars(
        select(Approval.id).where(Approval.id.in_(ids), Approval.revoked_at.is_not(None))
    ).all()
    if not seasons or revoked or len(ids) < len({a for _, a in seasons}):
        return Check(str(name), False, _l("An approval is missing or was revoked."))
    codes = ", ".join(sorted({s.code for s, _ in seasons}))
    return Check(str(name), True, codes)


def _for_crops(name: str, limits: Thresholds) -> str:
    """A check's name, with the crops whose own rule it applies."""
    if not limits.crops:
        return name
    names = ", ".join(crops.get(c).name for c in limits.crops)
    return str(_l("%(check)s (rule for %(crops)s)", check=name, crops=names))


def _reduction_check(batch: Batch, limits: Thresholds) -> Check:
    wanted = limits.min_reduction_pct
    name = _for_crops(
        str(_l("Reduction vs 2020 at least %(pct)s %%", pct=number(wanted, "#,##0.##"))), limits
    )
    got = batch.reduction_pct
    if got is None:
        return Check(name, False, _l("No 2020 baseline for every season it comes from."))
    return Check(name, got >= wanted, percent(got))


def _intensity_check(batch: Batch, limits: Thresholds) -> list[Check]:
    ceiling = limits.max_g_co2e_per_kg
    if ceiling is None:
        return []
    name = _for_crops(
        str(_l("At most %(g)s g CO₂e per kg of product", g=number(ceiling, "#,##0.#"))), limits
    )
    got = batch.g_co2e_per_kg
    return [Check(name, got <= ceiling, f"{number(got, '#,##0.#')} g CO₂e/kg")]


def _certification_checks(
    session: Db, seasons: list[tuple[Season, int | None]], criteria: Criteria, on: date
) -> list[Check]:
    field_ids = {s.field_id for s, _ in seasons}
    checks = []
    for scheme in criteria.required_schemes:
        holding = set(
            session.scalars(
                select(Certification.field_id).where(
                    Certification.field_id.in_(field_ids),
                    Certification.scheme == scheme,
                    Certification.valid_from <= on,
                    Certification.valid_until >= on,
                )
            )
        )
        missing = sorted(s.field.code for s, _ in seasons if s.field_id not in holding)
        name = _l("Every field holds a valid %(scheme)s certificate", scheme=scheme.upper())
        detail = ", ".join(dict.fromkeys(missing)) if missing else _l("all fields")
        checks.append(Check(str(name), not missing, detail))
    return checks
