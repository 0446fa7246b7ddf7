"""Label requests and issuance: serials, PTT1 tokens signed with the registry's label key,
the `label.issued` log entry whose index goes into every token, and unit serials (one
signed token per package) issued thousands at a time.

Serials are 8 characters of Crockford base32 (40 random bits): short, because the whole
QR URL must stay within 330 characters (DESIGN.md §5), and unambiguous to read aloud
(no I, L, O, U). A batch with a GTIN gets the GS1 Digital Link form when it fits and
the short `/l/` form otherwise."""

from __future__ import annotations

import base64
import enum
import hashlib
import itertools
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask_babel import lazy_gettext as _l
from psycopg import sql
from sqlalchemy import String, any_, bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY

from registry.accounts.models import Organisation, OrgKind
from registry.db import Db, grams, utcnow
from registry.errors import DomainError, Forbidden, NotFound
from registry.labels import criteria as rules
from registry.labels import signer
from registry.labels import token as ptt1
from registry.labels.models import Criteria, Label, LabelRequest, LabelStatus, RequestStatus
from registry.ledger import service as ledger
from registry.numbers import number
from registry.trace.models import Batch
from registry.verify import signing
from registry.verify.models import Approval

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET.encode())
SERIAL_LENGTH = 8  # 40 bits: a whole number of base32 characters and of bytes
MAX_UNITS = 100_000
IN_LIST = 10_000  # serials per IN list where there is no array parameter (SQLite)
PROGRESS_EVERY = 5_000  # unit labels between two reports to an issuance's `progress`

#: Told how many unit labels of an issuance are signed (and handed to the writer) so far, of
#: how many: `progress(done, total)`, every `PROGRESS_EVERY` units and at the last one.
Progress = Callable[[int, int], None]


class LabelRefused(DomainError):
    title = _l("The label cannot be issued.")


@dataclass(frozen=True)
class Issuer:
    """What signing needs: the registry id (iss), the public base URL, the label key."""

    registry_id: str
    base_url: str
    key: Ed25519PrivateKey

    @cached_property
    def kid(self) -> str:  # every unit row names it: worked out once
        return signing.kid(self.key.public_key())


def new_serials(session: Db, count: int) -> list[str]:
    """`count` fresh serials, none already issued."""
    found: set[str] = set()
    while len(found) < count:
        batch = _serials(count - len(found))
        found |= batch - _issued(session, sorted(batch))
    return sorted(found)


def _issued(session: Db, serials: Sequence[str]) -> set[str]:
    """Which of `serials` are taken. An issuance asks about up to MAX_UNITS + 1 at once,
    more than the 65,535 parameters a PostgreSQL statement may carry: there they go as one
    array parameter (`serial = ANY(:serials)`, still an index lookup each); elsewhere as IN
    lists of IN_LIST, under SQLite's own limit on parameters (32,766 by default)."""
    if session.get_bind().dialect.name == "postgresql":
        wanted = bindparam("serials", list(serials), type_=ARRAY(String))
        return set(session.scalars(select(Label.serial).where(Label.serial == any_(wanted))))
    return {
        serial
        for start in range(0, len(serials), IN_LIST)
        for serial in session.scalars(
            select(Label.serial).where(Label.serial.in_(serials[start : start + IN_LIST]))
        )
    }


def _serials(count: int) -> set[str]:
    """Up to `count` serials (two may coincide), each 40 random bits written in Crockford
    base32. All the bits come from one call to the system's CSPRNG and are written by one
    standard base32 encoding (RFC 4648 writes each 40 bits as 8 characters, the most
    significant first), translated letter for letter into Crockford's alphabet: under 2 µs
    a serial, against 7 for a Python loop over each one's bits."""
    text = base64.b32encode(secrets.token_bytes(5 * count)).translate(_TO_CROCKFORD).decode()
    return {text[start : start + SERIAL_LENGTH] for start in range(0, len(text), SERIAL_LENGTH)}


# ---------------------------------------------------------------- requests
def request_label(
    session: Db, org: Organisation, batch_id: int, units: int = 0, unit_kg: float | None = None
) -> LabelRequest:
    """Ask for a label on a batch the organisation holds; units need a package size and
    together may not exceed what the batch was made with."""
    batch = session.get(Batch, batch_id)
    if batch is None or batch.organisation_id != org.id:
        raise NotFound(_l("This batch does not exist or is not held by your organisation."))
    if units and not unit_kg:
        raise LabelRefused(errors={"unit_kg": [_l("Give the package size in kg.")]})
    if units and unit_kg and units * grams(unit_kg) > _unlabelled_g(session, batch):
        raise LabelRefused(
            errors={
                "units": [
                    _l(
                        "%(n)s packages of %(kg)s kg is more than the batch holds.",
                        n=units,
                        kg=number(unit_kg, "#,##0.###"),
                    )
                ]
            }
        )
    request = LabelRequest(batch=batch, organisation_id=org.id, units=units, unit_kg=unit_kg)
    session.add(request)
    session.flush()
    return request


