"""Files whose import found problems, kept so that the clerk can download them back with the
problems marked (spreadsheets.marking) and never has to send them again to get the copy.

When a check or an import finds row problems, the import page stores the file as it was
received and every problem found (with where each sheet's header was) in
`{instance}/import-checks/{organisation id}/{token}/`, and one worker thread per process
makes the marked copy beside them: loading and saving a workbook of 5,000 rows takes
seconds, longer than a page should wait, and the page lists the problems meanwhile. The
token is random (128 bits) and the folder is the organisation's own, so only the HTX that
uploaded the file finds it; another HTX gets 404.

No table: these are scratch files, like the print sheets' PDFs, not records of the registry.
The upload names member households, so an organisation's files are removed after `KEEP`
(whenever it stores another). A copy lost with a restarted process is made again when it
is asked for (`ensure`).
"""

from __future__ import annotations

import enum
import json
import os
import re
import secrets
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path, PurePath
from typing import Any

from flask import Flask
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from registry.errors import NotFound
from registry.trace import spreadsheets as sheets
from registry.trace.imports import ImportReport, RowError

FOLDER = "import-checks"
KEEP = timedelta(days=7)
STALE = timedelta(minutes=5)  # a copy asked for this long after its job began is made again
EXECUTOR = "registry.import_checks"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")  # secrets.token_urlsafe(16)
ERRORS_HEADER = _l("Errors to fix")  # the marked copy's errors column (columns.ERRORS_COLUMN)


class CopyState(enum.StrEnum):
    WAITING = "waiting"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class Check:
    """One stored file with its problems; `marked` is its marked copy once made."""

    folder: Path

    @property
    def token(self) -> str:
        return self.folder.name

    @property
    def upload(self) -> Path:
        return self.folder / "upload"

    @property
    def problems(self) -> Path:
        return self.folder / "problems.json"

    @property
    def marked(self) -> Path:
        return self.folder / "marked.xlsx"

    @property
    def failed(self) -> Path:
        return self.folder / "failed"

    @property
    def queued(self) -> Path:
        return self.folder / "queued"

    def state(self) -> CopyState:
        if self.marked.exists():
            return CopyState.READY
        return CopyState.FAILED if self.failed.exists() else CopyState.WAITING

    def meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = json.loads(self.problems.read_text("utf-8"))
        return meta

    def download_name(self) -> str:
        """The uploaded file's name with "-loi-can-sua" ("errors to fix"), as a workbook."""
        stem = PurePath(str(self.meta()["filename"]).replace("\\", "/")).stem[:80] or "nhap"
        return f"{stem}-loi-can-sua.xlsx"


def _root(instance: str | Path, org_id: int) -> Path:
    return Path(instance) / FOLDER / str(int(org_id))


def start(app: Flask, org_id: int, report: ImportReport, data: bytes, locale: str) -> Check:
    """Store the file and its problems for `org_id` and have the marked copy made."""
    check = store(app.instance_path, org_id, report, data, locale)
    submit(app, check)
    return check


def store(
    instance: str | Path, org_id: int, report: ImportReport, data: bytes, locale: str
) -> Check:
    """Keep the upload and every problem of `report`; `locale` is the clerk's language."""
    root = _root(instance, org_id)
    _prune(root)
    check = Check(root / secrets.token_urlsafe(16))
    check.folder.mkdir(parents=True)
    check.upload.write_bytes(data)
    meta = {
        "filename": report.filename,
        "locale": locale,
        "layouts": [asdict(layout) for layout in report.layouts],
        "problems": [asdict(error) for error in report.every_error],
    }
    check.problems.write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    return check


def _prune(root: Path) -> None:
    """Remove the organisation's stored files older than KEEP."""
    if not root.is_dir():
        return
    oldest = time.time() - KEEP.total_seconds()
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < oldest:
            shutil.rmtree(folder, ignore_errors=True)


def find(instance: str | Path, org_id: int, token: str) -> Check:
    """The organisation's stored file `token`; NotFound for another's, or one removed."""
    check = Check(_root(instance, org_id) / token)
    if not TOKEN.match(token) or not check.problems.is_file():
        raise NotFound()
    return check


def make(check: Check) -> Path:
    """Make the marked copy now (the worker's body; tests call it directly)."""
    meta = check.meta()
    layouts = [sheets.Layout(**layout) for layout in meta["layouts"]]
    problems = [RowError(**problem) for problem in meta["problems"]]
    with force_locale(str(meta["locale"])):
        header = str(ERRORS_HEADER)
    data = sheets.marked_copy(check.upload.read_bytes(), layouts, problems, header)
    partial = check.folder / "marked.part"
    partial.write_bytes(data)
    os.replace(partial, check.marked)  # whole or absent, whoever reads it meanwhile
    return check.marked


def submit(app: Flask, check: Check) -> None:
    """Make the copy on this process's worker thread."""
    check.queued.touch()
    if EXECUTOR not in app.extensions:
        app.extensions[EXECUTOR] = ThreadPoolExecutor(max_workers=1)
    app.extensions[EXECUTOR].submit(_run, app, check)


def ensure(app: Flask, check: Check) -> None:
    """Submit the copy again when its job was lost (the process restarted meanwhile)."""
    if check.state() is not CopyState.WAITING:
        return
    begun = check.queued.stat().st_mtime if check.queued.exists() else 0.0
    if time.time() - begun > STALE.total_seconds():
        submit(app, check)


def _run(app: Flask, check: Check) -> None:
    with app.app_context():
        try:
            make(check)
        except Exception:
            check.failed.touch()
            app.logger.exception("marked copy %s failed", check.folder)
