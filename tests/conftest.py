"""Fixtures: a migrated database (SQLite by default, PostgreSQL when TEST_DATABASE_URL is
set), the app, a client, a CLI runner, and small factories for organisations and users.

The schema is built once per run through the Alembic migrations (so the tests also prove
the migrations); every test then starts from empty tables."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from hypothesis import settings
from sqlalchemy import create_engine, event, text, update
from werkzeug.serving import make_server

from registry import create_app
from registry.accounts import service
from registry.accounts.models import Organisation, OrgKind, Role, User
from registry.db import db
from registry.jobs import queue
from registry.keys import PURPOSES, KeyStore
from registry.ledger.models import LogHead

# Speed is measured in bench/, never in unit tests: no per-example deadline (on a loaded
# machine hypothesis's default 200 ms made correct tests fail).
settings.register_profile("registry", deadline=None)
settings.load_profile("registry")

PASSWORD = "correct horse battery"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def _database_url(tmp: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp / 'test.db'}"
    url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)
    engine = create_engine(url)
    with engine.begin() as conn:  # a clean schema for this run
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("registry")
    os.environ["REGISTRY_INSTANCE"] = str(tmp)
    flask_app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": _database_url(tmp),
            "KEYS_DIR": str(tmp / "keys"),
            "LOG_ORIGIN": "test.phatthaithap.vn/log",
            "RATE_LIMITS": False,  # tests sign in far more often than people do
            "JOBS_RETRY_WAIT_SECONDS": 0,  # a transient failure is tried again at once
        }
    )
    store = KeyStore(tmp / "keys")
    for purpose in PURPOSES:
        store.generate(purpose)
    with flask_app.app_context():
        upgrade()
    yield flask_app
    with flask_app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    flask_app: Flask = request.getfixturevalue("app")
    with flask_app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                if table.name != LogHead.__tablename__:
                    conn.execute(table.delete())
            conn.execute(update(LogHead).values(size=0))  # the head row is schema, not data
    clear_queue(flask_app)


def clear_queue(flask_app: Flask) -> None:
    """Empty the job queue: procrastinate's tables on PostgreSQL, its memory on SQLite. Not
    under a running worker thread (the live server's): the jobs it is left find no record
    and end at once."""
    found = queue.runtime(flask_app)
    if found.worker is not None:
        return
    if found.embedded:
        found.queue.connector.reset()  # type: ignore[attr-defined]
        return
    with flask_app.app_context(), db.engine.begin() as conn:
        conn.execute(text("TRUNCATE procrastinate_jobs, procrastinate_periodic_defers CASCADE"))


@pytest.fixture
def run_jobs(app: Flask) -> Callable[..., None]:
    """`run_jobs()` runs every queued job (and the jobs they queue) to its end, as a worker
    would, then returns; `run_jobs(queues=["periodic"])` runs the periodic ones deferred.
    Commit before calling it: the jobs run in their own sessions."""

    def run(queues: list[str] | None = None) -> None:
        queue.run_until_empty(app, queues)

    return run


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context for calling services directly."""
    with app.test_request_context():
        yield
        db.session.remove()


@pytest.fixture(scope="module")
def live_server(app: Flask) -> Iterator[str]:
    """The app served over real HTTP on a free port, for browsers and outside checkers.
    Its jobs run on the embedded worker thread, as under `registry run`, for the tests of
    one module: afterwards `run_jobs` runs them in the test's own thread again."""
    worker = queue.start_embedded(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    worker.stop()
    queue.runtime(app).worker = None
    clear_queue(app)  # what it was left (its periodic jobs): the tests' own runs start empty


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class Factory:
    """Creates committed organisations and users with sensible defaults."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.count = 0

    def org(self, kind: OrgKind = OrgKind.PRODUCER, **fields: Any) -> Organisation:
        self.count += 1
        values = {
            "code": f"ORG-{self.count}",
            "name": f"Tổ chức {self.count}",
            "province": "Hải Phòng",
            "commune": "phường Đồ Sơn",
            **fields,
        }
        with self.app.app_context():
            org = service.create_organisation(db.session, kind=kind, **values)
            db.session.commit()
            db.session.refresh(org)
            db.session.expunge(org)
        return org

    def user(
        self, org: Organisation, roles: tuple[Role, ...] = (Role.ADMIN,), **fields: Any
    ) -> User:
        self.count += 1
        with self.app.app_context():
            user = service.create_user(
                db.session,
                organisation=db.session.get(Organisation, org.id),
                email=fields.pop("email", f"user{self.count}@htx.vn"),
                name=fields.pop("name", f"Người dùng {self.count}"),
                password=PASSWORD,
                roles=roles,
                **fields,
            )
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user


@pytest.fixture
def make(app: Flask) -> Factory:
    return Factory(app)


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form at `path` (the tests submit forms as a browser would)."""
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert found, f"no CSRF token on {path}"
    return found.group(1)


@contextmanager
def statements_run(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the database receives inside the block, for tests that hold a
    page to a fixed number of queries."""
    found: list[str] = []

    def record(*args: object) -> None:
        found.append(str(args[2]))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", record)


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": user.email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
