"""Keeping the cells of sums (models.py) equal to what the registry's records add up to.

A full rebuild is one INSERT … SELECT … GROUP BY per kind of cell (sums.py) over the
whole registry, merged into the table by natural key: a cell whose sums changed takes the
new revision, a cell that no longer has any record is emptied. It reads every season's
newest result, so it takes seconds to a minute at a million seasons (bench/README.md):
it runs when there are no cells yet and from `registry reports rebuild`. Otherwise a
refresh recomputes only the cells of the organisations whose records changed since the
last one (changes.py): milliseconds for a day's work. Values are rounded to three
decimals (grams, kilograms, 10 m²) so that the same records always give the same cells
and an unchanged cell keeps its revision.

Pages and open data refresh when the last refresh is older than `max_age`
(REPORTS_MAX_AGE_SECONDS); reports and confirmations ask for `max_age=0` and see the
records as they are. Callers of `refresh` and `rebuild_all` commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, Table, case, literal_column, or_, select, text, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from registry.db import Db, utcnow
from registry.reports import changes, sums
from registry.reports.models import EmissionCell, FieldCell, LabelCell, RollupState
from registry.verify.bulk import among

PLACE = ("province", "commune", "organisation_id")
NEVER = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Freshness:
    revision: int
    built_at: datetime


def refresh(session: Db, max_age: timedelta) -> RollupState:
    """The cells' state, brought up to date first when the last refresh is older than
    `max_age` (built from scratch when there are none). Concurrent callers do the work
    once: the state row is locked and looked at again first."""
    state = session.get(RollupState, 1)
    if state is not None and utcnow() - state.built_at < max_age:
        return state
    state = _locked(session)
    if state.full_at == NEVER:
        _full(session, state)
    elif utcnow() - state.built_at >= max_age:
        _incremental(session, state)
    return state


def rebuild_all(session: Db) -> RollupState:
    """Recompute every cell from every record (`registry reports rebuild`)."""
    state = _locked(session)
    _full(session, state)
    return state


def snapshot(session: Db, max_age: timedelta) -> Freshness:
    """`refresh`, commit (so that other requests find the work done), then start a
    transaction in which every read sees the same cells: on PostgreSQL a REPEATABLE READ
    one, so that a refresh committed between two reads of a page cannot make its total
    differ from the sum of its parts (SQLite writes one at a time anyway)."""
    state = refresh(session, max_age)
    found = Freshness(state.revision, state.built_at)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return found


def _locked(session: Db) -> RollupState:
    if session.get(RollupState, 1) is None:
        session.execute(
            _insert(session, RollupState)
            .values(
                id=1,
                revision=0,
                built_at=NEVER,
                previous_at=NEVER,
                full_at=NEVER,
                log_size=0,
                scan_day=NEVER.date(),
                **{f"{name}_{end}": 0 for name in changes.BY_ID for end in ("seen", "floor")},
            )
            .on_conflict_do_nothing()
        )
    return session.scalars(
        select(RollupState)
        .where(RollupState.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _no_jit(session: Db) -> None:
    """PostgreSQL's JIT compiles these statements for seconds (their estimated cost is
    high) to save milliseconds: off for this transaction (bench/README.md)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _full(session: Db, state: RollupState) -> None:
    _no_jit(session)
    now = changes.marks(session)
    revision = state.revision + 1
    _merge(session, EmissionCell, ("crop",), sums.emission_rows(session), revision, None)
    _merge(session, LabelCell, ("crop",), sums.label_rows(session), revision, None)
    _merge(session, FieldCell, (), sums.field_rows(session), revision, None)
    state.revision, state.full_at = revision, utcnow()
    changes.advance(state, now, full=True)


def _incremental(session: Db, state: RollupState) -> None:
    _no_jit(session)
    now = changes.marks(session)
    found = changes.changed(session, state, now)
    revision = state.revision + 1 if found else state.revision
    for orgs, model, keys, rows in (
        (found.emissions, EmissionCell, ("crop",), sums.emission_rows),
        (found.labels, LabelCell, ("crop",), sums.label_rows),
        (found.fields, FieldCell, (), sums.field_rows),
    ):
        if orgs:
            _merge(session, model, keys, rows(session, orgs), revision, orgs)
    state.revision = revision
    changes.advance(state, now, full=False)


def _insert(session: Db, model: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


def _merge(
    session: Db,
    model: Any,
    extra_keys: tuple[str, ...],
    rows: Select[Any],
    revision: int,
    orgs: frozenset[int] | None,
) -> None:
    """Upsert `rows` (keys, then sums) into the model's table by natural key; the cells
    of `orgs` (of everyone for None) that `rows` lacks are emptied."""
    table: Table = model.__table__
    keys = (*PLACE, *extra_keys, "year", "month")
    names = [str(c.key) for c in rows.selected_columns if c.key not in keys]
    statement = _insert(session, model).from_select(
        [*keys, *names, "revision", "built"],
        # WHERE true: SQLite would read ON CONFLICT as a join's ON without it
        select(
            *rows.subquery().c, literal_column(str(revision)), literal_column(str(revision))
        ).where(true()),
    )
    new = statement.excluded
    changed = or_(*(table.c[name].is_distinct_from(new[name]) for name in names))
    session.execute(
        statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={
                **{name: new[name] for name in names},
                "revision": case((changed, revision), else_=table.c.revision),
                "built": revision,
            },
        )
    )
    mine = true() if orgs is None else among(session, model.organisation_id, list(orgs))
    session.execute(
        update(table)
        .where(mine, table.c.built < revision, or_(*(table.c[name] != 0 for name in names)))
        .values({**dict.fromkeys(names, 0), "revision": revision})
    )
