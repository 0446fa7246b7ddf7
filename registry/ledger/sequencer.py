"""Batched sequencing of log entries, as Certificate Transparency logs sequence theirs.

A business transaction `submit`s its entry: the entry's exact bytes go into the pool
(`log_pending`) with the business change, and nothing is locked. Once the transaction has
committed, `Session.commit()` does not return before the entry has its index: the writer
joins the other writers of its process that are waiting, and one of them at a time runs a
round for all of them (`run_round`). Under the head row's lock a round reads which of their
entries some process has numbered already, and if any is still in the pool it numbers every
committed pending entry (in `id` order, up to `BATCH`) in the same transaction: the leaf and
subtree hashes, `log_entries` and `log_nodes`, the head's size, the index on the pending row
and on the business rows named in `fill`. That transaction commits durably (synchronous
commit) before any writer is told, and an entry is readable in `log_entries` only from then
on: what a checkpoint signs or a tile publishes can never be lost by a crash, and an
acknowledged index survives one. A writer that dies after its commit leaves its entry in the
pool; the next round of any writer (or `registry log sequence`) numbers it.

The tree, the entry bytes, proofs and checkpoints are those of `service.append`: only when
an entry is numbered changes. `service.append` still numbers inside the caller's transaction
for the few writes that need their index before they commit; both serialise on the head row.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Row,
    Select,
    bindparam,
    column,
    delete,
    event,
    insert,
    inspect,
    or_,
    select,
    table,
    text,
)
from sqlalchemy import update as update_
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from registry.db import Db
from registry.ledger import service
from registry.ledger.models import LogHead, LogPending

BATCH = 5_000  # entries numbered in one transaction at most
KEEP = 100_000  # a numbered pending row stays while the log grows by this many entries
ROUND_ATTEMPTS = 3
PENDING = "registry.ledger.pending"  # session.info: this transaction's submissions
COMMITTED = "registry.ledger.committed"  # session.info: committed, index not yet known
ENGINE = "registry.ledger.engine"  # session.info: the database they were submitted to
MARKS = "registry.ledger.savepoints"  # session.info: open savepoint -> submissions before it
BATCHED = "registry.ledger.batched"  # session.info: `record` submits (inside `batched`)

Fill = tuple[object, str]  # a flushed ORM instance and the name of its integer column


@dataclass
class Pending:
    """A submitted entry. `index` is known once the transaction has committed (commit()
    returns after that); it stays None if the transaction, or its savepoint, rolled back."""

    id: int
    fill: list[Fill] = field(default_factory=list)
    index: int | None = None


# ---------------------------------------------------------------- submitting
def record(
    session: Db,
    type: str,
    actor: str,
    subject: str,
    data: Mapping[str, Any],
    fill: Iterable[Fill] = (),
) -> int | None:
    """Log one entry with the caller's transaction, its index going to the `fill` columns:
    numbered at once by `service.append` (returned, and set on `fill` now), or, inside
    `batched(session)`, submitted to the pool (None now; `fill` is set when commit returns).
    For domain writes that do not need their index before they commit when run as a batch:
    an import of 5,000 rows in one transaction no longer holds the log head all along."""
    return record_many(session, [(type, actor, subject, data)], [list(fill)])[0]


def record_many(
    session: Db, entries: Sequence[service.Entry], fills: Sequence[Sequence[Fill]] = ()
) -> list[int | None]:
    """`record` for several entries at once; `fills[i]` names the columns entry i fills."""
    if session.info.get(BATCHED):
        return [None for _ in submit_many(session, entries, fills)]
    indices = service.append_many(session, entries)
    for index, targets in zip(indices, fills, strict=False):
        for obj, name in targets:
            setattr(obj, name, index)
    return list(indices)


@contextmanager
def batched(session: Db) -> Iterator[None]:
    """Inside, `record` submits to the pool instead of appending: for writers that show
    their indices only after their commit (imports and other jobs, pages that redirect,
    `@idempotent` views, which commit before rendering an answer that shows one)."""
    outer = session.info.get(BATCHED, False)
    session.info[BATCHED] = True
    try:
        yield
    finally:
        session.info[BATCHED] = outer  # nested: the outer `batched` goes on


def submit(
    session: Db,
    type: str,
    actor: str,
    subject: str,
    data: Mapping[str, Any],
    fill: Iterable[Fill] = (),
) -> Pending:
    """Queue one entry with the caller's transaction; `fill` names the business columns
    that receive its index (for example `(diary_entry, "log_index")`)."""
    return submit_many(session, [(type, actor, subject, data)], [list(fill)])[0]


def submit_many(
    session: Db, entries: Sequence[service.Entry], fills: Sequence[Sequence[Fill]] = ()
) -> list[Pending]:
    """Queue several entries (one INSERT); `fills[i]` names the columns entry i fills."""
    if not entries:
        return []
    fills = list(fills) or [() for _ in entries]
    if len(fills) != len(entries):
        raise ValueError("one list of fills an entry")
    now = service.entry_time()
    if any(inspect(obj).identity is None for targets in fills for obj, _ in targets):
        session.flush()  # the rows to fill need their keys
    rows = [
        {
            "type": t,
            "actor": a,
            "subject": s,
            "time": now,
            "entry": service.encode_entry(t, now, a, s, d),
            "fill": [_target(obj, name) for obj, name in targets],
        }
        for (t, a, s, d), targets in zip(entries, fills, strict=True)
    ]
    connection = session.connection()  # Core, not the ORM's bulk insert: less CPU
    if len(rows) == 1:
        one = insert(LogPending).values(rows[0]).returning(LogPending.id)
        ids = [connection.execute(one).scalar_one()]
    else:
        many = insert(LogPending).returning(LogPending.id, sort_by_parameter_order=True)
        ids = list(connection.execute(many, rows).scalars())
    submitted = [Pending(i, list(targets)) for i, targets in zip(ids, fills, strict=True)]
    session.info.setdefault(PENDING, []).extend(submitted)
    session.info[ENGINE] = connection.engine
    return submitted


def _target(obj: object, name: str) -> list[Any]:
    """`[table, column, key column, key]` of an ORM instance's integer column."""
    state = inspect(obj)
    mapper = state.mapper
    keys = mapper.primary_key
    if len(keys) != 1 or state.identity is None:
        raise ValueError(f"{obj!r} needs a single-column primary key to be filled")
    target = mapper.get_property(name).columns[0]
    return [target.table.name, target.name, keys[0].name, state.identity[0]]