def _unlabelled_g(session: Db, batch: Batch) -> int:
    """Grams of the batch not yet covered by unit labels of earlier requests."""
    covered = session.scalar(
        select(func.coalesce(func.sum(LabelRequest.units * LabelRequest.unit_g), 0)).where(
            LabelRequest.batch_id == batch.id, LabelRequest.status != RequestStatus.REFUSED
        )
    )
    return batch.quantity_g - int(covered or 0)


def issue(
    session: Db,
    actor: Organisation,
    request_id: int,
    issuer: Issuer,
    today: date,
    at: datetime | None = None,
    progress: Progress | None = None,
) -> Label:
    """Issue the requested label (and unit labels) if the batch meets the criteria in force.
    Authority staff issue; the requester may too when the criteria allow auto-issue.
    `at`, the moment of issuance, is now except when an earlier issuance is loaded (the
    demo's expired label); its log entry is appended now all the same. `progress`, if
    given, is told the unit labels signed so far (a background job shows them)."""
    request, in_force = checked(session, actor, request_id, today)
    moment = (at or utcnow()).replace(microsecond=0)
    label = _issue(
        session,
        actor,
        request,
        request.batch,
        in_force.version,
        in_force.validity_days,
        issuer,
        moment,
        progress,
    )
    request.status, request.decided_at = RequestStatus.ISSUED, moment
    return label


def checked(
    session: Db, actor: Organisation, request_id: int, today: date
) -> tuple[LabelRequest, Criteria]:
    """The request (locked) and the criteria in force, if `actor` may issue it now: what
    `issue` refuses before any signing, also asked before a large request is queued as a
    job (issue_jobs.py)."""
    request = session.scalar(
        select(LabelRequest).where(LabelRequest.id == request_id).with_for_update()
    )
    if request is None:
        raise NotFound()
    in_force = rules.current(session)
    allowed = actor.kind is OrgKind.AUTHORITY or (
        in_force.auto_issue and actor.id == request.organisation_id
    )
    if not allowed:
        raise Forbidden()
    if request.status is not RequestStatus.PENDING:
        raise LabelRefused(_l("This request was already decided."))
    batch = request.batch
    if batch.organisation_id != request.organisation_id:
        raise LabelRefused(_l("The batch has changed hands since the request."))
    evaluation = rules.evaluate(session, batch, in_force, today)
    if not evaluation.passed:
        failed = [f"{c.name}: {c.detail}" for c in evaluation.checks if not c.passed]
        raise LabelRefused(errors={"criteria": failed})
    return request, in_force


def refuse(session: Db, actor: Organisation, request_id: int, reason: str) -> LabelRequest:
    if actor.kind is not OrgKind.AUTHORITY:
        raise Forbidden()
    request = session.get(LabelRequest, request_id)
    if request is None:
        raise NotFound()
    if request.status is not RequestStatus.PENDING:
        raise LabelRefused(_l("This request was already decided."))
    if not reason.strip():
        raise LabelRefused(errors={"reason": [_l("Say why the label is refused.")]})
    request.status, request.reason, request.decided_at = (
        RequestStatus.REFUSED,
        reason.strip()[:300],
        utcnow(),
    )
    return request


@dataclass(frozen=True)
class Facts:
    """What every token of one issuance claims."""

    lot: str
    gtin: str | None
    g_co2e_per_kg: int
    reduction_permille: int
    methodology: str
    verifier: str
    commune: str
    crop: str
    removals_kg_co2_per_kg: float | None  # shown beside the intensity, not in the token


