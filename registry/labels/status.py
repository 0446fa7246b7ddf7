"""Label status: what the status API answers, suspension, revocation and reinstatement
(with reason codes, logged), the cascade from revoked approvals, the signed revocation
list and the trust list of label keys.

Status reads are one indexed row each (the status API's target is 60 % of a bare Flask
endpoint); everything a status object shows is copied onto the label at issuance, and
`status_row` reads it in a single round trip to the database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, Row, bindparam, or_, select, update
from sqlalchemy.orm import selectinload

from registry.accounts.models import Organisation, OrgKind
from registry.db import Db, utcnow
from registry.errors import DomainError, Forbidden, NotFound
from registry.keys import PublicKeyInfo, keystore
from registry.labels import offline
from registry.labels import revocations as lists
from registry.labels.models import Label, LabelStatus
from registry.ledger import service as ledger
from registry.trace import batches as trace_batches

REASONS = {  # reason code → what people read
    "approval_revoked": _l("An approval it depends on was revoked."),
    "data_error": _l("The data behind it was wrong."),
    "fraud": _l("Misuse or counterfeit found."),
    "withdrawn": _l("Withdrawn by its holder."),
    "under_review": _l("Under review by the authority."),
    "key_compromised": _l("The key that signed it is no longer trusted."),
}
SUSPEND_ONLY = {"approval_revoked", "under_review"}


class UnknownLabel(NotFound):
    title = _l("No label has this serial.")


class StatusRefused(DomainError):
    title = _l("The label's status cannot be changed this way.")


class Stated(Protocol):
    """What a label's state is worked out from: a `Label`, or a Core row of its table."""

    @property
    def kid(self) -> str: ...
    @property
    def status(self) -> LabelStatus: ...
    @property
    def reason_code(self) -> str | None: ...
    @property
    def expires_at(self) -> datetime: ...


@dataclass(frozen=True)
class LabelState:
    """A label as the status API shows it at a moment."""

    label: Stated
    status: str
    reason: str | None


def state(label: Stated, now: datetime, compromised: frozenset[str] = frozenset()) -> LabelState:
    """Revoked and suspended stand; a valid label past its expiry is expired; one signed by
    a compromised key reads as revoked."""
    if label.kid in compromised and label.status is not LabelStatus.REVOKED:
        return LabelState(label, "revoked", "key_compromised")
    if label.status is not LabelStatus.VALID:
        return LabelState(label, label.status.value, label.reason_code)
    if label.expires_at <= now:
        return LabelState(label, "expired", None)
    return LabelState(label, "valid", None)


def by_serial(session: Db, serial: str) -> Label:
    found = session.scalar(select(Label).where(Label.serial == serial.upper()))
    if found is None:
        raise UnknownLabel()
    return found


# What the status API reads: the columns of a status object and of its state, no more,
# in a statement built once (no ORM entity, nothing to compile per request).
_STATUS_COLUMNS = (
    "serial",
    "status",
    "reason_code",
    "kid",
    "expires_at",
    "url",
    "product",
    "lot",
    "organisation",
    "commune",
    "g_co2e_per_kg",
    "reduction_permille",
    "issued_at",
    "log_index",
    "crop",
    "removals_kg_co2_per_kg",
)
_LABELS = Label.__table__
_STATUS_READ = select(*(_LABELS.c[name] for name in _STATUS_COLUMNS)).where(
    _LABELS.c.serial == bindparam("serial")
)


def status_row(connection: Connection, serial: str) -> Row[Any]:
    """What the status API shows of a label, as a plain Core row. Read on an autocommit
    connection it is one round trip: no BEGIN and ROLLBACK around a single SELECT, no ORM
    identity map. Raises UnknownLabel."""
    found = connection.execute(_STATUS_READ, {"serial": serial.upper()}).first()
    if found is None:
        raise UnknownLabel()
    return found


def by_serials(session: Db, serials: Sequence[str]) -> dict[str, Label]:
    wanted = {s.upper() for s in serials}
    return {lb.serial: lb for lb in session.scalars(select(Label).where(Label.serial.in_(wanted)))}


def page(session: Db, limit: int, cursor: int | None, with_holders: bool = False) -> list[Label]:
    """Issued batch labels, newest first (unit labels are listed under their batch label);
    `with_holders` loads the holders' organisations for pages that name them."""
    query = select(Label).where(Label.parent_id.is_(None))
    if with_holders:
        query = query.options(selectinload(Label.holder))
    if cursor is not None:
        query = query.where(Label.id < cursor)
    return list(session.scalars(query.order_by(Label.id.desc()).limit(limit)))


# ---------------------------------------------------------------- changes
def change(
    session: Db, actor: Organisation, serial: str, to: LabelStatus, code: str, reason: str = ""
) -> Label:
    """Suspend, revoke or reinstate a label and its unit labels (the authority; a holder
    may withdraw its own). Revocation is final."""
    label = by_serial(session, serial)
    _check_may_change(actor, label, to, code)
    if label.status is LabelStatus.REVOKED:
        raise StatusRefused(_l("A revoked label stays revoked."))
    if label.status is to:
        return label
    _apply(session, [label.id], to, code, reason.strip()[:300] or None)
    session.refresh(label)
    label.status_log_index = ledger.append(
        session,
        f"label.{_verb(to)}",
        actor.code,
        label.serial,
        {"serial": label.serial, "status": to.value, "reason": code},
    )
    return label


