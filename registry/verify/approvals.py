"""Accreditation, verifier keys and signed approvals (DESIGN.md §7).

The registry builds the statement, the verifier signs its JCS bytes with a key that never
leaves the verifier (CLI or browser), and the registry records the decision only after the
signature verifies against that verifier's registered, unrevoked key, with an active
accreditation and no conflict of interest. Callers commit."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry import crops as crop_catalogue
from registry.accounts.models import Organisation, OrgKind, User
from registry.db import Db, utcnow
from registry.errors import Conflict, DomainError, Forbidden, NotFound
from registry.ledger import service as ledger
from registry.ledger.service import rfc3339
from registry.places import PROVINCES
from registry.trace import batches
from registry.trace.service import today_in_vietnam
from registry.verify import signing, ties
from registry.verify.models import (
    Accreditation,
    Approval,
    Decision,
    DeclaredTie,
    MrvReport,
    ReportSeason,
    ReportStatus,
    ReviewComment,
    VerifierKey,
)
from registry.verify.reports import totals

FRESHNESS = timedelta(minutes=30)  # a statement must be signed and sent within this time
CLOCK_SKEW = timedelta(minutes=2)
TYPES = {Decision.APPROVED: "mrv.approval", Decision.REJECTED: "mrv.rejection"}
OPEN = (ReportStatus.SUBMITTED, ReportStatus.UNDER_REVIEW)
SIGNATURE = re.compile(r"[A-Za-z0-9_-]{86}")  # 64 bytes, unpadded base64url, nothing else


class ApprovalRefused(DomainError):
    title = _l("The decision cannot be recorded.")


class KeyRefused(DomainError):
    title = _l("This key cannot be registered.")


# ---------------------------------------------------------------- accreditation
def accredit(
    session: Db,
    verifier: Organisation,
    actor: Organisation,
    *,
    crops: list[str],
    provinces: list[str],
    valid_from: date,
    valid_until: date,
) -> Accreditation:
    if verifier.kind is not OrgKind.VERIFIER:
        raise ApprovalRefused(errors={"organisation": [_l("Only verifiers are accredited.")]})
    if valid_until < valid_from:
        raise ApprovalRefused(errors={"valid_until": [_l("The period ends before it starts.")]})
    if not crops or not set(crops) <= set(crop_catalogue.codes()):
        raise ApprovalRefused(errors={"crops": [_l("Choose the crops it may verify.")]})
    if not provinces or not set(provinces) <= set(PROVINCES):
        raise ApprovalRefused(errors={"provinces": [_l("Choose the provinces it may verify.")]})
    accreditation = Accreditation(
        organisation=verifier,
        crops=crops,
        provinces=provinces,
        valid_from=valid_from,
        valid_until=valid_until,
        log_index=-1,
    )
    session.add(accreditation)
    accreditation.log_index = ledger.append(
        session,
        "verifier.accredited",
        actor.code,
        verifier.code,
        {
            "crops": crops,
            "provinces": provinces,
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
        },
    )
    return accreditation


def suspend(session: Db, accreditation: Accreditation, actor: Organisation, reason: str) -> None:
    accreditation.suspended_at, accreditation.suspended_reason = utcnow(), reason
    ledger.append(
        session,
        "verifier.suspended",
        actor.code,
        accreditation.organisation.code,
        {"accreditation": accreditation.id, "reason": reason},
    )


def active_accreditation(session: Db, organisation_id: int, on: date) -> Accreditation | None:
    return session.scalar(
        select(Accreditation)
        .where(
            Accreditation.organisation_id == organisation_id,
            Accreditation.suspended_at.is_(None),
            Accreditation.valid_from <= on,
            Accreditation.valid_until >= on,
        )
        .order_by(Accreditation.id.desc())
        .limit(1)
    )


def declare_relationship(
    session: Db, verifier: Organisation, producer: Organisation, kind: str
) -> DeclaredTie:
    """The verifier declares its own tie to a producer (the rules: registry.verify.ties)."""
    return ties.declare(session, verifier, producer, kind, by=verifier)


# ---------------------------------------------------------------- keys
def register_key(
    session: Db, verifier: Organisation, public_key: str, label: str, valid_days: int = 730
) -> VerifierKey:
    """Register a public key pasted as PEM or base64, or exported by the browser."""
    try:
        key = signing.parse_public_key(public_key)
    except signing.KeyFormatError as exc:
        raise KeyRefused(
            errors={"public_key": [_l("Not an Ed25519 public key (PEM, or base64 of the key).")]}
        ) from exc
    key_id = signing.kid(key)
    if session.scalar(select(VerifierKey.id).where(VerifierKey.kid == key_id)):
        raise Conflict(errors={"public_key": [str(_l("This key is already registered."))]})
    now = utcnow()
    record = VerifierKey(
        organisation=verifier,
        kid=key_id,
        public_key=signing.b64url(signing.raw(key)),
        label=label.strip()[:80],
        valid_from=now,
        valid_until=now + timedelta(days=valid_days),
        log_index=-1,
    )
    session.add(record)
    record.log_index = ledger.append(
        session,
        "key.added",
        verifier.code,
        f"kid:{key_id}",
        {
            "purpose": "verifier",
            "kid": key_id,
            "public_key": record.public_key,
            "valid_until": rfc3339(record.valid_until),
        },
    )
    return record


def revoke_key(session: Db, verifier: Organisation, kid: str, compromised: bool) -> VerifierKey:
    record = session.scalar(
        select(VerifierKey).where(
            VerifierKey.kid == kid, VerifierKey.organisation_id == verifier.id
        )
    )
    if record is None:
        raise NotFound(_l("No such key."))
    if record.revoked_at is None:
        record.revoked_at, record.compromised = utcnow(), compromised
        kind = "key.compromised" if compromised else "key.retired"
        ledger.append(session, kind, verifier.code, f"kid:{kid}", {"kid": kid})
    return record


def keys_of(session: Db, organisation_id: int) -> list[VerifierKey]:
    return list(
        session.scalars(
            select(VerifierKey)
            .where(VerifierKey.organisation_id == organisation_id)
            .order_by(VerifierKey.id.desc())
        )
    )


def key_status(key: VerifierKey, now: datetime | None = None) -> str:
    now = now or utcnow()
    if key.compromised:
        return "compromised"
    if key.revoked_at or key.valid_until < now:
        return "retired"
    return "active"


def jwks(session: Db, verifier_code: str) -> dict[str, Any]:
    """The verifier's JWK Set, made like the registry's trust list (§5, §7)."""
    org = session.scalar(
        select(Organisation).where(
            Organisation.code == verifier_code.upper(), Organisation.kind == OrgKind.VERIFIER
        )
    )
    if org is None:
        raise NotFound(_l("No verifier has this code."))
    return {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": k.public_key,
                "kid": k.kid,
                "use": "sig",
                "status": key_status(k),
                "nbf": int(k.valid_from.timestamp()),
                "exp": int(k.valid_until.timestamp()),
            }
            for k in keys_of(session, org.id)
        ]
    }


# ---------------------------------------------------------------- statements and decisions
def check_may_decide(session: Db, verifier: Organisation, report: MrvReport) -> None:
    """Accredited for every crop of the report and the HTX's province, today, and no
    conflict of interest."""
    if report.status not in OPEN:
        raise ApprovalRefused(_l("This report is not waiting for a decision."))
    declared = ties.tied(session, verifier.id, report.organisation_id)
    if verifier.id == report.organisation_id or declared:
        raise Forbidden(_l("Conflict of interest: you cannot verify this organisation's reports."))
    accreditation = active_accreditation(session, verifier.id, today_in_vietnam())
    if accreditation is None:
        raise Forbidden(_l("Your accreditation is not active (expired or suspended)."))
    crops = {rs.season.crop for rs in report.seasons}
    if (
        not crops <= set(accreditation.crops)
        or report.organisation.province not in accreditation.provinces
    ):
        raise Forbidden(_l("Your accreditation does not cover this province or crop."))


def usable_key(session: Db, verifier: Organisation, kid: str, at: datetime) -> VerifierKey:
    record = session.scalar(
        select(VerifierKey).where(
            VerifierKey.kid == kid, VerifierKey.organisation_id == verifier.id
        )
    )
    if (
        record is None
        or record.revoked_at is not None
        or not (record.valid_from - CLOCK_SKEW <= at <= record.valid_until)
    ):
        raise ApprovalRefused(
            errors={"kid": [_l("This key is not one of your registered, valid, unrevoked keys.")]}
        )
    return record


def build_statement(
    report: MrvReport,
    verifier: Organisation,
    decision: Decision,
    kid: str,
    signed_at: datetime,
    reason: str | None = None,
) -> dict[str, Any]:
    """The object the verifier signs (§7): it names the report and its content digest."""
    content = report.content or {}
    statement: dict[str, Any] = {
        "type": TYPES[decision],
        "report": report.id,
        "report_digest": report.digest,
        "methodology": content.get("methodology"),
        "totals": totals(report),
        "verifier": verifier.code,
        "kid": kid,
        "signed_at": rfc3339(signed_at),
    }
    if reason:
        statement["reason"] = reason
    return statement


def new_statement(
    session: Db,
    verifier: Organisation,
    report_id: int,
    decision: Decision,
    kid: str,
    reason: str | None = None,
) -> dict[str, Any]:
    """A statement to sign now, after every check that does not need the signature."""
    report = _report(session, report_id)
    check_may_decide(session, verifier, report)
    now = utcnow().replace(microsecond=0)
    usable_key(session, verifier, kid, now)
    return build_statement(report, verifier, decision, kid, now, reason)


def record_decision(
    session: Db, verifier: Organisation, report_id: int, statement: dict[str, Any], signature: str
) -> Approval:
    """Check the signed statement word for word and its signature, then record it."""
    report = _report(session, report_id)
    check_may_decide(session, verifier, report)
    kind = statement.get("type")
    decision = {v: k for k, v in TYPES.items()}.get(kind) if isinstance(kind, str) else None
    signed_at = _signed_at(statement)
    if decision is None or signed_at is None:
        raise ApprovalRefused(errors={"statement": [_l("Not a statement of this registry.")]})
    key = usable_key(session, verifier, str(statement.get("kid", "")), signed_at)
    expected = build_statement(
        report, verifier, decision, key.kid, signed_at, statement.get("reason")
    )
    if statement != expected:
        raise ApprovalRefused(
            errors={
                "statement": [
                    _l(
                        "The statement does not match this report as submitted "
                        "(another report, or a changed one)."
                    )
                ]
            }
        )
    now = utcnow()
    if not now - FRESHNESS <= signed_at <= now + CLOCK_SKEW:
        raise ApprovalRefused(
            errors={
                "statement": [
                    _l("The statement is too old or from the future: build and sign a new one.")
                ]
            }
        )
    if not SIGNATURE.fullmatch(signature) or not signing.verify(
        statement, signature, signing.parse_public_key(key.public_key)
    ):
        expected_key = _l(
            "The signature does not verify with key %(kid)s, the one the statement names: "
            "sign with that key's private half.",
            kid=key.kid,
        )
        raise ApprovalRefused(errors={"signature": [expected_key]})
    return _record(session, report, verifier, decision, statement, signature, key.kid)


def _record(
    session: Db,
    report: MrvReport,
    verifier: Organisation,
    decision: Decision,
    statement: dict[str, Any],
    signature: str,
    kid: str,
) -> Approval:
    digest = hashlib.sha256(signing.statement_bytes(statement)).hexdigest()
    approval = Approval(
        report=report,
        verifier=verifier,
        decision=decision,
        statement=statement,
        statement_digest=digest,
        signature=signature,
        kid=kid,
        log_index=-1,
    )
    session.add(approval)
    session.flush()
    report.status = (
        ReportStatus.APPROVED if decision is Decision.APPROVED else ReportStatus.REJECTED
    )
    approval.log_index = ledger.append(
        session,
        "approval.signed",
        verifier.code,
        f"mrv-{report.id}",
        {
            "approval": approval.id,
            "report": report.id,
            "decision": decision.value,
            "statement_digest": digest,
            "signature": signature,
            "kid": kid,
        },
    )
    return approval


def _signed_at(statement: dict[str, Any]) -> datetime | None:
    """The statement's time, only as an RFC 3339 UTC text (a naive time is refused)."""
    text = statement.get("signed_at")
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _report(session: Db, report_id: int) -> MrvReport:
    """The submitted report, row-locked on PostgreSQL so that two decisions sent at the
    same moment are recorded one after the other (the second then finds it decided)."""
    report = session.get(MrvReport, report_id, with_for_update=True)
    if report is None or report.submitted_at is None:
        raise NotFound(_l("No submitted report has this number."))
    return report