def facts_of(session: Db, batch: Batch) -> Facts:
    """The batch's claims: intensity, reduction, the methodology and the verifier behind
    most of its kg, and the commune where most of it grew."""
    seasons = rules.upstream_seasons(session, batch)
    approvals = {
        a.id: a
        for a in session.scalars(
            select(Approval).where(Approval.id.in_({a for _, a in seasons if a}))
        )
    }
    verifier = _most(approvals[a].verifier.code for _, a in seasons if a in approvals)
    methodology = _most(
        _methodology_id(approvals[a].statement) for _, a in seasons if a in approvals
    )
    return Facts(
        lot=batch.lot_code,
        gtin=batch.gtin,
        g_co2e_per_kg=round(batch.g_co2e_per_kg),
        reduction_permille=max(0, round(10 * (batch.reduction_pct or 0.0))),
        methodology=methodology,
        verifier=verifier,
        commune=_most(s.field.commune for s, _ in seasons),
        crop=batch.crop,
        removals_kg_co2_per_kg=(
            None if batch.removals_kg_co2_per_kg is None else round(batch.removals_kg_co2_per_kg, 3)
        ),
    )


def _methodology_id(statement: dict[str, Any]) -> str:
    """The approval statement names the methodology as {"id", "version"}."""
    named = statement.get("methodology")
    return str(named.get("id") if isinstance(named, dict) else named)


def _most(values: Any) -> str:
    listed = list(values)
    return max(set(listed), key=listed.count) if listed else ""


def _issue(
    session: Db,
    actor: Organisation,
    request: LabelRequest,
    batch: Batch,
    version: int,
    days: int,
    issuer: Issuer,
    now: datetime,
    progress: Progress | None = None,
) -> Label:
    facts = facts_of(session, batch)
    expires = now + timedelta(days=days)
    serials = new_serials(session, 1 + request.units)
    index = ledger.append(
        session,
        "label.issued",
        actor.code,
        serials[0],
        {
            "serial": serials[0],
            "batch": f"{batch.maker.code}/{batch.lot_code}",
            "gtin": batch.gtin,
            "g_co2e_per_kg": facts.g_co2e_per_kg,
            "reduction_permille": facts.reduction_permille,
            "crop": facts.crop,
            "removals_kg_co2_per_kg": facts.removals_kg_co2_per_kg,
            "criteria": version,
            "kid": issuer.kid,
            "expires": int(expires.timestamp()),
            "units": request.units,
            "unit_serials_sha256": hashlib.sha256("\n".join(serials[1:]).encode()).hexdigest(),
        },
    )
    claims = ptt1.LabelClaims(
        serial=serials[0],
        lot=facts.lot,
        gtin=facts.gtin,
        g_co2e_per_kg=facts.g_co2e_per_kg,
        reduction_permille=facts.reduction_permille,
        methodology=facts.methodology,
        verifier=facts.verifier,
        log_index=index,
        iss=issuer.registry_id,
        iat=int(now.timestamp()),
        exp=int(expires.timestamp()),
    )
    form, token, url = signed_form(claims, issuer)
    shared = shared_columns(claims, facts, batch, request, version, (now, expires), issuer)
    main = Label(serial=serials[0], token=token, url=url, **shared)
    session.add(main)
    session.flush()
    if request.units:
        rows = unit_rows(serials[1:], form, issuer.key, progress)
        write_units(session, rows, {"parent_id": main.id, **shared})
    return main


@dataclass(frozen=True)
class Form:
    """How every label of one issuance is signed and addressed: the template of the claims
    that all its tokens share, and the URL up to the serial."""

    template: ptt1.TokenTemplate
    url_prefix: str

    def url(self, serial: str, token: str) -> str:
        return ptt1.url_of(self.url_prefix, serial, token)


def signed_form(claims: ptt1.LabelClaims, issuer: Issuer) -> tuple[Form, str, str]:
    """The form of this issuance's labels with the batch label's token and URL: the GS1
    Digital Link form when the batch has a GTIN and the URL fits in 330 characters, else
    the short form, whose tokens then carry no GTIN. Unit serials are as long as the
    batch label's, so their URLs are as long and the choice holds for them all."""
    if claims.gtin:
        try:
            return _signed(
                claims, issuer, ptt1.url_prefix(issuer.base_url, claims.gtin, claims.lot)
            )
        except ValueError:
            claims = replace(claims, gtin=None)
    try:
        return _signed(claims, issuer, ptt1.url_prefix(issuer.base_url))
    except ValueError as exc:
        raise LabelRefused(
            errors={"lot_code": [_l("The lot code is too long for the QR code: shorten it.")]}
        ) from exc


def _signed(claims: ptt1.LabelClaims, issuer: Issuer, url_prefix: str) -> tuple[Form, str, str]:
    form = Form(ptt1.TokenTemplate.of(claims, issuer.key.public_key()), url_prefix)
    token = form.template.sign(claims.serial, issuer.key)
    return form, token, form.url(claims.serial, token)


