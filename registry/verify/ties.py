"""Declared ties between a verifier and a cooperative (HTX): conflicts of interest.

A verifier declares its own ties on a page, the authority declares them for any verifier
on its page or with `registry verifiers declare-tie`; from then on the verifier may not
decide that HTX's reports (`approvals.check_may_decide`). Every declaration is appended to
the transparency log with the kind of tie and who declared it; the note stays out of the
public, permanent log because it may name people. A tie, once declared, stays.
Callers commit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from registry.accounts.models import Organisation, OrgKind
from registry.db import Db
from registry.errors import Conflict, DomainError
from registry.ledger import service as ledger
from registry.verify.models import DeclaredTie

KINDS = {
    "consultancy": _l("Consultancy"),
    "ownership": _l("Ownership or shares"),
    "family": _l("Family"),
    "employment": _l("Employment"),
    "other": _l("Other"),
}
MAX_NOTE = 300
DUPLICATE = _l("This verifier's tie with this cooperative is already declared.")


class TieRefused(DomainError):
    title = _l("The tie cannot be declared.")


def declare(
    session: Db,
    verifier: Organisation,
    producer: Organisation,
    kind: str,
    *,
    by: Organisation | None,
    note: str = "",
) -> DeclaredTie:
    """Record and log the tie; `by` is the declaring organisation (the verifier itself, or
    the authority), None for the operator at the command line. A second declaration of the
    same tie is a Conflict."""
    errors = _refusals(kind, note)
    if verifier.kind is not OrgKind.VERIFIER:
        errors["verifier"] = [_l("Choose a verifier.")]
    if producer.kind is not OrgKind.PRODUCER:
        errors["producer"] = [_l("Choose the cooperative.")]
    if errors:
        raise TieRefused(errors=errors)
    if tied(session, verifier.id, producer.id):
        raise Conflict(errors={"producer": [DUPLICATE]})
    tie = DeclaredTie(
        verifier_id=verifier.id,
        producer_id=producer.id,
        kind=kind,
        note=note.strip() or None,
        declared_by_id=by.id if by else None,
    )
    session.add(tie)
    try:
        session.flush()
    except IntegrityError as exc:  # the same tie declared by another request just now
        session.rollback()
        raise Conflict(errors={"producer": [DUPLICATE]}) from exc
    ledger.append(
        session,
        "verifier.relationship",
        verifier.code,
        producer.code,
        {"kind": kind, "by": by.code if by else ledger.SYSTEM_ACTOR},
    )
    return tie


def declare_by_codes(
    session: Db,
    verifier_code: str,
    producer_code: str,
    kind: str,
    *,
    by: Organisation | None,
    note: str = "",
) -> DeclaredTie:
    """`declare` for codes typed or chosen: every unknown or missing one is a field error."""
    verifier = _organisation(session, verifier_code, OrgKind.VERIFIER)
    producer = _organisation(session, producer_code, OrgKind.PRODUCER)
    errors = _refusals(kind, note)
    if verifier is None:
        errors["verifier"] = [
            _l("No verifier has this code.") if verifier_code.strip() else _l("Choose a verifier.")
        ]
    if producer is None:
        errors["producer"] = [
            _l("No cooperative has this code.")
            if producer_code.strip()
            else _l("Choose the cooperative.")
        ]
    if errors or verifier is None or producer is None:
        raise TieRefused(errors=errors)
    return declare(session, verifier, producer, kind, by=by, note=note)


def _refusals(kind: str, note: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in KINDS:
        errors["kind"] = [_l("Choose the kind of tie.")]
    if len(note.strip()) > MAX_NOTE:
        errors["note"] = [_l("At most %(n)d characters.", n=MAX_NOTE)]
    return errors


def _organisation(session: Db, code: str, kind: OrgKind) -> Organisation | None:
    if not code.strip():
        return None
    return session.scalar(
        select(Organisation).where(
            Organisation.code == code.strip().upper(), Organisation.kind == kind
        )
    )


def tied(session: Db, verifier_id: int, producer_id: int) -> bool:
    return session.get(DeclaredTie, (verifier_id, producer_id)) is not None


def tied_producers(session: Db, verifier_id: int) -> set[int]:
    """Ids of the producers the verifier has declared a tie with (one query, for lists)."""
    return set(
        session.scalars(
            select(DeclaredTie.producer_id).where(DeclaredTie.verifier_id == verifier_id)
        )
    )


def ties_of(session: Db, verifier_id: int | None = None) -> list[DeclaredTie]:
    """Declared ties, newest first, with the organisations' names loaded; only one
    verifier's if given."""
    query = select(DeclaredTie).options(
        selectinload(DeclaredTie.verifier),
        selectinload(DeclaredTie.producer),
        selectinload(DeclaredTie.declared_by),
    )
    if verifier_id is not None:
        query = query.where(DeclaredTie.verifier_id == verifier_id)
    order = (DeclaredTie.declared_at.desc(), DeclaredTie.verifier_id, DeclaredTie.producer_id)
    return list(session.scalars(query.order_by(*order)))


def organisations(session: Db, kind: OrgKind) -> list[Organisation]:
    """Organisations of a kind by name, for the pages' choices."""
    return list(
        session.scalars(
            select(Organisation).where(Organisation.kind == kind).order_by(Organisation.name)
        )
    )