def request_correction(
    session: Db, verifier: Organisation, user: User, report_id: int, text: str
) -> ReviewComment:
    """Send the report back to the HTX with what to correct (logged, not the text)."""
    report = _report(session, report_id)
    check_may_decide(session, verifier, report)
    if not text.strip():
        raise ApprovalRefused(errors={"text": [_l("Say what should be corrected.")]})
    comment = ReviewComment(
        report_id=report.id,
        organisation_id=verifier.id,
        user_id=user.id,
        text=text.strip()[:2000],
        log_index=-1,
    )
    session.add(comment)
    report.status = ReportStatus.UNDER_REVIEW
    comment.log_index = ledger.append(
        session,
        "mrv.correction_requested",
        verifier.code,
        f"mrv-{report.id}",
        {"report": report.id, "digest": _digest(comment.text)},
    )
    return comment


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def revoke(session: Db, actor: Organisation, approval_id: int, reason: str) -> list[str]:
    """Revoke an approval (the authority, or the verifier that signed it); returns the
    seasons that depended on it, which are no longer verified. Batches drawn from them
    (and everything made from those) are put on hold and their holders told."""
    found = approval(session, approval_id)
    if actor.kind is not OrgKind.AUTHORITY and actor.id != found.verifier_id:
        raise Forbidden()
    if found.decision is not Decision.APPROVED:
        raise ApprovalRefused(_l("Only an approval can be revoked; a rejection stands."))
    if not reason.strip():
        raise ApprovalRefused(errors={"reason": [_l("Give the reason for the revocation.")]})
    seasons = sorted(rs.season.code for rs in found.report.seasons)
    if found.revoked_at is None:
        found.revoked_at, found.revoked_reason = utcnow(), reason.strip()[:300]
        found.report.status = ReportStatus.REVOKED
        found.revoked_log_index = ledger.append(
            session,
            "approval.revoked",
            actor.code,
            f"mrv-{found.report_id}",
            {"approval": found.id, "reason": found.revoked_reason, "seasons": seasons},
        )
        batches.flag_dependents(session, actor.code, found.id, found.revoked_reason)
    return seasons


def verified_harvest_kg(session: Db, season_id: int) -> float | None:
    """The season's harvest if an unrevoked approval covers it, for batches to draw on."""
    approved = session.scalar(
        select(ReportSeason)
        .join(MrvReport)
        .join(Approval, Approval.report_id == MrvReport.id)
        .where(
            ReportSeason.season_id == season_id,
            Approval.decision == Decision.APPROVED,
            Approval.revoked_at.is_(None),
        )
    )
    return approved.season.harvested_kg if approved else None


def approval(session: Db, approval_id: int) -> Approval:
    found = session.get(Approval, approval_id)
    if found is None:
        raise NotFound(_l("No approval has this number."))
    return found


def approvals_page(session: Db, limit: int, cursor: int | None) -> list[Approval]:
    query = select(Approval).order_by(Approval.id.desc()).limit(limit)
    if cursor is not None:
        query = query.where(Approval.id < cursor)
    return list(session.scalars(query))


def approvals_of_report(session: Db, report_id: int) -> list[Approval]:
    return list(
        session.scalars(
            select(Approval).where(Approval.report_id == report_id).order_by(Approval.id)
        )
    )
