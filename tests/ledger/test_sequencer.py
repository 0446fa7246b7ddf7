"""Entries submitted to the pool and numbered in batches after their transaction commits
(registry/ledger/sequencer.py): the same bytes, tree, proofs and checkpoints as appended
ones; each writer learns its index when its commit returns; rolled-back submissions vanish;
nothing acknowledged is lost when a writer process dies mid-batch."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from registry.db import db
from registry.keys import keystore
from registry.ledger import note, sequencer, service, verify
from registry.ledger.audit import verify_store
from registry.ledger.models import LogEntry, LogHead, LogPending
from registry.ledger.rfc9162 import leaf_hash
from registry.trace import service as trace
from registry.trace.models import ProductPrice
from registry.trace.schemas import DiaryEntryIn
from tests.conftest import Factory
from tests.trace.conftest import field_values, htx, season_values  # noqa: F401 (htx: fixture)

ORIGIN = "test.phatthaithap.vn/log"


def price(session: Session, org_id: int, n: int) -> ProductPrice:
    """A business row that keeps its log index, flushed."""
    row = ProductPrice(product=f"p{n}", vnd_per_kg=n, set_by_id=org_id, log_index=-1)
    session.add(row)
    session.flush()
    return row


def priced(session: Session, org_id: int, n: int) -> tuple[ProductPrice, sequencer.Pending]:
    row = price(session, org_id, n)
    data = {"row": row.id, "n": n}
    return row, sequencer.submit(
        session, "test.event", "HTX-A", f"s{n}", data, [(row, "log_index")]
    )


def stored(session: Session, index: int) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(service.entry(session, index))
    return parsed


def audit(session: Session) -> None:
    origin = ORIGIN
    vkeys = [note.vkey(origin, k.public_key) for k in keystore().published("log")]
    report = verify_store(session, origin, vkeys)
    assert report.ok, report.problems


def pool(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(LogPending).where(LogPending.log_index.is_(None))
        )
        or 0
    )


@pytest.fixture
def org_id(make: Factory) -> int:
    return make.org(code="HTX-A").id


def test_commit_returns_with_the_index_on_the_entry_and_the_row(ctx: None, org_id: int) -> None:
    before = service.size(db.session)
    row, pending = priced(db.session, org_id, 1)
    assert pending.index is None and row.log_index == -1  # numbered after the commit
    db.session.commit()
    assert pending.index == before and row.log_index == before
    db.session.expire_all()
    assert db.session.get(ProductPrice, row.id).log_index == before  # the column, stored
    entry = stored(db.session, before)
    assert entry["subject"] == "s1" and entry["data"] == {"row": row.id, "n": 1}
    assert service.size(db.session) == before + 1 and pool(db.session) == 0


def test_batched_entries_make_the_same_tree_proofs_and_checkpoints(ctx: None, org_id: int) -> None:
    """Submitted and appended entries interleave in one tree that any RFC 9162 client
    checks: roots from the bytes, inclusion and consistency proofs, a signed checkpoint."""
    base = service.size(db.session)
    numbers: list[int] = []
    for n in range(12):
        if n % 3 == 0:
            numbers.append(service.append(db.session, "test.event", "HTX-A", f"a{n}", {"n": n}))
            db.session.commit()
        else:
            pending = [priced(db.session, org_id, n * 10 + k)[1] for k in range(n % 3)]
            db.session.commit()
            numbers.extend(p.index for p in pending if p.index is not None)
    size = service.size(db.session)
    assert numbers == list(range(base, size))
    entries = [service.entry(db.session, i) for i in range(size)]
    root = service.root(db.session, size)
    assert root == verify.root_from_leaves(entries)
    for index in range(size):
        proof = service.inclusion_proof(db.session, index, size)
        assert verify.verify_inclusion(index, size, leaf_hash(entries[index]), proof, root)
    for first in range(1, size):
        proof = service.consistency_proof(db.session, first, size)
        old = service.root(db.session, first)
        assert verify.verify_consistency(first, size, old, root, proof)
    signed = service.checkpoint(db.session, ORIGIN, keystore().private("log"))
    db.session.commit()
    opened = note.open_checkpoint(signed, note.vkey(ORIGIN, keystore().private("log").public_key()))
    assert (opened.size, opened.root) == (size, root)
    audit(db.session)


def test_a_rolled_back_submission_leaves_nothing(ctx: None, org_id: int) -> None:
    before = service.size(db.session)
    _, lost = priced(db.session, org_id, 1)
    db.session.rollback()
    row, kept = priced(db.session, org_id, 2)
    db.session.commit()
    assert lost.index is None and kept.index == before == row.log_index
    assert db.session.scalar(select(func.count()).select_from(LogPending)) == 1
    assert service.size(db.session) == before + 1


def test_a_rolled_back_savepoint_drops_its_submission_only(ctx: None, org_id: int) -> None:
    before = service.size(db.session)
    with db.session.begin_nested():
        _, first = priced(db.session, org_id, 1)
    savepoint = db.session.begin_nested()
    _, undone = priced(db.session, org_id, 2)
    savepoint.rollback()
    _, last = priced(db.session, org_id, 3)
    db.session.commit()
    assert (first.index, undone.index, last.index) == (before, None, before + 1)
    assert [stored(db.session, i)["subject"] for i in (before, before + 1)] == ["s1", "s3"]


def test_one_transaction_submits_many_entries_in_order(ctx: None, org_id: int) -> None:
    before = service.size(db.session)
    rows = [price(db.session, org_id, n) for n in range(5)]
    entries = [("test.event", "HTX-A", f"m{n}", {"n": n}) for n in range(5)]
    pending = sequencer.submit_many(db.session, entries, [[(r, "log_index")] for r in rows])
    db.session.commit()
    assert [p.index for p in pending] == list(range(before, before + 5))
    assert [r.log_index for r in rows] == [p.index for p in pending]
    assert [stored(db.session, before + n)["subject"] for n in range(5)] == [
        f"m{n}" for n in range(5)
    ]


def test_an_entry_is_checked_when_submitted(ctx: None) -> None:
    with pytest.raises(ValueError, match="private"):
        sequencer.submit(db.session, "test.event", "HTX-A", "x", {"phone": "0901"})
    with pytest.raises(ValueError, match="tiles hold"):
        sequencer.submit(db.session, "test.event", "HTX-A", "x", {"text": "x" * 70_000})
    db.session.rollback()


def test_entries_left_in_the_pool_are_numbered_by_the_next_writer(
    app: Flask, ctx: None, org_id: int
) -> None:
    """A writer that dies after its commit leaves its entry in the pool: the next round of
    any writer numbers it first (and `registry log sequence` does when nobody writes)."""
    before = service.size(db.session)
    with Session(db.engine) as orphan:
        row_id = price(orphan, org_id, 1).id
        orphan.add(
            LogPending(
                type="test.event",
                actor="HTX-A",
                subject="orphan",
                time=service.entry_time(),
                entry=service.encode_entry("test.event", service.entry_time(), "HTX-A", "o", {}),
                fill=[["product_prices", "log_index", "id", row_id]],
            )
        )
        orphan.commit()  # no submit(): nobody waits for this one
    assert pool(db.session) == 1
    _, pending = priced(db.session, org_id, 2)
    db.session.commit()
    assert pending.index == before + 1
    assert db.session.get(ProductPrice, row_id).log_index == before
    assert pool(db.session) == 0


def test_log_sequence_numbers_the_pool(runner: FlaskCliRunner, ctx: None, org_id: int) -> None:
    with Session(db.engine) as orphan:
        for n in range(3):
            entry = service.encode_entry("test.event", service.entry_time(), "HTX-A", f"{n}", {})
            orphan.add(
                LogPending(
                    type="test.event",
                    actor="HTX-A",
                    subject=f"{n}",
                    time=service.entry_time(),
                    entry=entry,
                    fill=[],
                )
            )
        orphan.commit()
    before = service.size(db.session)
    result = runner.invoke(args=["log", "sequence"])
    assert result.exit_code == 0, result.output
    assert "3 entries numbered" in result.output
    db.session.rollback()
    assert service.size(db.session) == before + 3 and pool(db.session) == 0


def test_record_appends_at_once_outside_a_batch(ctx: None, org_id: int) -> None:
    before = service.size(db.session)
    row = price(db.session, org_id, 1)
    index = sequencer.record(db.session, "test.event", "HTX-A", "r", {}, [(row, "log_index")])
    assert index == before == row.log_index  # known inside the transaction, as append's
    db.session.commit()
    assert pool(db.session) == 0 and service.size(db.session) == before + 1


def fertiliser(on: str) -> dict[str, Any]:
    data = {"product": "Urê Phú Mỹ", "kg": 50, "urea": True}
    loaded: dict[str, Any] = DiaryEntryIn().load(
        {"season": "DS-01-2026-DX", "kind": "fertiliser", "date": on, "data": data}
    )
    return loaded


def test_a_batch_of_diary_writes_logs_through_the_pool(app: Flask, htx: Any) -> None:
    """As an import does: a field, its season and diary entries in one transaction inside
    `batched`; the head is not held meanwhile (on PostgreSQL another writer appends at
    once), and the commit returns with every row's index set, in the order written."""
    org, user = htx
    before = service.size(db.session)
    with sequencer.batched(db.session):
        field = trace.register_field(db.session, org, field_values())
        trace.open_season(db.session, org, season_values())
        entries = [
            trace.record_entry(db.session, org, user, fertiliser(f"2026-01-2{n}")) for n in range(3)
        ]
        assert field.log_index == -1 and service.size(db.session) == before
        if db.engine.dialect.name == "postgresql":
            with Session(db.engine) as other:  # would wait for this import's commit before
                other.connection().execute(text("SET LOCAL lock_timeout = '2s'"))
                assert service.append(other, "test.event", "HTX-B", "x", {}) == before
                other.commit()
                before += 1
        db.session.commit()
    assert field.log_index == before
    assert [e.log_index for e in entries] == [before + 2, before + 3, before + 4]
    types = [stored(db.session, before + n)["type"] for n in range(5)]
    assert types == ["field.registered", "season.opened", *["season.diary"] * 3]
    assert stored(db.session, entries[0].log_index)["data"]["entry"] == entries[0].id
    audit(db.session)


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["submit", "append", "rollback", "savepoint"]), st.integers(1, 3)
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_mix_of_writes_keeps_the_log_gapless_and_checkable(
    ctx: None, org_id: int, steps: list[tuple[str, int]]
) -> None:
    expected: dict[int, str] = {}
    for step, (kind, count) in enumerate(steps):
        subjects = [f"h{step}-{k}" for k in range(count)]
        entries = [("test.event", "HTX-A", s, {"k": s}) for s in subjects]
        if kind == "append":
            indices = service.append_many(db.session, entries)
            db.session.commit()
            expected.update(zip(indices, subjects, strict=True))
            continue
        if kind == "savepoint":
            with db.session.begin_nested():
                pending = sequencer.submit_many(db.session, entries)
        else:
            pending = sequencer.submit_many(db.session, entries)
        if kind == "rollback":
            db.session.rollback()
            assert all(p.index is None for p in pending)
            continue
        db.session.commit()
        expected.update((p.index, s) for p, s in zip(pending, subjects, strict=True))
    size = service.size(db.session)
    numbered = {i: s for i, s in expected.items()}
    assert all(stored(db.session, i)["subject"] == s for i, s in numbered.items())
    assert db.session.scalar(select(func.count()).select_from(LogEntry)) == size
    assert pool(db.session) == 0
    audit(db.session)