# ---------------------------------------------------------------- numbering
POOL_COLUMNS = (
    LogPending.id,
    LogPending.type,
    LogPending.actor,
    LogPending.subject,
    LogPending.time,
    LogPending.entry,
    LogPending.fill,
    LogPending.log_index,
)


def integrate(session: Db, limit: int = BATCH) -> dict[int, int]:
    """Number up to `limit` committed pending entries, oldest first; returns pending id ->
    index. The caller commits; until then the head row stays locked."""
    size = _lock_head(session)
    return _number(session, size, session.execute(_pool(limit)).all())


def _lock_head(session: Db) -> int:
    """Lock the head row (before reading the pool, so that what this transaction reads
    next includes every numbering committed before) and return the log's size."""
    return session.execute(
        update_(LogHead)
        .where(LogHead.id == 1)
        .values(size=LogHead.size)
        .returning(LogHead.size)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def _pool(limit: int, wanted: Iterable[int] = ()) -> Select[Any]:
    """The oldest `limit` entries in the pool, and the `wanted` ones numbered or not."""
    oldest = (
        select(LogPending.id)
        .where(LogPending.log_index.is_(None))
        .order_by(LogPending.id)
        .limit(limit)
    )
    found: ColumnElement[bool] = LogPending.id.in_(oldest)
    if wanted:
        found = or_(found, LogPending.id.in_(list(wanted)))
    return select(*POOL_COLUMNS).where(found).order_by(LogPending.id)


def _number(session: Db, size: int, rows: Sequence[Row[Any]]) -> dict[int, int]:
    """Number the unnumbered `rows` from `size` on, in their order (the head is locked)."""
    pool = [row for row in rows if row.log_index is None]
    if not pool:
        return {}
    numbered = {row.id: size + i for i, row in enumerate(pool)}
    session.execute(
        update_(LogHead)
        .where(LogHead.id == 1)
        .values(size=size + len(pool))
        .execution_options(synchronize_session=False)
    )
    entries = [service.Stored(r.type, r.actor, r.subject, r.time, r.entry) for r in pool]
    service.store(session, size, entries)
    _set_indices(session, numbered)
    _fill(session, [(target, numbered[row.id]) for row in pool for target in row.fill])
    _forget(session, size, size + len(pool))
    return numbered


def _set_indices(session: Db, numbered: Mapping[int, int]) -> None:
    pending = table("log_pending", column("id"), column("log_index"))
    session.connection().execute(
        update_(pending)
        .where(pending.c.id == bindparam("pending"))
        .values(log_index=bindparam("number")),
        [{"pending": i, "number": n} for i, n in numbered.items()],
    )


def _fill(session: Db, targets: list[tuple[list[Any], int]]) -> None:
    """Write each index into the business columns its submission named."""
    targets.sort(key=lambda t: t[0][:3])
    for (name, col, key), group in groupby(targets, key=lambda t: tuple(t[0][:3])):
        rows = table(name, column(col), column(key))
        session.connection().execute(
            update_(rows)
            .where(rows.c[key] == bindparam("target"))
            .values({col: bindparam("number")}),
            [{"target": target[3], "number": number} for target, number in group],
        )


def _forget(session: Db, before: int, after: int) -> None:
    """Delete pending rows numbered KEEP entries ago, once per thousand entries."""
    if before // 1000 != after // 1000 and after > KEEP:
        session.execute(delete(LogPending).where(LogPending.log_index < after - KEEP))


def sequence_all(session: Db) -> int:
    """Number every committed pending entry, a batch a transaction; returns how many."""
    done = 0
    while numbered := integrate(session):
        session.commit()
        done += len(numbered)
    session.commit()
    return done


# ---------------------------------------------------------------- waiting
class Waiters:
    """The writers of one process waiting for their entries' indices on one database."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.waiting: set[int] = set()
        self.known: dict[int, int | None] = {}
        self.leading = False

    def wait(self, engine: Engine, ids: set[int]) -> dict[int, int | None]:
        with self.changed:
            self.waiting |= ids
        try:
            while True:
                with self.changed:
                    if ids <= self.known.keys():
                        return {i: self.known[i] for i in ids}
                    if self.leading:
                        self.changed.wait()
                        continue
                    self.leading = True
                    wanted = set(self.waiting - self.known.keys())
                found: dict[int, int | None] = {}
                try:
                    found = _retrying(engine, wanted)
                finally:
                    with self.changed:
                        self.leading = False
                        self.known.update(found)
                        self.changed.notify_all()
        finally:
            with self.changed:
                self.waiting -= ids
                for i in ids:
                    self.known.pop(i, None)


_waiters: weakref.WeakKeyDictionary[Engine, Waiters] = weakref.WeakKeyDictionary()
_waiters_lock = threading.Lock()


def waiters(engine: Engine) -> Waiters:
    with _waiters_lock:
        found = _waiters.get(engine)
        if found is None:
            found = _waiters[engine] = Waiters()
        return found


def _retrying(engine: Engine, wanted: set[int]) -> dict[int, int | None]:
    """`run_round`, again after a deadlock: a business transaction that locked a row to be
    filled and then waits for the head (`service.append`) can deadlock with a round, and
    PostgreSQL then aborts one of the two."""
    for _ in range(ROUND_ATTEMPTS - 1):
        try:
            return run_round(engine, wanted)
        except OperationalError:
            continue
    return run_round(engine, wanted)


def run_round(engine: Engine, wanted: set[int]) -> dict[int, int | None]:
    """The indices of the committed submissions `wanted` (None for one rolled back).

    A transaction under the head's lock reads the wanted entries and the pool in one query;
    only if a wanted entry is still in the pool does it number the pool. A process whose
    entries another process numbered meanwhile so leaves the pool to grow into a larger
    batch; holding the lock, it sees every numbering committed before."""
    done: dict[int, int | None] = {}
    with Session(engine) as session:
        while wanted:
            size = _lock_head(session)
            rows = session.execute(_pool(BATCH, wanted)).all()
            found = {row.id: row.log_index for row in rows if row.id in wanted}
            done.update((i, None) for i in wanted - found.keys())  # rolled back
            done.update((i, n) for i, n in found.items() if n is not None)
            if any(n is None for n in found.values()):
                numbered = _number(session, size, rows)
                done.update((i, numbered[i]) for i in wanted & numbered.keys())
            elif session.get_bind().dialect.name == "postgresql":
                # only read under the lock: nothing to wait for the disk for
                session.execute(text("SET LOCAL synchronous_commit = off"))
            session.commit()
            wanted = wanted - done.keys()  # beyond this batch: go on
    return done


# ---------------------------------------------------------------- the session's part
@event.listens_for(Session, "after_transaction_create")
def _began(session: Session, transaction: Any) -> None:
    """Remember where a savepoint starts in this transaction's submissions."""
    if transaction.nested:
        marks = session.info.setdefault(MARKS, {})
        marks[transaction] = len(session.info.get(PENDING, ()))


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous: Any) -> None:
    """A savepoint rolled back: forget what was submitted inside it. (SQLite may give the
    next submission the same id, so its rows cannot tell.)"""
    mark = session.info.get(MARKS, {}).pop(previous, None)
    if mark is not None and PENDING in session.info:
        del session.info[PENDING][mark:]


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    savepoint = session.get_nested_transaction()
    if savepoint is not None:  # released: the transaction goes on, with its submissions
        session.info.get(MARKS, {}).pop(savepoint, None)
        return
    submitted = session.info.pop(PENDING, None)
    if submitted:
        session.info.setdefault(COMMITTED, []).extend(submitted)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: Any) -> None:
    """After the outermost transaction: forget what a rollback undid, and wait for the
    indices of what a commit made durable (the connection is back in the pool by now)."""
    if transaction.parent is not None:
        return  # a savepoint: _committed or _rolled_back (which runs after this) decides
    session.info.pop(MARKS, None)
    session.info.pop(PENDING, None)
    submitted: list[Pending] | None = session.info.pop(COMMITTED, None)
    engine = session.info.pop(ENGINE, None)
    if not submitted or engine is None:
        return
    indices = waiters(engine).wait(engine, {p.id for p in submitted})
    for pending in submitted:
        pending.index = indices.get(pending.id)
        if pending.index is not None:
            for obj, name in pending.fill:
                set_committed_value(obj, name, pending.index)
