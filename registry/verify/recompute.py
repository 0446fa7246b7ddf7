"""Recomputing many seasons' results as background jobs spread over the workers (DESIGN §9:
a national year of 5 M seasons in minutes on a few machines).

The authority asks for the seasons of a scope to be recomputed: a province (and a year), the
seasons whose newest result was made with an older version of a methodology (a new version,
or a corrected factor, which is a new version of its file), an explicit list, or every
season. `start` queues the parent job `mrv.recompute`, the one the authority follows. Its
task lists the seasons once, cuts them in id order into parts of `chunk` seasons and queues
one `mrv.recompute_part` job per part, all in one transaction; every worker then takes parts
as they come. The parent stays running (`jobs.HELD`) and counts seasons as parts end:
done/total across parts. The part that ends last closes it: done, or failed saying how many
parts failed and why, the other parts' results kept.

A part is idempotent: it stores a season's new result only when the newest one was made
from other inputs or with an older version of the methodology
(`results.compute_many(current_version=True)`), and commits its results, its count on the
parent and its own "done" in one transaction (`JobRun.finish`). Run twice (its worker killed
after the commit, or a stalled part retried while the first run still worked) it writes its
results once. On PostgreSQL a part locks its seasons (FOR NO KEY UPDATE, in id order: diary
writes are not blocked) so that two recomputes over the same seasons at once do not both
store the same new result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from registry import jobs
from registry.accounts.models import Organisation, OrgKind, User
from registry.db import Db, db
from registry.errors import DomainError, Forbidden
from registry.jobs import service as job_service
from registry.jobs.models import Job, JobStatus
from registry.jobs.service import JobTakenOver
from registry.jobs.tasks import TRANSIENT, readable
from registry.places import PROVINCES
from registry.trace.models import Field, Season
from registry.trace.schemas import one_of
from registry.validation import Id, between
from registry.verify import bulk, results
from registry.verify.methodology import available, load_methodology
from registry.verify.models import EmissionResult

KIND = "mrv.recompute"
PART_KIND = "mrv.recompute_part"
CHUNK = 2_000  # seasons a part: ~1 s of a worker, one transaction
CHUNK_MIN, CHUNK_MAX = 10, 20_000
LISTED_MAX = 1_000_000  # seasons named one by one
PART_RETRIES = 4
ERRORS_KEPT = 3


class InvalidScope(DomainError):
    title = _l("Check what to recompute.")


class ScopeIn(Schema):
    """What to recompute: the filters given all apply; `seasons` names seasons one by one;
    `everything` (every season of the registry) must be asked for in so many words."""

    province = fields.String(load_default=None, validate=one_of(PROVINCES))
    year = fields.Integer(load_default=None, validate=between(2000, 2100))
    methodology = fields.String(load_default=None)
    seasons = fields.List(Id(), load_default=None, validate=validate.Length(1, LISTED_MAX))
    everything = fields.Boolean(load_default=False)
    chunk = fields.Integer(load_default=CHUNK, validate=between(CHUNK_MIN, CHUNK_MAX))

    @validates_schema
    def _one_scope(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data["methodology"] is not None and data["methodology"] not in methodologies():
            raise ValidationError(_l("There is no such methodology."), "methodology")
        filters = [data[name] is not None for name in ("province", "year", "methodology")]
        if data["seasons"] is not None and any(filters):
            raise ValidationError(_l("Name seasons one by one, or filter them; not both."))
        if not (any(filters) or data["seasons"] or data["everything"]):
            raise ValidationError(
                _l("Choose a province, a year, a methodology or seasons, or every season.")
            )


def methodologies() -> list[str]:
    return sorted({found for found, _version in available()})


def start(session: Db, org: Organisation, user: User | None, **asked: Any) -> Job:
    """Queue a recompute of the scope `asked` (ScopeIn's fields) for the authority `org`; the
    caller commits. Raises InvalidScope with field-level messages, Forbidden for others."""
    if org.kind is not OrgKind.AUTHORITY:
        raise Forbidden(_l("Only the authority recomputes results."))
    try:
        scope = ScopeIn().load(asked)
    except ValidationError as exc:
        raise InvalidScope(errors=_messages(exc.messages)) from None
    chunk = scope.pop("chunk")
    return jobs.enqueue(session, KIND, org, user, scope=scope, chunk=chunk)


def _messages(messages: Any) -> dict[str, Any]:
    """marshmallow's messages by field, each a list (a schema-level lazy message arrives
    bare)."""
    found = messages if isinstance(messages, dict) else {"_schema": messages}
    return {k: v if isinstance(v, list | dict) else [v] for k, v in found.items()}


def season_ids(session: Db, scope: dict[str, Any]) -> list[int]:
    """The seasons of the scope, in id order."""
    query = select(Season.id).order_by(Season.id)
    if scope.get("seasons"):
        return list(session.scalars(query.where(bulk.among(session, Season.id, scope["seasons"]))))
    if scope.get("province") is not None:
        query = query.join(Field, Season.field_id == Field.id).where(
            Field.province == scope["province"]
        )
    if scope.get("year") is not None:
        query = query.where(Season.year == scope["year"])
    if scope.get("methodology") is not None:
        query = query.where(Season.id.in_(_older_results(scope["methodology"])))
    return list(session.scalars(query))


def _older_results(methodology: str) -> Any:
    """Seasons whose newest result was made with an older version of `methodology`."""
    newer = aliased(EmissionResult)
    current = load_methodology(methodology).version
    return select(EmissionResult.season_id).where(
        EmissionResult.methodology == methodology,
        EmissionResult.version < current,
        ~select(newer.id)
        .where(newer.season_id == EmissionResult.season_id, newer.id > EmissionResult.id)
        .exists(),
    )


# ---------------------------------------------------------------- the parent
@jobs.task(KIND)
def recompute(run: jobs.JobRun, scope: dict[str, Any], chunk: int) -> Any:
    """Lists the seasons and queues the parts, once: the plan and the parts commit together
    and mark the parent planned (`result.parts`), so a second run only waits again."""
    session = db.session
    parent = session.get(Job, run.job_id)
    if parent is None or (parent.result or {}).get("parts") is not None:
        return jobs.HELD
    ids = season_ids(session, scope)
    if not ids:
        return {"seasons": 0, "parts": 0, "stored": 0}
    org = session.get_one(Organisation, run.organisation_id)
    user = session.get(User, run.user_id) if run.user_id is not None else None
    pieces = [ids[i : i + chunk] for i in range(0, len(ids), chunk)]
    for piece in pieces:
        jobs.enqueue(session, PART_KIND, org, user, parent=run.job_id, seasons=piece)
    tally = {"parts": len(pieces), "parts_done": 0, "failed_parts": [], "stored": 0, "errors": []}
    session.execute(
        update(Job)
        .where(Job.id == run.job_id)
        .values(total=len(ids), done=0, result=tally, message=_progress_message(tally))
    )
    session.commit()
    return jobs.HELD


# ---------------------------------------------------------------- a part
@jobs.task(PART_KIND, retries=PART_RETRIES)
def recompute_part(run: jobs.JobRun, parent: int, seasons: list[int]) -> dict[str, int]:
    """Idempotent: results, the parent's count and this part's "done" commit together, and
    a season gets a new result only when its inputs or its methodology's version changed."""
    session = db.session
    try:
        lock_seasons(session, seasons)
        stored = results.compute_many(session, seasons, current_version=True)
        outcome = {"seasons": len(seasons), "stored": stored}
        _count(session, parent, run.job_id, outcome, error=None)
        run.finish(session, result=outcome)
        session.commit()
    except Exception as exc:
        session.rollback()
        if _final(exc, run):
            _count(session, parent, run.job_id, {"seasons": len(seasons)}, error=readable(exc))
            session.commit()
        raise
    return outcome