def _check_may_change(actor: Organisation, label: Label, to: LabelStatus, code: str) -> None:
    holder = actor.code == label.organisation and code == "withdrawn" and to is LabelStatus.REVOKED
    if actor.kind is not OrgKind.AUTHORITY and not holder:
        raise Forbidden()
    if to is not LabelStatus.VALID and code not in REASONS:
        raise StatusRefused(errors={"reason_code": [_l("Choose a reason from the list.")]})
    if to is LabelStatus.REVOKED and code in SUSPEND_ONLY:
        raise StatusRefused(
            errors={"reason_code": [_l("This reason suspends; it does not revoke.")]}
        )
    if label.parent_id is not None:
        raise StatusRefused(_l("Change the batch label; its unit labels follow."))


def _verb(to: LabelStatus) -> str:
    return {"valid": "reinstated", "suspended": "suspended", "revoked": "revoked"}[to.value]


def _apply(
    session: Db, ids: Iterable[int], to: LabelStatus, code: str | None, reason: str | None
) -> None:
    """Set the status of labels and of their unit labels in one statement."""
    ids = list(ids)
    session.execute(
        update(Label)
        .where(or_(Label.id.in_(ids), Label.parent_id.in_(ids)))
        .values(
            status=to,
            reason_code=None if to is LabelStatus.VALID else code,
            reason=reason,
            status_changed_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


def suspend_for_batches(
    session: Db, actor: str, batch_ids: Sequence[int], reason: str
) -> list[str]:
    """The cascade: labels on batches put on hold by a revoked approval are suspended."""
    found = list(
        session.scalars(
            select(Label).where(
                Label.batch_id.in_(batch_ids),
                Label.parent_id.is_(None),
                Label.status == LabelStatus.VALID,
            )
        )
    )
    if not found:
        return []
    _apply(
        session, [lb.id for lb in found], LabelStatus.SUSPENDED, "approval_revoked", reason[:300]
    )
    ledger.append_many(
        session,
        [
            (
                "label.suspended",
                actor,
                lb.serial,
                {"serial": lb.serial, "status": "suspended", "reason": "approval_revoked"},
            )
            for lb in found
        ],
    )
    return [lb.serial for lb in found]


def _on_hold(sender: str, session: Db, batch_ids: list[int], reason: str) -> None:
    suspend_for_batches(session, sender, batch_ids, reason)


trace_batches.put_on_hold.connect(_on_hold)


# ---------------------------------------------------------------- lists
def revoked_since(session: Db, since: datetime | None) -> list[Label]:
    """Revoked and suspended labels (a verifier must refuse both), changed after `since`."""
    query = select(Label).where(Label.status != LabelStatus.VALID)
    if since is not None:
        query = query.where(Label.status_changed_at > since)
    return list(session.scalars(query.order_by(Label.status_changed_at, Label.id)))


def revocation_rows(labels: Iterable[Label]) -> list[lists.Revocation]:
    return [
        lists.Revocation(
            lb.serial,
            int((lb.status_changed_at or lb.issued_at).timestamp()),
            lb.reason_code or lb.status.value,
        )
        for lb in labels
    ]


def compromised_kids(keys: Sequence[PublicKeyInfo]) -> frozenset[str]:
    return frozenset(k.kid for k in keys if k.compromised)


def trust_list(session: Db, keys: Sequence[PublicKeyInfo], now: datetime) -> dict[str, Any]:
    """The JWK Set of label keys: the current key, and retired keys while labels they
    signed are unexpired (or when compromised, so verifiers learn it)."""
    entries = []
    for info in keys:
        kid = info.kid
        last = session.scalar(
            select(Label.expires_at)
            .where(Label.kid == kid)
            .order_by(Label.expires_at.desc())
            .limit(1)
        )
        status = _key_status(info)
        if status is lists.KeyStatus.RETIRED and (last is None or last <= now):
            continue
        until = last or datetime.max.replace(tzinfo=UTC)
        exp = int(until.timestamp()) if last else int(now.timestamp()) + 10 * 365 * 86400
        entries.append(lists.jwk(info.public_key, status, int(info.created.timestamp()), exp))
    return {"keys": entries}


def _key_status(info: PublicKeyInfo) -> lists.KeyStatus:
    if info.compromised:
        return lists.KeyStatus.COMPROMISED
    return lists.KeyStatus.RETIRED if info.retired else lists.KeyStatus.ACTIVE


def lists_here(session: Db, registry_id: str) -> offline.Lists:
    """This registry's own trust and revocation lists, made exactly as the endpoints make
    them, for the verify page's check."""
    now = utcnow()
    published = keystore().published("label")
    rows = revocation_rows(revoked_since(session, None))
    signed = lists.sign_revocations(
        rows, registry_id, int(now.timestamp()), keystore().private("label")
    )
    return offline.Lists(trust_list(session, published, now), signed)


def check_here(session: Db, url: str, registry_id: str) -> offline.Verdict:
    """A label URL checked as an offline verifier with this registry's lists would."""
    return offline.check(url, lists_here(session, registry_id), utcnow().timestamp())
