"""Every page and API read that lists or adds up records of several organisations, read as
each kind of organisation of the demo: what it may see, and that it sees nothing of the
others (issue 17 item 2). Progress to 2035 has its own tests (tests/reports/test_progress.py,
whose `world` these share): an HTX in Đồ Sơn (HTX-00) and one in Thới Lai (HTX-20), each
with a verified 2026 season and one waiting in a submitted report.

Public by design, and checked here to publish only what is meant: the register (verified
seasons only), the open data (sums, the verified share marked, no household), the label
listing and approvals (DESIGN.md §7)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.accounts.models import User
from registry.db import db
from registry.public.models import ScanDay
from registry.trace.service import today_in_vietnam
from tests.accounts.test_api import bearer
from tests.conftest import csrf_token, login
from tests.reports.conftest import Builder
from tests.reports.test_progress import DOSON, THOILAI, World, world  # noqa: F401

DOSON_HTX, THOILAI_HTX = "HTX Nông nghiệp số 00", "HTX Nông nghiệp số 20"
HOUSEHOLD = "Hộ bà Nguyễn Thị Riêng"  # every field of tests/reports/conftest.py


@pytest.fixture
def labelled(app: Flask, world: World) -> dict[str, tuple[str, str]]:
    """A label on a batch held by each HTX, opened today: HTX code → (serial, lot)."""
    found = {}
    with app.app_context():
        builder = Builder(db.session)
        for place, code in ((0, "HTX-00"), (2, "HTX-20")):
            label = builder.label(place, 0, datetime(2026, 9, 1, tzinfo=UTC))
            db.session.add(ScanDay(label_id=label.id, day=today_in_vietnam(), locale="vi", count=3))
            found[code] = (label.serial, label.lot)
        db.session.commit()
    return found


def read(client: FlaskClient, user: User | None, path: str) -> tuple[int, str]:
    if user is not None:
        login(client, user)
    response = client.get(path)
    if user is not None:
        client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    return response.status_code, response.get_data(as_text=True)


def sees(client: FlaskClient, user: User | None, path: str) -> set[str]:
    """Which of the two HTXs the page names (by name or code); asserts a 200."""
    code, html = read(client, user, path)
    assert code == 200, (path, code)
    named = {"HTX-00": (DOSON_HTX, "HTX-00"), "HTX-20": (THOILAI_HTX, "HTX-20")}
    return {htx for htx, marks in named.items() if any(m in html for m in marks)}


# ---------------------------------------------------------------- MRV queue and reports
def test_the_verification_queue(client: FlaskClient, world: World) -> None:
    assert sees(client, world.authority, "/mrv/queue") == {"HTX-00", "HTX-20"}
    assert sees(client, world.verifier, "/mrv/queue") == {"HTX-00", "HTX-20"}
    assert sees(client, world.office, "/mrv/queue") == {"HTX-00"}  # its commune's only
    for user in (world.doson, world.thoilai, world.mill, world.retailer):
        assert read(client, user, "/mrv/queue")[0] == 403


def test_a_submitted_report(client: FlaskClient, world: World) -> None:
    doson, thoilai = (f"/mrv/reports/{world.waiting[c]}" for c in ("HTX-00", "HTX-20"))
    for user in (world.authority, world.verifier):
        assert read(client, user, doson)[0] == read(client, user, thoilai)[0] == 200
    assert read(client, world.office, doson)[0] == 200
    assert read(client, world.office, thoilai)[0] == 404  # another commune's: not even there
    assert (
        read(client, world.doson, doson)[0] == 200 and read(client, world.doson, thoilai)[0] == 404
    )
    for user in (world.mill, world.retailer):
        assert read(client, user, doson)[0] == 404


def test_the_api_lists_only_the_callers_reports(
    app: Flask, client: FlaskClient, world: World
) -> None:
    for user, own, other in (
        (world.doson, "HTX-00", "HTX-20"),
        (world.thoilai, "HTX-20", "HTX-00"),
    ):
        listed = {
            r["id"] for r in client.get("/api/v1/mrv/reports", headers=bearer(app, user)).json
        }
        assert len(listed) == 2 and world.waiting[own] in listed  # its approved and waiting ones
        assert world.waiting[other] not in listed
    assert client.get("/api/v1/mrv/reports", headers=bearer(app, world.office)).json == []


# ---------------------------------------------------------------- reports
def test_the_dashboard_and_its_api(app: Flask, client: FlaskClient, world: World) -> None:
    _, html = read(client, world.authority, f"/reports?period=2026&province={THOILAI[0]}")
    assert THOILAI[1] in html and DOSON[1] not in html
    _, html = read(client, world.office, "/reports?period=2026")
    assert "HTX-20" not in html and THOILAI[1] not in html
    assert read(client, world.office, f"/reports?period=2026&province={THOILAI[0]}")[0] == 403
    office = client.get("/api/v1/reports/dashboard?period=2026", headers=bearer(app, world.office))
    assert [p["key"] for p in office.json["parts"]] == ["HTX-00"]
    everywhere = client.get(
        "/api/v1/reports/dashboard?period=2026", headers=bearer(app, world.authority)
    )
    assert {p["key"] for p in everywhere.json["parts"]} == {DOSON[0], THOILAI[0]}
    for user in (world.doson, world.verifier, world.mill, world.retailer):
        assert read(client, user, "/reports")[0] == 403
        assert read(client, user, "/reports/periodic")[0] == 403
        headers = bearer(app, user)
        assert client.get("/api/v1/reports/dashboard", headers=headers).status_code == 403


# ---------------------------------------------------------------- labels, scans, batches
def test_scans_labels_and_batches(
    client: FlaskClient, world: World, labelled: dict[str, tuple[str, str]]
) -> None:
    assert sees(client, world.authority, "/scans") == {"HTX-00", "HTX-20"}
    assert sees(client, world.doson, "/scans") == {"HTX-00"}
    assert sees(client, world.thoilai, "/scans") == {"HTX-20"}
    assert sees(client, world.office, "/scans") == set()  # holds no label
    assert read(client, world.doson, f"/scans/{labelled['HTX-20'][0]}")[0] == 404
    for user, own, other in (
        (world.doson, "HTX-00", "HTX-20"),
        (world.thoilai, "HTX-20", "HTX-00"),
    ):
        _, batches = read(client, user, "/batches")
        assert labelled[own][1] in batches and labelled[other][1] not in batches
    assert read(client, world.authority, "/labels/queue")[0] == 200
    for user in (world.office, world.doson, world.verifier, world.mill):
        assert read(client, user, "/labels/queue")[0] == 403


def test_farm_records_through_the_api_are_the_callers_own(
    app: Flask, client: FlaskClient, world: World
) -> None:
    listed = {}
    for user in (world.doson, world.thoilai):
        headers = bearer(app, user)
        fields = {f["code"] for f in client.get("/api/v1/fields", headers=headers).json}
        seasons = {s["code"] for s in client.get("/api/v1/seasons", headers=headers).json}
        assert len(fields) == len(seasons) == 2  # its own two of each
        listed[user.email] = fields | seasons
    assert not set.intersection(*listed.values())  # none of the other's


# ---------------------------------------------------------------- public by design
def test_the_register_publishes_verified_seasons_only(client: FlaskClient, world: World) -> None:
    _, producers = read(client, None, "/register/htx")
    assert "thấp hơn 2020 25,0 %" in producers and "thấp hơn 2020 33,3 %" in producers
    _, page = read(client, None, "/register/htx/HTX-00")
    assert "thấp hơn 2020 25,0 %" in page  # the season 25 % above 2020 waits: not in it
    _, commune = read(client, None, f"/register/communes/{DOSON[0]}/{DOSON[1]}")
    assert "thấp hơn 2020 25,0 %" in commune and "1 ·" in commune  # one verified season
    for html in (producers, page, commune):
        assert HOUSEHOLD not in html


def test_open_data_publishes_sums_with_the_verified_share_and_no_household(
    client: FlaskClient, world: World
) -> None:
    """docs/open-data.md, format v1: every season with a result counts in `seasons`, the
    verified ones in `verified_*`; a reader who wants verified figures only has them."""
    document = client.get("/open-data/emissions.json").json
    by_htx: dict[str, list[int]] = {}
    for row in document["items"]:
        counts = by_htx.setdefault(row["organisation"], [0, 0])
        counts[0] += row["seasons"]
        counts[1] += row["verified_seasons"]
    assert by_htx == {"HTX-00": [2, 1], "HTX-20": [2, 1]}
    for path in ("/open-data/emissions.csv", "/open-data/labels.json", "/api/v1/labels"):
        assert HOUSEHOLD not in client.get(path).get_data(as_text=True)
