"""A periodic report's PDF and XLSX are built once, kept in the store under the SHA-256 of
their bytes and served from there; a file lost from the store is built again."""

from __future__ import annotations

import hashlib
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import delete, insert, select

from registry import storage
from registry.db import db
from registry.reports import files
from registry.reports.models import GeneratedReport, ReportFile
from tests.conftest import Factory, login
from tests.reports.test_views import authority, generate, seasons  # noqa: F401


@pytest.fixture
def report(app: Flask, client: FlaskClient, make: Factory, seasons: None) -> str:
    """A report as generated before its files were built with it (its job builds both)."""
    login(client, authority(make))
    page = generate(client, kind="half", period="2026-H1", province="Hải Phòng", commune="")
    with app.app_context():
        for found in db.session.scalars(select(ReportFile)):
            storage.store().delete(files.key(found))
        db.session.execute(delete(ReportFile))
        db.session.commit()
    return page


def kept(app: Flask) -> dict[str, tuple[str, int]]:
    with app.app_context():
        rows = db.session.scalars(select(ReportFile)).all()
        return {row.format: (row.sha256, row.size) for row in rows}


def test_a_file_is_built_once_then_served_from_the_store(
    app: Flask, client: FlaskClient, report: str
) -> None:
    first = client.get(f"{report}.pdf")
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    sha = hashlib.sha256(first.data).hexdigest()
    assert kept(app) == {"pdf": (sha, len(first.data))}
    assert first.headers["ETag"] == f'"{sha}"'
    assert first.headers["Content-Disposition"].startswith("attachment; filename=bao-cao-half-")
    again = client.get(f"{report}.pdf")
    assert again.data == first.data  # the stored bytes, not a second drawing
    assert client.get(f"{report}.pdf", headers={"If-None-Match": f'"{sha}"'}).status_code == 304
    with app.app_context():
        assert storage.store().get(f"reports/{sha[:2]}/{sha}.pdf") == first.data


def test_the_workbook_is_stored_too_and_other_formats_are_not_found(
    app: Flask, client: FlaskClient, report: str
) -> None:
    book = client.get(f"{report}.xlsx")
    assert book.status_code == 200
    assert load_workbook(io.BytesIO(book.data)).sheetnames
    assert set(kept(app)) == {"xlsx"}
    assert client.get(f"{report}.csv").status_code == 404
    assert set(kept(app)) == {"xlsx"}


def test_a_file_lost_from_the_store_is_built_again(
    app: Flask, client: FlaskClient, report: str
) -> None:
    lost = hashlib.sha256(client.get(f"{report}.pdf").data).hexdigest()
    with app.app_context():
        storage.store().delete(f"reports/{lost[:2]}/{lost}.pdf")
    rebuilt = client.get(f"{report}.pdf")
    assert rebuilt.status_code == 200 and rebuilt.data.startswith(b"%PDF")
    sha, size = kept(app)["pdf"]
    assert (sha, size) == (hashlib.sha256(rebuilt.data).hexdigest(), len(rebuilt.data))
    with app.app_context():
        assert storage.store().exists(f"reports/{sha[:2]}/{sha}.pdf")


def test_of_two_builds_at_once_the_first_recorded_wins(app: Flask, report: str) -> None:
    with app.test_request_context():
        found = db.session.scalars(select(GeneratedReport)).one()
        assert db.session.get(ReportFile, (found.id, "pdf")) is None
        with db.engine.begin() as other:  # another web server recorded its build meanwhile
            other.execute(
                insert(ReportFile).values(report_id=found.id, format="pdf", sha256="a" * 64, size=1)
            )
        mine = ReportFile(report_id=found.id, format="pdf", sha256="b" * 64, size=2)
        assert files._record(db.session, mine).sha256 == "a" * 64
        db.session.commit()
    assert kept(app) == {"pdf": ("a" * 64, 1)}