# ---------------------------------------------------------------- PostgreSQL: concurrency
def postgres_only(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrent writers and killed processes need PostgreSQL")


WRITERS, WRITES = 16, 12


def test_many_writers_at_once_get_gapless_indices_that_hold_their_entries(
    app: Flask, runner: FlaskCliRunner, org_id: int
) -> None:
    """16 threads submit (a quarter of them append in their transaction meanwhile): every
    writer is told a distinct index holding its own entry, on its own row; the log is
    gapless and `registry log verify` passes."""
    postgres_only(app)
    told: list[tuple[int, int, str]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(number: int) -> None:
        try:
            with app.app_context():
                start.wait()
                for i in range(WRITES):
                    n = number * 1000 + i
                    if number % 4 == 3:
                        row = price(db.session, org_id, n)
                        data = {"row": row.id, "n": n}
                        index = service.append(db.session, "test.event", "HTX-A", f"s{n}", data)
                        row.log_index = index
                        db.session.commit()
                        told.append((index, row.id, f"s{n}"))
                    else:
                        row, pending = priced(db.session, org_id, n)
                        db.session.commit()
                        assert pending.index is not None
                        told.append((pending.index, row.id, f"s{n}"))
                db.session.remove()
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with app.app_context():
        check_told(told)
    result = runner.invoke(args=["log", "verify"])
    assert result.exit_code == 0, result.output


def check_told(told: list[tuple[int, int, str]]) -> None:
    """Each acknowledged index holds the writer's entry and is on its row; no gap, no
    duplicate, nothing left in the pool."""
    size = service.size(db.session)
    indices = [index for index, _, _ in told]
    assert len(set(indices)) == len(indices)
    assert db.session.scalar(select(func.count()).select_from(LogEntry)) == size
    assert db.session.scalar(select(func.max(LogEntry.index))) == size - 1
    assert pool(db.session) == 0
    for index, row_id, subject in told:
        assert stored(db.session, index)["subject"] == subject
        assert db.session.get(ProductPrice, row_id).log_index == index


# ---------------------------------------------------------------- PostgreSQL: a crash
CRASH_AT = 4  # the writer process dies in its fourth numbering transaction, before commit


def crashing_writer(url: str, org_id: int, channel: Any) -> None:
    """A writer process: 6 threads submit and report each acknowledged index through the
    pipe at once; the process kills itself (SIGKILL) in the middle of a batch, after the
    batch's entries and hashes are written and before they commit."""
    engine = create_engine(url, pool_size=8)
    calls = {"n": 0}
    store = service.store

    def dying_store(session: Any, first: int, entries: Any) -> None:
        store(session, first, entries)
        session.flush()
        calls["n"] += 1
        if calls["n"] == CRASH_AT:
            os.kill(os.getpid(), signal.SIGKILL)

    service.store = dying_store  # type: ignore[assignment]
    lock = threading.Lock()

    def work(number: int) -> None:
        for i in range(1000):
            with Session(engine) as session:
                row, pending = priced(session, org_id, number * 10_000 + i)
                row_id = row.id
                session.commit()
                with lock:
                    channel.send((pending.index, row_id, f"s{number * 10_000 + i}"))

    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def acknowledged_by(target: Any, *args: Any) -> Iterator[tuple[int, int, str]]:
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=target, args=(*args, send))
    child.start()
    send.close()
    while True:
        try:
            yield receive.recv()
        except EOFError:
            break
    child.join(timeout=60)
    assert child.exitcode == -signal.SIGKILL


def test_a_writer_killed_mid_batch_loses_no_acknowledged_entry(
    app: Flask, runner: FlaskCliRunner, org_id: int
) -> None:
    postgres_only(app)
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
        db.session.remove()
    told = list(acknowledged_by(crashing_writer, url, org_id))
    assert told, "the writer died before any commit returned"
    with app.app_context():
        assert db.session.get(LogHead, 1) is not None
        left = pool(db.session)
        assert left > 0, "the killed batch's entries wait in the pool"
        assert sequencer.sequence_all(db.session) == left
        check_told(told)
    result = runner.invoke(args=["log", "verify"])
    assert result.exit_code == 0, result.output


def test_a_nested_batched_leaves_the_outer_one_batching(ctx: None, org_id: int) -> None:
    """A write view runs inside `batched` (@idempotent) and may call code that opens its
    own: when the inner one ends, entries still go to the pool; after the outer, they append."""
    rows = [price(db.session, org_id, n) for n in range(3)]
    db.session.flush()
    with sequencer.batched(db.session):
        with sequencer.batched(db.session):
            inner = sequencer.record(
                db.session, "test.event", "HTX-B", "a", {}, [(rows[0], "log_index")]
            )
        after = sequencer.record(
            db.session, "test.event", "HTX-B", "b", {}, [(rows[1], "log_index")]
        )
        assert inner is None and after is None and pool(db.session) == 2
    size = service.size(db.session)
    outside = sequencer.record_many(
        db.session, [("test.event", "HTX-B", "c", {})], [[(rows[2], "log_index")]]
    )
    assert outside == [size] and rows[2].log_index == size  # appended, the pool still waits
    db.session.commit()
    assert [r.log_index for r in rows] == [size + 1, size + 2, size]
