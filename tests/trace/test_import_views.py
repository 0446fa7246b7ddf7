"""The import page and the import/export API, through the test client: the upload is
accepted at once, a job reads the rows (run here by `run_jobs`), and its page or its API
resource ends with the report."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from registry.accounts.models import Organisation, OrgKind, User
from registry.db import db
from registry.idempotency.models import IdempotencyKey
from registry.jobs import service
from registry.jobs.models import Job, JobStatus
from registry.storage import store
from registry.trace import import_checks, import_jobs
from registry.trace import spreadsheets as sheets
from registry.trace.models import DiaryEntry
from tests.accounts.test_api import bearer
from tests.conftest import Factory, csrf_token, login

GOOD = {
    "fields": [
        {
            "code": "DS-01",
            "name": "Ruộng Đồng Cao",
            "area_ha": 1.0,
            "province": "Hải Phòng",
            "commune": "phường Đồ Sơn",
            "household": "Hộ ông Nguyễn Văn Ba",
            "location": {"type": "Point", "coordinates": [106.7805, 20.7104]},
        }
    ],
    "seasons": [
        {"field": "DS-01", "season_type": "he_thu", "year": 2026, "sowing_date": date(2026, 5, 2)}
    ],
    "diary": [
        {
            "season": "DS-01-2026-HT",
            "kind": "water",
            "date": date(2026, 5, 20),
            "data": {"event": "drainage", "end_date": "2026-05-27"},
        }
    ],
}


def workbook(bad: bool = False) -> bytes:
    tables = {k: [dict(r) for r in v] for k, v in GOOD.items()}
    if bad:
        tables["diary"].append(
            {
                "season": "DS-01-2026-HT",
                "kind": "fertiliser",
                "date": date(2026, 5, 22),
                "data": {"product": "NPK", "kg": 30},
            }
        )
    return sheets.write_xlsx(tables)


def htx_user(make: Factory, kind: OrgKind = OrgKind.PRODUCER) -> User:
    return make.user(make.org(kind=kind))


RunJobs = Callable[..., None]


def upload(client: FlaskClient, data: bytes, name: str, action: str, **form: str) -> Any:
    token = csrf_token(client, "/import")
    return client.post(
        "/import",
        content_type="multipart/form-data",
        data={"csrf_token": token, "action": action, "file": (io.BytesIO(data), name), **form},
    )


def follow(client: FlaskClient, response: Any, run_jobs: RunJobs) -> Any:
    """The page of the job an upload started, once the job (and those it queued) ran."""
    assert response.status_code == 303, response.get_data(as_text=True)
    assert "/import/jobs/" in response.location
    run_jobs()
    return client.get(response.location)


def imported(client: FlaskClient, run_jobs: RunJobs, data: bytes, name: str, **form: str) -> Any:
    return follow(client, upload(client, data, name, "import", **form), run_jobs)


# ---------------------------------------------------------------- pages
def test_the_page_offers_the_template_check_import_and_exports(
    client: FlaskClient, make: Factory
) -> None:
    login(client, htx_user(make))
    html = client.get("/import").get_data(as_text=True)
    for needle in (
        'enctype="multipart/form-data"',
        "data-upload",
        "<progress",
        'value="check"',
        'value="import"',
        "/import/template.xlsx",
        "/export.xlsx",
        "/export/diary.csv",
        "js/upload-progress.js",
        "Kiểm tra trước",
        "Nhập dữ liệu",
    ):
        assert needle in html, needle


def test_check_first_saves_nothing_then_import_saves_everything(
    client: FlaskClient, make: Factory, run_jobs: RunJobs
) -> None:
    login(client, htx_user(make))
    checked = follow(client, upload(client, workbook(), "nhap.xlsx", "check"), run_jobs)
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200 and 'data-report="ok"' in html
    assert "sẽ thêm 1 thửa ruộng, 1 vụ và 1 dòng nhật ký" in html
    assert "DS-01" not in client.get("/fields").get_data(as_text=True)
    action = re.search(r'action="(/import/jobs/\d+/import)"', html)
    assert action, html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    again = client.post(action.group(1), data={"csrf_token": token})  # the file is kept
    page = follow(client, again, run_jobs).get_data(as_text=True)
    assert 'data-report="saved"' in page
    assert "Đã nhập 1 thửa ruộng, 1 vụ và 1 dòng nhật ký." in page
    assert "DS-01" in client.get("/fields").get_data(as_text=True)
    refused = client.post(f"{again.location}/import", data={"csrf_token": token})
    assert refused.status_code == 302  # an import is not a check to import again
    assert "Chỉ nhập được theo cách này" in client.get("/import").get_data(as_text=True)


def test_the_job_page_follows_the_rows_until_the_report(
    app: Flask, client: FlaskClient, make: Factory, run_jobs: RunJobs
) -> None:
    login(client, htx_user(make))
    started = upload(client, workbook(), "nhap.xlsx", "import")
    waiting = client.get(started.location)
    html = waiting.get_data(as_text=True)
    assert waiting.status_code == 200 and 'data-import-job="queued"' in html
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in html
    assert "js/job-progress.js" in html and "Đang chờ đến lượt xử lý…" in html
    job_id = int(started.location.rsplit("/", 1)[1])
    status = client.get(f"/jobs/{job_id}.json")
    assert status.json["status"] == "queued" and status.json["kind"] == "trace.import"
    assert status.headers["Cache-Control"] == "private, no-store"
    run_jobs()
    done = client.get(started.location).get_data(as_text=True)
    assert 'data-report="saved"' in done and "<noscript>" not in done
    assert client.get(f"/jobs/{job_id}.json").json["result"]["counts"]["fields"] == 1
    listed = client.get("/import").get_data(as_text=True)
    assert "data-recent-imports" in listed and f"/import/jobs/{job_id}" in listed

    other = app.test_client()
    login(other, htx_user(make))
    assert other.get(started.location).status_code == 404
    assert other.get(f"/jobs/{job_id}.json").status_code == 404


def test_a_bad_row_is_shown_with_its_row_and_column_and_nothing_is_saved(
    client: FlaskClient, make: Factory, run_jobs: RunJobs
) -> None:
    login(client, htx_user(make))
    response = imported(client, run_jobs, workbook(bad=True), "nhap.xlsx")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-report="errors"' in html
    assert "Có 1 lỗi: chưa lưu gì" in html
    assert ">Nhật ký</td>" in html and ">3</td>" in html and ">Hàm lượng N (%)</td>" in html
    assert "Hãy nhập hàm lượng đạm (%)." in html
    assert "DS-01" not in client.get("/fields").get_data(as_text=True)


def test_a_wrong_file_or_no_file_is_explained_beside_the_input(
    client: FlaskClient, make: Factory
) -> None:
    login(client, htx_user(make))
    xls = upload(client, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "cu.xls", "check")
    assert xls.status_code == 415
    assert "Excel Workbook (.xlsx)" in xls.get_data(as_text=True)
    assert 'id="file-error"' in xls.get_data(as_text=True)
    token = csrf_token(client, "/import")
    empty = client.post("/import", data={"csrf_token": token, "action": "check"})
    assert empty.status_code == 422 and "Chọn một tệp CSV hoặc XLSX." in empty.get_data(
        as_text=True
    )


def test_a_csv_uses_the_kind_chosen_on_the_form(
    client: FlaskClient, make: Factory, run_jobs: RunJobs
) -> None:
    login(client, htx_user(make))
    data = sheets.write_csv("fields", GOOD["fields"])
    response = imported(client, run_jobs, data, "thua.csv", kind="fields")
    assert 'data-report="saved"' in response.get_data(as_text=True)
    wrong = upload(client, data, "thua.csv", "import", kind="labels")
    assert wrong.status_code == 422 and 'id="kind-error"' in wrong.get_data(as_text=True)


def test_template_and_exports_download(
    client: FlaskClient, make: Factory, run_jobs: RunJobs
) -> None:
    login(client, htx_user(make))
    imported(client, run_jobs, workbook(), "nhap.xlsx")
    template = client.get("/import/template.xlsx")
    assert template.status_code == 200 and template.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in template.headers["Content-Disposition"]
    assert "Hướng dẫn" in load_workbook(io.BytesIO(template.data)).sheetnames
    export = client.get("/export.xlsx")
    assert export.headers["Cache-Control"] == "private, no-store"
    rows = list(load_workbook(io.BytesIO(export.data))["Thửa ruộng"].values)
    assert rows[1][:2] == ("DS-01", "Ruộng Đồng Cao") and "Hộ ông Nguyễn Văn Ba" not in rows[1]
    csv = client.get("/export/diary.csv")
    assert csv.mimetype == "text/csv" and csv.data.startswith("\ufeffMã vụ,Loại,Ngày".encode())
    assert "Rút nước" in csv.get_data(as_text=True)
    assert client.get("/export/households.csv").status_code == 404


def test_only_signed_in_producers_import_or_export(client: FlaskClient, make: Factory) -> None:
    assert client.get("/import").status_code == 302
    assert client.get("/export.xlsx").status_code == 302
    login(client, htx_user(make, OrgKind.RETAILER))
    assert client.get("/import").status_code == 403
    assert client.get("/export/fields.csv").status_code == 403


# ---------------------------------------------------------------- API
def post(
    client: FlaskClient, auth: dict[str, str], data: bytes, name: str, query: str = "", **form: str
) -> object:
    return client.post(
        f"/api/v1/imports{query}",
        headers=auth,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), name), **form},
    )


def finished(client: FlaskClient, auth: dict[str, str], accepted: Any, run_jobs: RunJobs) -> Any:
    """The job an import answered with, once it ran."""
    assert accepted.status_code == 202, accepted.json
    assert accepted.json["status"] == "queued" and accepted.json["kind"] == "trace.import"
    location = accepted.headers["Location"]
    assert location == f"/api/v1/jobs/{accepted.json['id']}"
    run_jobs()
    job = client.get(location, headers=auth)
    assert job.status_code == 200 and job.json["status"] == "done", job.json
    return job.json


def test_the_api_checks_by_default_and_imports_when_asked(
    app: Flask, client: FlaskClient, make: Factory, run_jobs: RunJobs
) -> None:
    auth = bearer(app, htx_user(make), scopes=("read", "write"))
    checked = finished(client, auth, post(client, auth, workbook(), "nhap.xlsx"), run_jobs)
    report = checked["result"]
    assert report["dry_run"] is True and report["saved"] is False
    assert report["counts"] == {"fields": 1, "seasons": 1, "diary": 1}
    assert client.get("/api/v1/fields", headers=auth).json == []
    accepted = post(client, auth, workbook(), "nhap.xlsx", "?dry_run=false")
    done = finished(client, auth, accepted, run_jobs)
    assert done["result"]["saved"] is True and done["percent"] == 100
    assert done["result"]["row_errors"] == [] and done["result"]["error_count"] == 0
    assert (done["done"], done["total"]) == (3, 3) and done["attempts"] == 1
    assert [f["code"] for f in client.get("/api/v1/fields", headers=auth).json] == ["DS-01"]


def test_api_row_errors_are_in_the_jobs_report_in_vietnamese(
    app: Flask, client: FlaskClient, make: Factory, run_jobs: RunJobs
) -> None:
    auth = bearer(app, htx_user(make), scopes=("read", "write"))
    accepted = post(client, auth, workbook(bad=True), "nhap.xlsx", "?dry_run=false")
    report = finished(client, auth, accepted, run_jobs)["result"]
    assert report["saved"] is False and report["error_count"] == 1
    [error] = report["row_errors"]
    assert error == {
        "kind": "diary",
        "sheet": "Nhật ký",
        "row": 3,
        "column": "Hàm lượng N (%)",
        "message": error["message"],
    }
    assert error["message"] == "Hãy nhập hàm lượng đạm (%)."
    assert client.get("/api/v1/fields", headers=auth).json == []


def test_api_csv_kind_from_query_or_form_and_wrong_types(
    app: Flask, client: FlaskClient, make: Factory, run_jobs: RunJobs
) -> None:
    auth = bearer(app, htx_user(make), scopes=("read", "write"))
    data = sheets.write_csv("fields", GOOD["fields"])
    by_query = finished(client, auth, post(client, auth, data, "a.csv", "?kind=fields"), run_jobs)
    by_form = finished(client, auth, post(client, auth, data, "a.csv", kind="fields"), run_jobs)
    assert by_query["result"]["error_count"] == by_form["result"]["error_count"] == 0
    seasons = finished(client, auth, post(client, auth, data, "a.csv", "?kind=seasons"), run_jobs)
    assert seasons["result"]["error_count"] > 0
    wrong = post(client, auth, b"%PDF-1.7\n\xe2\xe3\xcf\xd3", "a.pdf")
    assert wrong.status_code == 415 and wrong.mimetype == "application/problem+json"
    assert wrong.json["errors"]["file"]
    missing = client.post(
        "/api/v1/imports", headers=auth, content_type="multipart/form-data", data={}
    )
    assert missing.status_code == 422 and "file" in missing.json["errors"]
    unknown = post(client, auth, data, "a.csv", "?kind=households")
    assert unknown.status_code == 422
    assert unknown.json["errors"]["kind"] == ["Phải là một trong: fields, seasons, diary."]


def test_api_jobs_are_their_organisations_own(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    writer = bearer(app, htx_user(make), scopes=("read", "write"))
    job_url = post(client, writer, workbook(), "x.xlsx").headers["Location"]
    other = bearer(app, htx_user(make), scopes=("read",))
    assert client.get(job_url, headers=other).status_code == 404
    assert client.get(job_url).status_code == 401
    assert client.get("/api/v1/jobs/999999", headers=writer).status_code == 404


def test_api_scopes_and_kinds(app: Flask, client: FlaskClient, make: Factory) -> None:
    reader = bearer(app, htx_user(make), scopes=("read",))
    assert post(client, reader, workbook(), "x.xlsx").status_code == 403
    retailer = bearer(app, htx_user(make, OrgKind.RETAILER), scopes=("read", "write"))
    assert post(client, retailer, workbook(), "x.xlsx").status_code == 403
    assert client.get("/api/v1/exports.xlsx", headers=retailer).status_code == 403
    assert client.get("/api/v1/exports/fields.csv").status_code == 401


def test_api_exports(app: Flask, client: FlaskClient, make: Factory, run_jobs: RunJobs) -> None:
    user = htx_user(make)
    writer = bearer(app, user, scopes=("write",))
    assert post(client, writer, workbook(), "x.xlsx", "?dry_run=false").status_code == 202
    run_jobs()
    reader = bearer(app, user, scopes=("read",))
    csv = client.get("/api/v1/exports/seasons.csv", headers=reader)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert "DS-01,Hè Thu,2026,2026-05-02,DS-01-2026-HT" in csv.get_data(as_text=True)
    book = client.get("/api/v1/exports.xlsx", headers=reader)
    assert load_workbook(io.BytesIO(book.data)).sheetnames == ["Thửa ruộng", "Vụ", "Nhật ký"]
    assert client.get("/api/v1/exports/labels.csv", headers=reader).status_code == 404
    spec = client.get("/api/v1/openapi.json").json
    paths = {"/api/v1/imports", "/api/v1/jobs/{job_id}", "/api/v1/exports.xlsx"}
    assert paths | {"/api/v1/exports/{kind}.csv"} <= set(spec["paths"])
    assert "202" in spec["paths"]["/api/v1/imports"]["post"]["responses"]
    body = spec["paths"]["/api/v1/imports"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in body


def test_the_job_page_shows_the_rows_done_and_a_failure_in_vietnamese(
    ctx: None, client: FlaskClient, make: Factory, run_jobs: RunJobs
) -> None:
    user = htx_user(make)
    login(client, user)
    started = upload(client, workbook(), "nhap.xlsx", "import")
    job_id = int(started.location.rsplit("/", 1)[1])
    service.start(db.session, job_id)  # as a worker that has read 1,200 rows of 5,000
    service.progress(job_id, 1200, 5000)
    html = client.get(started.location).get_data(as_text=True)
    assert 'data-import-job="running"' in html and "Đã xong 1.200/5.000 dòng" in html
    assert '<progress max="5000" value="1200">' in html
    assert client.get(f"/jobs/{job_id}.json").json["percent"] == 24

    lost = upload(client, workbook(), "mat.xlsx", "import")
    job = db.session.get(Job, int(lost.location.rsplit("/", 1)[1]))
    assert job is not None
    store().delete(import_checks.of(job.organisation_id, job.args["token"]).upload)
    db.session.commit()
    run_jobs()
    db.session.expire_all()  # (the pages share this test's session)
    failed = client.get(lost.location).get_data(as_text=True)
    assert 'data-report="failed"' in failed and "Không hoàn thành được công việc:" in failed
    assert "Tệp của lần kiểm tra này không còn được lưu" in failed


# ---------------------------------------------------------------- sent twice
def jobs_of(app: Flask) -> list[Job]:
    with app.app_context():
        return list(db.session.scalars(select(Job).order_by(Job.id)))


def codes(client: FlaskClient, auth: dict[str, str]) -> list[str]:
    return [f["code"] for f in client.get("/api/v1/fields", headers=auth).json]


def test_an_api_upload_sent_again_with_its_key_gets_the_first_job_and_no_second(
    app: Flask, client: FlaskClient, make: Factory, run_jobs: RunJobs
) -> None:
    auth = bearer(app, htx_user(make), scopes=("read", "write"))
    keyed = {**auth, "Idempotency-Key": "nhap-1"}
    data = workbook()  # made once: a workbook's bytes name the second it was written
    first = post(client, keyed, data, "nhap.xlsx", "?dry_run=false")
    assert first.status_code == 202 and "Idempotent-Replayed" not in first.headers
    again = post(client, keyed, data, "nhap.xlsx", "?dry_run=false")
    assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    assert [job.id for job in jobs_of(app)] == [first.json["id"]]
    other = post(client, keyed, workbook(bad=True), "nhap.xlsx", "?dry_run=false")
    assert other.status_code == 422 and other.mimetype == "application/problem+json"
    assert other.json["type"].endswith("/problems/idempotency-key-reused")
    as_check = post(client, keyed, data, "nhap.xlsx")  # the same file, but a check
    assert as_check.status_code == 422
    assert len(jobs_of(app)) == 1
    done = finished(client, auth, first, run_jobs)
    assert done["result"]["saved"] is True and codes(client, auth) == ["DS-01"]
    replayed = post(client, keyed, data, "nhap.xlsx", "?dry_run=false")
    assert replayed.json["id"] == first.json["id"] and len(jobs_of(app)) == 1
    unkeyed = post(client, auth, data, "nhap.xlsx")  # no key: a new job, as before
    assert unkeyed.status_code == 202 and len(jobs_of(app)) == 2
    spec = client.get("/api/v1/openapi.json").json["paths"]["/api/v1/imports"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in spec["parameters"]]
    assert {"409", "422"} <= set(spec["responses"])


def test_a_refused_api_upload_frees_its_key(app: Flask, client: FlaskClient, make: Factory) -> None:
    auth = bearer(app, htx_user(make), scopes=("read", "write"))
    keyed = {**auth, "Idempotency-Key": "nhap-2"}
    refused = post(client, keyed, b"%PDF-1.7\n\xe2\xe3\xcf\xd3", "a.pdf")
    assert refused.status_code == 415 and jobs_of(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    accepted = post(client, keyed, b"%PDF-1.7\n\xe2\xe3\xcf\xd3", "a.pdf")
    assert accepted.status_code == 415 and "Idempotent-Replayed" not in accepted.headers


def test_the_import_form_sent_twice_with_its_key_starts_one_job(
    app: Flask, client: FlaskClient, make: Factory, run_jobs: RunJobs
) -> None:
    """The page's script sends the form with an Idempotency-Key (static/js/upload-progress.js):
    a second press or a retry lands on the first job's page."""
    login(client, htx_user(make))
    token = csrf_token(client, "/import")
    data = workbook()  # made once: a workbook's bytes name the second it was written

    def send(body: bytes, action: str = "import") -> Any:
        return client.post(
            "/import",
            headers={"Idempotency-Key": "trang-1", "Accept": "text/html"},
            content_type="multipart/form-data",
            data={"csrf_token": token, "action": action, "file": (io.BytesIO(body), "n.xlsx")},
        )

    first = send(data)
    again = send(data)
    assert first.status_code == again.status_code == 303
    assert again.location == first.location and again.headers["Idempotent-Replayed"] == "true"
    assert len(jobs_of(app)) == 1
    assert send(data, "check").status_code == 422  # the other button: another request
    assert send(workbook(bad=True)).status_code == 422 and len(jobs_of(app)) == 1
    page = follow(client, first, run_jobs).get_data(as_text=True)
    assert 'data-report="saved"' in page
    html = client.get("/import").get_data(as_text=True)
    assert html.count("/import/jobs/") == 1  # one job in "your last imports"


