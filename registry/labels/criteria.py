"""Label criteria: the authority's versioned rules, and the check of a batch against them.

A batch passes when (1) every season it comes from has a valid signed approval and nothing
upstream is on hold, (2) its reduction against the 2020 baseline reaches the threshold,
and (3) every field it comes from holds each required certification on the day of
issuance. Each check says why it passed or failed, for the request page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.accounts.models import Organisation, OrgKind
from registry.db import Db
from registry.errors import DomainError, Forbidden
from registry.labels.models import Criteria
from registry.ledger import service as ledger
from registry.numbers import number
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
            "required_schemes": criteria.required_schemes,
            "validity_days": criteria.validity_days,
            "auto_issue": criteria.auto_issue,
        },
    )
    return criteria


def evaluate(session: Db, batch: Batch, criteria: Criteria, on: date) -> Evaluation:
    seasons = upstream_seasons(session, batch)
    return Evaluation(
        criteria,
        [
            _chain_check(session, batch, seasons),
            _reduction_check(batch, criteria),
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


def _reduction_check(batch: Batch, criteria: Criteria) -> Check:
    name = _l(
        "Reduction vs 2020 at least %(pct)s %%", pct=number(criteria.min_reduction_pct, "#,##0.##")
    )
    got = batch.reduction_pct
    if got is None:
        return Check(str(name), False, _l("No 2020 baseline for every season it comes from."))
    return Check(str(name), got >= criteria.min_reduction_pct, f"{got:.1f} %")


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