def shared_columns(
    claims: ptt1.LabelClaims,
    facts: Facts,
    batch: Batch,
    request: LabelRequest,
    version: int,
    period: tuple[datetime, datetime],
    issuer: Issuer,
) -> dict[str, Any]:
    """The columns of the labels of one issuance but their serial, token, URL and parent."""
    return {
        "batch_id": batch.id,
        "request_id": request.id,
        "criteria_version": version,
        "lot": facts.lot,
        "gtin": claims.gtin,
        "g_co2e_per_kg": facts.g_co2e_per_kg,
        "reduction_permille": facts.reduction_permille,
        "methodology": facts.methodology,
        "verifier": facts.verifier,
        "kid": issuer.kid,
        "issued_at": period[0],
        "expires_at": period[1],
        "status": LabelStatus.VALID,
        "log_index": claims.log_index,
        "product": batch.product,
        "organisation": request.organisation.code,
        "commune": facts.commune,
        "crop": facts.crop,
        "removals_kg_co2_per_kg": facts.removals_kg_co2_per_kg,
    }


def unit_rows(
    serials: Sequence[str], form: Form, key: Ed25519PrivateKey, progress: Progress | None = None
) -> Iterator[tuple[str, str, str]]:
    """Serial, token and URL of each unit label, in order, as `signer` hands out the
    tokens (in chunks, from a pool of processes for large requests); `progress` is told the
    count after each `PROGRESS_EVERY` units."""
    chunks = signer.tokens(form.template, serials, key)
    if progress is not None:
        chunks = counted(chunks, len(serials), progress, PROGRESS_EVERY)
    for serial, token in zip(serials, itertools.chain.from_iterable(chunks), strict=True):
        yield serial, token, form.url(serial, token)


def counted(
    chunks: Iterator[list[str]], total: int, progress: Progress, every: int = PROGRESS_EVERY
) -> Iterator[list[str]]:
    """The chunks of tokens as they come, telling `progress` how many were handed on once
    `every` more are (and after the last): a call per few thousand units, not per unit, as
    a job's progress costs a commit on PostgreSQL."""
    done = told = 0
    for chunk in chunks:
        yield chunk  # resumed once the caller has taken (written) the chunk's rows
        done += len(chunk)
        if done - told >= every or done == total:
            progress(done, total)
            told = done


def write_units(session: Db, rows: Iterator[tuple[str, str, str]], shared: dict[str, Any]) -> None:
    """Unit label rows in the session's transaction, written as they come so that memory
    stays a few chunks whatever the size: one COPY on PostgreSQL, which takes under half the
    time of SQLAlchemy's batched multi-row INSERT and a quarter of its CPU; an INSERT of
    each chunk elsewhere (SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        _copy_units(session, rows, shared)
        return
    while block := list(itertools.islice(rows, signer.CHUNK)):
        values = [{"serial": s, "token": t, "url": u, **shared} for s, t, u in block]
        session.execute(insert(Label), values)


def _copy_units(session: Db, rows: Iterator[tuple[str, str, str]], shared: dict[str, Any]) -> None:
    """One binary COPY whose rows share one list of values (times in UTC, enums by value):
    each row changes only its serial, token and URL. Binary, with the columns' types read
    from the catalogue, because psycopg then writes a row in under half the time of the
    text format (2 against 5 µs; PostgreSQL's side is the same)."""
    columns = ["serial", "token", "url", *shared]
    copy_into = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(Label.__tablename__), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    values = [
        None,
        None,
        None,
        *(v.value if isinstance(v, enum.Enum) else v for v in shared.values()),
    ]
    driver = session.connection().connection.dbapi_connection
    assert isinstance(driver, psycopg.Connection)  # the only PostgreSQL driver configured
    with driver.cursor() as cursor:
        types = dict(cursor.execute(_COLUMN_TYPES, (Label.__tablename__,)).fetchall())
        with cursor.copy(copy_into) as copy:
            copy.set_types([types[column] for column in columns])
            for serial, token, url in rows:
                values[:3] = serial, token, url
                copy.write_row(values)


_COLUMN_TYPES = (
    "SELECT attname, atttypid::int FROM pg_attribute"
    " WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped"
)


def labels_of_batch(session: Db, batch_id: int) -> list[Label]:
    query = select(Label).where(Label.batch_id == batch_id, Label.parent_id.is_(None))
    return list(session.scalars(query.order_by(Label.id)))


def units_of(session: Db, label_id: int) -> Sequence[Label]:
    return session.scalars(
        select(Label).where(Label.parent_id == label_id).order_by(Label.id)
    ).all()
