"""Recomputing many seasons as jobs spread over parts (registry/verify/recompute.py): the same
results as one process, parts idempotent, the parent's count adding up, failures readable."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_babel import force_locale
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from registry import jobs
from registry.accounts.models import Organisation, OrgKind, User
from registry.db import db
from registry.errors import DomainError, Forbidden
from registry.jobs import tasks
from registry.jobs.models import Job, JobStatus
from registry.trace import service
from registry.trace.models import Season
from registry.trace.schemas import DiaryEntryIn, SeasonIn
from registry.validation import localise
from registry.verify import methodology, recompute, recompute_cli, results
from registry.verify.models import EmissionResult
from tests.conftest import Factory, csrf_token, login
from tests.trace.conftest import field_values
from tests.verify.conftest import AWD_DIARY, BASELINE_DIARY

RunJobs = Callable[..., None]
PROVINCES = ("Cần Thơ", "Cần Thơ", "Hải Phòng")  # field i lies in PROVINCES[i % 3]
FIELDS = 12  # 24 seasons: a 2020 baseline and a 2026 season each


def diary(i: int, base: bool) -> list[tuple[str, str, dict[str, Any]]]:
    """The conftest diaries, with the urea and the harvest varied by field."""
    out = []
    for kind, on, data in BASELINE_DIARY if base else AWD_DIARY:
        varied: dict[str, Any] = dict(data)  # type: ignore[call-overload]
        if kind in ("fertiliser", "harvest"):
            varied["kg"] += (5 if kind == "fertiliser" else 40) * i
        out.append((kind, on, varied))
    return out


@pytest.fixture
def seasons(ctx: None, make: Factory) -> list[Season]:
    made = make.org(
        kind=OrgKind.PRODUCER, code="HTX-MANY", province="Cần Thơ", commune="xã Thới Lai"
    )
    org, user = db.session.get(Organisation, made.id), db.session.get(User, make.user(made).id)
    assert org is not None and user is not None
    out = []
    for i in range(FIELDS):
        code = f"DS-{i:02d}"
        service.register_field(
            db.session, org, field_values(code=code, province=PROVINCES[i % 3], commune="xã An")
        )
        for year, sowing in ((2020, "2019-12-05"), (2026, "2025-12-08")):
            values = {
                "field": code,
                "season_type": "dong_xuan",
                "year": year,
                "sowing_date": sowing,
            }
            season = service.open_season(db.session, org, SeasonIn().load(values))
            for kind, on, data in diary(i, year == 2020):
                entry = {"season": season.code, "kind": kind, "date": on, "data": data}
                service.record_entry(db.session, org, user, DiaryEntryIn().load(entry))
            out.append(season)
    db.session.commit()
    return out


@pytest.fixture
def authority(make: Factory) -> Organisation:
    return make.org(kind=OrgKind.AUTHORITY, code="BO-NN")


def stored_rows() -> dict[int, tuple[Any, ...]]:
    """Every newest result as stored, without its id and time, by season."""
    table = EmissionResult.__table__
    columns = [c for c in table.columns if c.name not in ("id", "computed_at")]
    rows = db.session.execute(select(*columns).order_by(table.c.id))
    return {row.season_id: tuple(row) for row in rows}


def result_count() -> int:
    return int(db.session.scalar(select(func.count(EmissionResult.id))) or 0)


def start(authority: Organisation, **asked: Any) -> Job:
    org = db.session.get_one(Organisation, authority.id)
    job = recompute.start(db.session, org, None, **asked)
    db.session.commit()
    return job


def parent_and_parts(job_id: int) -> tuple[Job, list[Job]]:
    db.session.expire_all()
    parent = db.session.get_one(Job, job_id)
    parts = db.session.scalars(select(Job).where(Job.kind == recompute.PART_KIND).order_by(Job.id))
    return parent, [p for p in parts if p.args["parent"] == job_id]


def test_the_parts_store_what_one_process_stores(
    seasons: list[Season], authority: Organisation, run_jobs: RunJobs
) -> None:
    ids = [s.id for s in seasons]
    assert results.compute_many(db.session, ids) == 24
    db.session.commit()
    one_process = stored_rows()
    db.session.execute(delete(EmissionResult))
    db.session.commit()

    job = start(authority, everything=True, chunk=10)
    run_jobs()
    parent, parts = parent_and_parts(job.id)
    assert parent.status is JobStatus.DONE and parent.error is None
    assert [len(p.args["seasons"]) for p in parts] == [10, 10, 4]
    assert all(p.status is JobStatus.DONE for p in parts)
    assert stored_rows() == one_process  # bit for bit, spread over three parts
    # the parent adds up its parts
    outcomes = [p.result or {} for p in parts]
    assert parent.done == parent.total == len(ids) == sum(o["seasons"] for o in outcomes)
    assert parent.result is not None
    assert parent.result["stored"] == sum(o["stored"] for o in outcomes) == len(one_process)
    assert (parent.result["parts"], parent.result["parts_done"]) == (3, 3)
    assert jobs.view(parent).percent == 100


def test_a_part_run_again_writes_nothing_twice(
    seasons: list[Season], authority: Organisation, run_jobs: RunJobs
) -> None:
    job = start(authority, everything=True, chunk=10)
    run_jobs()
    before, rows = result_count(), stored_rows()
    parent, parts = parent_and_parts(job.id)
    org = db.session.get_one(Organisation, authority.id)
    again = jobs.enqueue(db.session, recompute.PART_KIND, org, None, **parts[0].args)
    db.session.commit()
    run_jobs()
    assert (result_count(), stored_rows()) == (before, rows)
    parent_now, _parts = parent_and_parts(job.id)
    assert parent_now.done == parent.done and parent_now.result == parent.result
    assert db.session.get_one(Job, again.id).result == {"seasons": 10, "stored": 0}


def test_a_part_taken_over_by_another_run_rolls_back(
    seasons: list[Season],
    authority: Organisation,
    run_jobs: RunJobs,
    monkeypatch: Any,
    app: Flask,
) -> None:
    """A stalled part retried on another worker while its first run still worked: the other
    run finishes first; the first one then commits nothing and the parent counts it once."""
    real_lock, taken = recompute.lock_seasons, list[bool]()

    def other_worker_first(session: Any, ids: list[int]) -> None:
        if not taken:
            taken.append(True)
            with Session(db.engine) as other:
                part = other.scalar(select(Job.id).where(Job.kind == recompute.PART_KIND))
            spec = tasks.TASKS[recompute.PART_KIND]
            worker = threading.Thread(target=tasks.run, args=(app, spec, part, lambda _e: False))
            worker.start()
            worker.join()
        real_lock(session, ids)

    monkeypatch.setattr(recompute, "lock_seasons", other_worker_first)
    job = start(authority, seasons=[s.id for s in seasons[:6]], chunk=10)
    run_jobs()
    parent, (part,) = parent_and_parts(job.id)
    assert part.attempts == 2 and part.status is JobStatus.DONE
    assert parent.status is JobStatus.DONE and parent.done == 6
    assert parent.result is not None and parent.result["parts_done"] == 1
    assert result_count() == 6


def test_a_failed_part_is_shown_and_the_others_kept(
    seasons: list[Season], authority: Organisation, run_jobs: RunJobs, monkeypatch: Any
) -> None:
    real = recompute.results.compute_many
    doomed = seasons[12].id  # in the second part

    def broken(session: Any, ids: list[int], **kw: Any) -> int:
        if doomed in ids:
            raise DomainError("Nhật ký của mùa vụ này bị hỏng.")
        return real(session, ids, **kw)

    monkeypatch.setattr(recompute.results, "compute_many", broken)
    job = start(authority, everything=True, chunk=10)
    run_jobs()
    parent, parts = parent_and_parts(job.id)
    assert [p.status for p in parts] == [JobStatus.DONE, JobStatus.FAILED, JobStatus.DONE]
    assert parent.status is JobStatus.FAILED and parent.done == 14  # 10 + 4 seasons
    assert parent.error is not None and "Nhật ký của mùa vụ này bị hỏng." in parent.error
    assert parent.error.startswith("1 trong 3 phần")  # Vietnamese, the asker's language
    kept = {row[0] for row in db.session.execute(select(EmissionResult.season_id))}
    assert doomed not in kept and {s.id for s in seasons[:10]} <= kept


def test_a_transient_failure_is_tried_again(
    seasons: list[Season], authority: Organisation, run_jobs: RunJobs, monkeypatch: Any
) -> None:
    real = recompute.results.compute_many
    failures = [1]

    def flaky(session: Any, ids: list[int], **kw: Any) -> int:
        if failures:
            failures.pop()
            raise jobs.Transient("the database went away")
        return real(session, ids, **kw)

    monkeypatch.setattr(recompute.results, "compute_many", flaky)
    job = start(authority, everything=True, chunk=10)
    run_jobs()
    parent, parts = parent_and_parts(job.id)
    assert parent.status is JobStatus.DONE and parent.done == 24
    assert sorted(p.attempts for p in parts) == [1, 1, 2]


def test_a_province_and_a_year(
    seasons: list[Season], authority: Organisation, run_jobs: RunJobs
) -> None:
    job = start(authority, province="Hải Phòng", year=2026)
    run_jobs()
    parent, parts = parent_and_parts(job.id)
    assert parent.status is JobStatus.DONE and parent.total == 4 and len(parts) == 1
    found = db.session.scalars(
        select(Season.code).join(EmissionResult, EmissionResult.season_id == Season.id)
    )
    assert sorted(found) == [f"DS-{i:02d}-2026-DX" for i in (2, 5, 8, 11)]


def test_nothing_in_scope_ends_at_once(
    authority: Organisation, run_jobs: RunJobs, ctx: None
) -> None:
    job = start(authority, province="Sơn La")
    run_jobs()
    parent, parts = parent_and_parts(job.id)
    assert parent.status is JobStatus.DONE and parts == []
    assert parent.result == {"seasons": 0, "parts": 0, "stored": 0}


@pytest.fixture
def second_version(tmp_path: Path, monkeypatch: Any) -> Any:
    """The crops methodology gains a version 2 (its factors unchanged)."""
    folder = tmp_path / "methodologies"
    shutil.copytree(methodology.FOLDER, folder)
    document = json.loads((folder / "ipcc2019-t1-crops-v1.json").read_text(encoding="utf-8"))
    document["version"] = 2
    (folder / "ipcc2019-t1-crops-v2.json").write_text(json.dumps(document), encoding="utf-8")
    methodology.clear_cache()
    monkeypatch.setattr(methodology, "FOLDER", folder)
    yield
    methodology.clear_cache()


def test_a_new_methodology_version_is_recomputed_only_when_asked(
    seasons: list[Season], authority: Organisation, run_jobs: RunJobs, second_version: Any
) -> None:
    ids = [s.id for s in seasons]
    assert results.compute_many(db.session, ids) == 24
    # made with the latest version, 2: as if made with version 1 before its file came
    db.session.execute(update(EmissionResult).values(version=1))
    db.session.commit()
    assert results.compute_many(db.session, ids) == 0  # pages and imports leave them alone

    job = start(authority, methodology="ipcc2019-t1-crops", chunk=10)
    run_jobs()
    parent, parts = parent_and_parts(job.id)
    assert parent.status is JobStatus.DONE and parent.total == 24 and len(parts) == 3
    assert parent.result is not None and parent.result["stored"] == 24
    newest = results.latest_result(db.session, seasons[1].id)
    assert newest is not None and newest.version == 2
    assert recompute.season_ids(db.session, {"methodology": "ipcc2019-t1-crops"}) == []


@pytest.mark.parametrize(
    ("asked", "field"),
    [
        ({}, "_schema"),
        ({"province": "Atlantis"}, "province"),
        ({"everything": True, "chunk": 5}, "chunk"),
        ({"methodology": "no-such"}, "methodology"),
        ({"seasons": [1, "x"]}, "seasons"),
        ({"seasons": [1], "province": "Cần Thơ"}, "_schema"),
    ],
)
def test_what_to_recompute_is_checked(
    authority: Organisation, ctx: None, asked: dict[str, Any], field: str
) -> None:
    org = db.session.get_one(Organisation, authority.id)
    with pytest.raises(recompute.InvalidScope) as caught:
        recompute.start(db.session, org, None, **asked)
    assert field in caught.value.errors


def test_what_to_recompute_is_refused_in_vietnamese(authority: Organisation, ctx: None) -> None:
    org = db.session.get_one(Organisation, authority.id)
    asked = {"province": "Atlantis", "year": 1999, "chunk": 1}
    with pytest.raises(recompute.InvalidScope) as caught:
        recompute.start(db.session, org, None, **asked)
    with force_locale("vi"):
        errors = localise(caught.value.errors)
    assert errors["province"][0].startswith("Phải là một trong: An Giang")
    assert errors["year"] == ["Phải nằm trong khoảng 2000 đến 2100."]
    assert errors["chunk"] == ["Phải nằm trong khoảng 10 đến 20000."]


def test_only_the_authority_recomputes(make: Factory, ctx: None) -> None:
    htx = db.session.get_one(Organisation, make.org().id)
    with pytest.raises(Forbidden):
        recompute.start(db.session, htx, None, everything=True)


def test_the_command_queues_and_follows(
    seasons: list[Season],
    authority: Organisation,
    runner: FlaskCliRunner,
    run_jobs: RunJobs,
    monkeypatch: Any,
) -> None:
    refused = runner.invoke(args=["mrv", "recompute"])
    assert refused.exit_code == 2
    assert "Chọn một tỉnh" in refused.output  # Vietnamese first

    queued = runner.invoke(args=["mrv", "recompute", "--province", "Cần Thơ", "--no-follow"])
    assert queued.exit_code == 0, queued.output
    job_id = int(queued.output.split()[-1].rstrip("."))
    run_jobs()
    parent, _parts = parent_and_parts(job_id)
    assert parent.status is JobStatus.DONE and parent.total == 16

    # following: the workers run while the command waits
    monkeypatch.setattr(recompute_cli, "pause", lambda _seconds: run_jobs())
    followed = runner.invoke(
        args=["mrv", "recompute", "--seasons-from", "-", "--chunk", "10"],
        input=f"{seasons[0].id}, {seasons[1].id}\n",
    )
    assert followed.exit_code == 0, followed.output
    assert followed.output.strip().splitlines()[-1].startswith("Xong")


def test_the_authority_starts_and_follows_a_recompute_on_its_page(
    seasons: list[Season], authority: Organisation, make: Factory, app: Flask, run_jobs: RunJobs
) -> None:
    client = app.test_client()
    login(client, make.user(authority))
    verifiers = client.get("/verifiers").get_data(as_text=True)
    assert "/mrv/recompute" in verifiers and "Tính lại kết quả MRV" in verifiers
    token = csrf_token(client, "/mrv/recompute")
    refused = client.post("/mrv/recompute", data={"csrf_token": token})
    assert refused.status_code == 422
    assert "Chọn một tỉnh, một năm" in refused.get_data(as_text=True)

    queued = client.post("/mrv/recompute", data={"csrf_token": token, "province": "Hải Phòng"})
    assert queued.status_code == 302
    waiting = client.get("/mrv/recompute").get_data(as_text=True)
    assert 'class="job-progress"' in waiting and 'http-equiv="refresh"' in waiting
    run_jobs()
    done = client.get("/mrv/recompute").get_data(as_text=True)
    assert "Xong: đã tính lại 8 mùa vụ, 8 kết quả mới." in done
    assert 'http-equiv="refresh"' not in done


def test_a_producer_may_not_recompute(make: Factory, app: Flask) -> None:
    client = app.test_client()
    login(client, make.user(make.org()))
    assert client.get("/mrv/recompute").status_code == 403
