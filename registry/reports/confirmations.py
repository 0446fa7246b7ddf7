"""A commune office confirms its commune's reported reduction for a period.

The person reviews the figures on a page that carries their digest; confirming sends the
digest back, and the registry refuses if the figures changed in between (someone
recorded a harvest meanwhile), so what is confirmed is exactly what was read. The
statement (`type` "commune.confirmation") names the commune, the period, the figures and
their digest, the office and the person (by user id, not name), and the time; its JCS
bytes are signed with Ed25519 (registry.verify.signing, as approvals are) and the
statement's SHA-256 is appended to the transparency log.

Whose key: the registry's transparency-log key, not one held by each commune office.
Approvals are signed by verifiers' own keys because a verifier is an outside body whose
word the registry must be able to prove without being trusted. A commune office signs
in to the registry with its own account, and its confirmation is an act recorded by the
registry: the registry's signature says "this account confirmed these figures then",
the log entry (covered by the signed checkpoints, the same key) makes that record
impossible to alter or back-date unseen, and the signature lets anyone check one
confirmation offline with the key at /log/key. Giving thousands of commune offices keys
to keep, register, rotate and revoke (the verifier-key model) would add that proof of
the person at a cost the programme's commune offices cannot carry yet; the statement
format leaves room for it (`kid` names the key that signed). The log key signs two
formats that cannot be confused: a checkpoint note begins with the log's origin line,
a statement's JCS with "{". Callers commit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.accounts.models import Organisation, OrgKind, User
from registry.db import Db, utcnow
from registry.errors import Conflict, Forbidden, NotFound
from registry.ledger import service as ledger
from registry.ledger.service import rfc3339
from registry.reports import figures, periodic, rollup
from registry.reports.figures import Area
from registry.reports.models import CommuneConfirmation
from registry.reports.periods import Period, target_pct
from registry.verify import signing

TYPE = "commune.confirmation"


class FiguresChanged(Conflict):
    title = _l("The figures changed since you reviewed them. Review them again.")


class ConfirmationNotFound(NotFound):
    title = _l("No such confirmation.")


@dataclass(frozen=True)
class Review:
    """What the office reads before confirming, and the digest it confirms."""

    period: Period
    figures: dict[str, Any]
    digest: str


def review(session: Db, office: Organisation, period: Period, final_pct: float) -> Review:
    """The commune's figures for the period as the records stand now."""
    if office.kind is not OrgKind.COMMUNE_OFFICE:
        raise Forbidden(_l("Only a commune office confirms its commune's reduction."))
    rollup.refresh(session, timedelta(0))
    found = figures.emissions(session, Area(office.province, office.commune), period)
    data = {
        "seasons": found.seasons,
        "area_ha": found.area_ha,
        "verified_seasons": found.verified_seasons,
        "total_kg_co2e": found.total_kg_co2e,
        "per_ha_kg_co2e": found.per_ha_kg_co2e,
        "baseline_per_ha_kg_co2e": found.baseline_per_ha_kg_co2e,
        "per_kg_g_co2e": found.per_kg_g_co2e,
        "baseline_per_kg_g_co2e": found.baseline_per_kg_g_co2e,
        "reduction_pct": found.reduction_pct,
        "reduction_per_ha_pct": found.reduction_per_ha_pct,
        "target_pct": target_pct(period.year, final_pct),
    }
    return Review(period, data, periodic.digest(data))


def confirm(
    session: Db,
    office: Organisation,
    user: User,
    period: Period,
    reviewed: str,
    final_pct: float,
    key: Ed25519PrivateKey,
    registry_id: str,
) -> CommuneConfirmation:
    """Sign and log the confirmation of the figures whose digest is `reviewed`."""
    current = review(session, office, period, final_pct)
    if current.digest != reviewed:
        raise FiguresChanged(errors={"digest": [_l("Review the new figures and confirm again.")]})
    kid = signing.kid(key.public_key())
    statement = {
        "type": TYPE,
        "registry": registry_id,
        "province": office.province,
        "commune": office.commune,
        "office": office.code,
        "user": user.id,
        "period": {
            "key": period.key,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "figures": current.figures,
        "figures_digest": current.digest,
        "kid": kid,
        "signed_at": rfc3339(utcnow()),
    }
    record = CommuneConfirmation(
        organisation_id=office.id,
        confirmed_by_id=user.id,
        province=office.province,
        commune=office.commune,
        period_start=period.start,
        period_end=period.end,
        statement=statement,
        statement_digest=hashlib.sha256(signing.statement_bytes(statement)).hexdigest(),
        signature=signing.sign(statement, key),
        kid=kid,
        log_index=-1,
    )
    session.add(record)
    session.flush()
    record.log_index = ledger.append(
        session,
        "commune.confirmed",
        office.code,
        f"confirmation-{record.id}",
        {
            "statement_digest": record.statement_digest,
            "province": office.province,
            "commune": office.commune,
            "period": period.key,
            "kid": kid,
        },
    )
    return record


def confirmation(session: Db, confirmation_id: int) -> CommuneConfirmation:
    found = session.get(CommuneConfirmation, confirmation_id)
    if found is None:
        raise ConfirmationNotFound()
    return found


def of_office(session: Db, viewer: Organisation, limit: int = 50) -> list[CommuneConfirmation]:
    """The newest confirmations `viewer` may read (all of them for the authority)."""
    query = select(CommuneConfirmation).order_by(CommuneConfirmation.id.desc()).limit(limit)
    if viewer.kind is not OrgKind.AUTHORITY:
        query = query.where(CommuneConfirmation.organisation_id == viewer.id)
    return list(session.scalars(query))