def test_import_of_a_check_pressed_twice_imports_once(
    app: Flask, client: FlaskClient, make: Factory, run_jobs: RunJobs
) -> None:
    user = htx_user(make)
    login(client, user)
    checked = follow(client, upload(client, workbook(), "nhap.xlsx", "check"), run_jobs)
    html = checked.get_data(as_text=True)
    action = re.search(r'action="(/import/jobs/\d+/import)"', html).group(1)  # type: ignore[union-attr]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    first = client.post(action, data={"csrf_token": token})
    second = client.post(action, data={"csrf_token": token})  # before the job ran
    assert first.status_code == second.status_code == 303
    assert second.location == first.location and len(jobs_of(app)) == 2  # the check, one import
    follow(client, first, run_jobs)
    third = client.post(action, data={"csrf_token": token})  # after it saved the rows
    assert third.location == first.location and len(jobs_of(app)) == 2
    auth = bearer(app, user, scopes=("read",))
    assert codes(client, auth) == ["DS-01"]


def test_two_imports_of_one_stored_file_save_its_rows_once(
    app: Flask, client: FlaskClient, make: Factory, run_jobs: RunJobs
) -> None:
    """Two requests that both found no import yet (at the same moment) queue two jobs: they
    run one at a time, and the second finds the rows saved by the first."""
    user = htx_user(make)
    with app.test_request_context():
        org, me = db.session.get(Organisation, user.organisation_id), db.session.get(User, user.id)
        assert org is not None and me is not None
        check = import_jobs.start(db.session, org, me, "nhap.xlsx", workbook())
        token = check.args["token"]
        first = import_jobs.queue_stored(db.session, org, me, token, "nhap.xlsx", None, False)
        second = import_jobs.queue_stored(db.session, org, me, token, "nhap.xlsx", None, False)
        db.session.commit()
        ids = first.id, second.id
    run_jobs()
    auth = bearer(app, user, scopes=("read",))
    assert codes(client, auth) == ["DS-01"]
    with app.app_context():
        done = [db.session.get_one(Job, job_id) for job_id in ids]
        assert [job.status for job in done] == [JobStatus.DONE, JobStatus.DONE]
        assert all(job.result and job.result["saved"] for job in done)
        assert db.session.scalar(select(func.count()).select_from(DiaryEntry)) == 1
