"""The farm diary with no connection (issue 21), on a 360 px phone in Debian's chromium: three
entries and a photo made offline wait in the outbox, the pages open again from the service
worker, and back online each arrives once, in the diary and in the transparency log; the
same when the server stops in the middle of sending (after committing an entry whose answer
never reached the phone) and starts again; an entry refused on arrival is sent as a
correction. The server here is the suite's app on a port of its own, so it can be stopped."""

from __future__ import annotations

import io
import json
import re
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import BaseWSGIServer, make_server

from registry.accounts.models import Organisation, OrgKind, User
from registry.db import db
from registry.ledger.models import LogEntry
from registry.trace import service
from registry.trace.models import DiaryEntry, EvidenceFile
from tests.browser.test_trace import sign_in
from tests.conftest import Factory
from tests.trace.conftest import field_values, season_values

SEASON = "DS-01-2026-DX"


class StoppableServer:
    """The app over HTTP on one port, stopped and started again at will. Stopped, it also
    drops the connections the browser keeps alive, as a server that went away does.
    `drop_after(n)` stops it in the middle of the n-th diary post: the entry is committed
    and the connection then closed without an answer."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.up = threading.Event()
        self.posts = self.replays = 0
        self.drop_at: int | None = None
        self.dropped = threading.Event()
        self.server: BaseWSGIServer | None = None
        self.start()

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self._wsgi, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.up.set()

    def stop(self) -> None:
        self.up.clear()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def drop_after(self, posts: int) -> None:
        self.posts, self.drop_at = 0, posts

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not self.up.is_set():
            _hang_up(environ)
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/diary"):
            self.posts += 1
            if self.posts == self.drop_at:
                b"".join(self.app(environ, lambda *a, **k: lambda data: None))  # committed
                self.up.clear()
                threading.Thread(target=self._stopped).start()
                _hang_up(environ)

        def noting(status: str, headers: list[tuple[str, str]], *more: Any) -> Any:
            self.replays += any(name == "Idempotent-Replayed" for name, _ in headers)
            return start_response(status, headers, *more)

        result: Iterable[bytes] = self.app(environ, noting)
        return result

    def _stopped(self) -> None:
        self.stop()
        self.dropped.set()


def _hang_up(environ: dict[str, Any]) -> None:
    environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
    raise ConnectionResetError("the server went away")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(app: Flask) -> Iterator[StoppableServer]:
    running = StoppableServer(app)
    yield running
    running.stop()


@pytest.fixture
def clerk(browser: Any, server: StoppableServer, app: Flask, make: Factory) -> Iterator[Any]:
    """A signed-in HTX clerk on a 360 px phone with the season DS-01-2026-DX, its position
    known (the photo's GPS), every request's host recorded."""
    org = make.org(kind=OrgKind.PRODUCER, code="HTX-DOSON")
    user = make.user(org)
    with app.app_context():
        held = db.session.get(Organisation, org.id)
        assert held is not None
        service.register_field(db.session, held, field_values())
        service.open_season(db.session, held, season_values())
        db.session.commit()
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        base_url=server.url,
        permissions=["geolocation"],
        geolocation={"latitude": 20.7104, "longitude": 106.7804, "accuracy": 6},
    )
    page = context.new_page()
    page.requested_hosts = set()
    page.on("request", lambda r: page.requested_hosts.add(r.url.split("/")[2]))
    sign_in(page, user.email)
    yield page
    context.close()


def kept_offline(page: Any) -> None:
    """Open the season online and wait until the phone keeps its diary pages."""
    page.goto(f"/seasons/{SEASON}")
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller")
    page.wait_for_function(
        """async () => {
            const pages = JSON.parse(document.getElementById('outbox').dataset.offlinePages);
            const kept = await Promise.all(pages.map((url) => caches.match(url)));
            return kept.every(Boolean);
        }"""
    )


def photo_bytes() -> bytes:
    found = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(found, "JPEG")
    return found.getvalue()


def three_entries_offline(page: Any) -> None:
    """A drainage with a photo, a note and a flooding, made with no connection."""
    page.context.set_offline(True)
    page.goto(f"/seasons/{SEASON}/diary?kind=water")
    page.get_by_label("Việc đã làm").select_option("drainage")
    page.get_by_label("Ngày", exact=True).fill("2026-02-01")
    page.get_by_label("Ảnh").set_input_files(
        {"name": "ruong.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}
    )
    page.wait_for_timeout(300)  # the phone's position, asked for when the photo is chosen
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(f"**/seasons/{SEASON}")
    expect(page.locator("#outbox h2")).to_have_text("1 mục chờ gửi")

    page.goto(f"/seasons/{SEASON}/diary?kind=note")
    page.get_by_label("Ngày", exact=True).fill("2026-02-03")
    page.get_by_label("Ghi chú").fill("Sâu cuốn lá ít, chưa phun thuốc")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(f"**/seasons/{SEASON}")

    page.goto(f"/seasons/{SEASON}/diary?kind=water")
    page.get_by_label("Việc đã làm").select_option("flooding")
    page.get_by_label("Ngày", exact=True).fill("2026-02-08")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(f"**/seasons/{SEASON}")
    expect(page.locator("#outbox h2")).to_have_text("3 mục chờ gửi")


def diary(app: Flask) -> tuple[list[DiaryEntry], list[LogEntry], list[EvidenceFile]]:
    with app.app_context():
        entries = list(
            db.session.scalars(select(DiaryEntry).order_by(DiaryEntry.date, DiaryEntry.id))
        )
        logged = list(db.session.scalars(select(LogEntry).where(LogEntry.type == "season.diary")))
        photos = list(db.session.scalars(select(EvidenceFile)))
        db.session.expunge_all()
    return entries, logged, photos


def arrived_once(page: Any, app: Flask) -> None:
    """Exactly the three entries and the photo, once each, on the page, in the database and
    in the transparency log."""
    expect(page.locator(".timeline > li")).to_have_count(3, timeout=20_000)  # reloaded once sent
    expect(page.locator("#outbox")).to_be_hidden()
    expect(page.locator(".timeline img.thumb")).to_have_count(1)
    entries, logged, photos = diary(app)
    assert [e.kind.value for e in entries] == ["water", "note", "water"]
    assert [e.data.get("event") for e in entries] == ["drainage", None, "flooding"]
    assert len(photos) == 1 and entries[0].evidence == [photos[0].sha256]
    assert photos[0].meta["gps_source"] == "device"
    assert abs(photos[0].meta["gps"]["lat"] - 20.7104) < 1e-6
    assert sorted(e.log_index for e in entries) == sorted(e.index for e in logged)
    for entry in entries:
        sent = json.loads(page.request.get(f"/log/entries/{entry.log_index}").body())
        assert sent["type"] == "season.diary" and sent["subject"] == SEASON
        assert sent["data"]["entry"] == entry.id
    assert page.requested_hosts <= {page.url.split("/")[2]}  # nothing from another site


def test_a_diary_kept_offline_arrives_once(clerk: Any, app: Flask) -> None:
    kept_offline(clerk)
    three_entries_offline(clerk)
    clerk.reload()  # still offline: the page comes from the service worker
    expect(clerk.locator("#outbox h2")).to_have_text("3 mục chờ gửi")
    expect(clerk.locator("#outbox .outbox-status")).to_contain_text("Không có mạng")
    assert diary(app)[0] == []
    clerk.context.set_offline(False)  # the `online` event sends them
    arrived_once(clerk, app)
    clerk.wait_for_function(  # kept again without the one-time "Saved in the diary."
        """async () => {
            const kept = await caches.match(location.pathname);
            return kept && !(await kept.text()).includes('class="flash');
        }"""
    )
    clerk.context.set_offline(True)
    clerk.reload()
    expect(clerk.locator(".timeline > li")).to_have_count(3)
    expect(clerk.locator("main .flash")).to_have_count(0)


def test_the_server_stopping_mid_sync_loses_and_repeats_nothing(
    clerk: Any, app: Flask, server: StoppableServer
) -> None:
    kept_offline(clerk)
    three_entries_offline(clerk)
    server.drop_after(2)  # the second entry is committed, then the server goes away
    clerk.context.set_offline(False)
    assert server.dropped.wait(30)
    assert len(diary(app)[0]) == 2
    clerk.wait_for_function("() => navigator.onLine")
    clerk.reload()  # the server is down: the page comes from the phone, two still waiting
    expect(clerk.locator("#outbox h2")).to_have_text(re.compile("[12] mục chờ gửi"))
    server.start()
    clerk.reload()  # opening a diary page sends what waits; the second gets its first answer
    arrived_once(clerk, app)
    # The second was answered from its key: once, or twice when the page and the browser's
    # Background Sync both retried it before either heard back (still one entry).
    assert server.replays >= 1


def test_an_entry_refused_on_arrival_is_sent_as_a_correction(
    clerk: Any, app: Flask, make: Factory
) -> None:
    """Corrected on the phone offline while a colleague corrected the same harvest online:
    the clerk sees why it was refused and sends it as a correction of the colleague's."""
    clerk.goto(f"/seasons/{SEASON}/diary?kind=harvest")
    clerk.get_by_label("Ngày", exact=True).fill("2026-05-10")
    clerk.get_by_label("Sản lượng thóc thu hoạch (kg)").fill("5000")
    clerk.get_by_role("button", name="Lưu").click()
    clerk.wait_for_url(f"**/seasons/{SEASON}")
    first = diary(app)[0][0].id
    kept_offline(clerk)
    clerk.goto(f"/seasons/{SEASON}/diary?kind=harvest&supersedes={first}")
    clerk.context.set_offline(True)
    clerk.get_by_label("Sản lượng thóc thu hoạch (kg)").fill("5200")
    clerk.get_by_label("Lý do sửa").fill("Cân ở kho")
    clerk.get_by_role("button", name="Lưu").click()
    clerk.wait_for_url(f"**/seasons/{SEASON}")
    with app.app_context():  # meanwhile, in the office
        original = db.session.get(DiaryEntry, first)
        assert original is not None
        org, user = original.season.field.organisation, original.recorded_by
        correction = {
            "season": SEASON,
            "kind": "harvest",
            "date": date(2026, 5, 10),
            "data": {"kg": 5100.0},
            "evidence": [],
            "supersedes": first,
            "reason": "Cân lại",
        }
        service.record_entry(db.session, org, user, correction)
        db.session.commit()
    clerk.context.set_offline(False)
    refused = clerk.locator("#outbox li[data-state=refused]")
    refused.wait_for()
    assert "Không được nhận" in refused.inner_text() and "đã được sửa rồi" in refused.inner_text()
    refused.get_by_role("button", name="Gửi làm bản sửa").click()
    clerk.wait_for_function("() => document.getElementById('outbox').hidden")
    entries = diary(app)[0]
    assert [e.data["kg"] for e in entries] == [5000.0, 5100.0, 5200.0]
    assert entries[2].supersedes_id == entries[1].id and entries[2].reason == "Cân ở kho"


def sign_out(page: Any) -> None:
    """The header's "Đăng xuất", as the clerk taps it (its submit event runs)."""
    page.locator("form[action$='/logout']").evaluate("(form) => form.requestSubmit()")
    page.wait_for_url(re.compile(r"/$"))


def test_an_entry_waits_for_the_clerk_who_saved_it_on_a_shared_phone(
    clerk: Any, app: Flask, make: Factory
) -> None:
    """A note saved offline by one clerk, who signs out before it is sent; a colleague
    signs in on the same phone and records an entry online: only the colleague's is sent,
    the first waits for its clerk, and is sent once, as theirs, when they sign in again."""
    with app.app_context():
        first = db.session.scalars(select(User)).one()
        colleague = make.user(first.organisation)
        db.session.expunge_all()
    kept_offline(clerk)
    clerk.context.set_offline(True)
    clerk.goto(f"/seasons/{SEASON}/diary?kind=note")
    clerk.get_by_label("Ngày", exact=True).fill("2026-02-03")
    clerk.get_by_label("Ghi chú").fill("Ruộng của chị Lan")
    clerk.get_by_role("button", name="Lưu").click()
    clerk.wait_for_url(f"**/seasons/{SEASON}")
    expect(clerk.locator("#outbox h2")).to_have_text("1 mục chờ gửi")
    clerk.route("**/diary*", lambda route: route.abort())  # the signal drops as it returns
    clerk.context.set_offline(False)
    expect(clerk.locator("#outbox .outbox-status")).to_contain_text("Không có mạng")
    sign_out(clerk)
    clerk.unroute("**/diary*")

    sign_in(clerk, colleague.email)
    clerk.goto(f"/seasons/{SEASON}/diary?kind=note")
    clerk.get_by_label("Ngày", exact=True).fill("2026-02-04")
    clerk.get_by_label("Ghi chú").fill("Ruộng của anh Minh")
    clerk.get_by_role("button", name="Lưu").click()
    clerk.wait_for_url(f"**/seasons/{SEASON}")
    waiting = clerk.locator("#outbox li[data-state=signin]")
    expect(waiting).to_contain_text("Do cán bộ khác lưu")
    expect(clerk.locator("#outbox h2")).to_have_text("1 mục chờ gửi")
    entries = diary(app)[0]
    assert [(e.data["text"], e.recorded_by_id) for e in entries] == [
        ("Ruộng của anh Minh", colleague.id)
    ]
    sign_out(clerk)

    sign_in(clerk, first.email)
    clerk.goto(f"/seasons/{SEASON}")
    expect(clerk.locator(".timeline > li")).to_have_count(2, timeout=20_000)
    expect(clerk.locator("#outbox")).to_be_hidden()
    entries = diary(app)[0]
    assert [(e.data["text"], e.recorded_by_id) for e in entries] == [
        ("Ruộng của chị Lan", first.id),
        ("Ruộng của anh Minh", colleague.id),
    ]