def lock_seasons(session: Db, seasons: Sequence[int]) -> None:
    """PostgreSQL: hold the seasons (in id order, so two parts never wait on each other in a
    circle) until the part commits. SQLite has one writer at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        held = select(Season.id).where(bulk.among(session, Season.id, seasons))
        session.execute(held.order_by(Season.id).with_for_update(key_share=True)).all()


def _final(exc: BaseException, run: jobs.JobRun) -> bool:
    """The part fails for good (the runner will not try it again); a part another run took
    over is that run's to count."""
    if isinstance(exc, JobTakenOver):
        return False
    return not isinstance(exc, TRANSIENT) or run.attempt > PART_RETRIES


def _count(session: Db, parent: int, part: int, outcome: dict[str, int], error: str | None) -> None:
    """Add the part's seasons (or its failure, once) to the parent, under the parent's row
    lock, and close the parent when this was its last part."""
    row = session.execute(
        select(Job.status, Job.attempts, Job.done, Job.result)
        .where(Job.id == parent)
        .with_for_update()
    ).one_or_none()
    if row is None or row.status is not JobStatus.RUNNING:
        return
    tally = dict(row.result or {})
    done = row.done
    if error is None:
        tally["parts_done"] = tally.get("parts_done", 0) + 1
        tally["stored"] = tally.get("stored", 0) + outcome["stored"]
        done += outcome["seasons"]
    elif part not in tally.get("failed_parts", []):
        tally["failed_parts"] = [*tally.get("failed_parts", []), part]
        tally["errors"] = [*tally.get("errors", []), error][:ERRORS_KEPT]
    session.execute(
        update(Job)
        .where(Job.id == parent)
        .values(done=done, result=tally, message=_progress_message(tally))
    )
    if tally.get("parts_done", 0) + len(tally.get("failed_parts", [])) < tally.get("parts", 0):
        return
    if tally.get("failed_parts"):
        job_service.fail(session, parent, _failure_message(tally))
    else:
        job_service.finish(session, parent, attempt=row.attempts, result=tally)


def _progress_message(tally: dict[str, Any]) -> str:
    ended = tally.get("parts_done", 0) + len(tally.get("failed_parts", []))
    return _("%(ended)d of %(parts)d parts ended", ended=ended, parts=tally.get("parts", 0))


def _failure_message(tally: dict[str, Any]) -> str:
    failed = len(tally["failed_parts"])
    text = _(
        "%(failed)d of %(parts)d parts failed; the results of the others are kept. "
        "First error: %(error)s",
        failed=failed,
        parts=tally["parts"],
        error=(tally.get("errors") or ["—"])[0],
    )
    return text[:2000]


# ---------------------------------------------------------------- reading
def recent(session: Db, organisation_id: int, limit: int = 10) -> list[Job]:
    """The organisation's latest recomputes, newest first."""
    query = select(Job).where(Job.organisation_id == organisation_id, Job.kind == KIND)
    return list(session.scalars(query.order_by(Job.id.desc()).limit(limit)))
