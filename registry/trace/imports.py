"""Bulk import and export of fields, seasons and farm-diary entries (CSV and XLSX).

An import is all or nothing. Every row is validated by the marshmallow schemas the API uses
and applied through the same service functions (`register_field`, `open_season`,
`record_entry`), so the same rules hold and every record is logged in the transparency log
as usual; fields go first, then seasons, then the diary, so one workbook can create a
field, its season and its diary. All of it happens in one transaction: any error rolls it
back, log entries included, and the report lists every problem by sheet, row (as Excel
numbers it) and column, in the reader's language. A dry run does the same work and always
rolls back, so what it reports is exactly what the real import would do.

The import owns its transaction: it commits on success and rolls back on a dry run or an
error, so call it with no other pending changes in the session. While it runs it holds the
transparency log's head row (every appender does), so other writers wait a few seconds. It
runs as a background job (import_jobs.py), never in a request: 5,000 rows take about a
minute.

Exports hold the organisation's own records in the template's columns, except the member
household of each field: a private name never leaves the registry in a file (DESIGN.md §4),
so an export re-imported elsewhere comes back without it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from registry import crops
from registry.accounts.models import Organisation, User
from registry.db import Db
from registry.errors import DomainError
from registry.ledger import sequencer
from registry.trace import schemas, service
from registry.trace import spreadsheets as sheets
from registry.trace.models import DiaryEntry, Field, Season, SeasonType
from registry.validation import localise

MAX_REPORTED = 200  # row errors listed in a report; the count covers all of them


@dataclass(frozen=True)
class RowError:
    """One problem: the sheet (or CSV file), the row as Excel numbers it, the column header
    as written in the file ("" for the whole row) and the message in the reader's language."""

    kind: str
    sheet: str
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    filename: str
    format: str
    dry_run: bool
    saved: bool = False
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(sheets.KINDS, 0))
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(sheets.KINDS, 0))
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    ignored_sheets: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # For the marked copy (import_checks): every problem, not only the listed ones, and
    # where each sheet's header was found.
    every_error: list[RowError] = field(default_factory=list)
    layouts: list[sheets.Layout] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def more_errors(self) -> int:
        return self.error_count - len(self.errors)


Progress = Callable[[int, int], None]  # (rows done, rows in all)
PROGRESS_EVERY = 100  # rows between two progress reports


def import_file(
    session: Db,
    org: Organisation,
    user: User,
    filename: str,
    data: bytes,
    kind: str | None = None,
    dry_run: bool = True,
    *,
    progress: Progress | None = None,
    before_commit: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import a CSV or XLSX file for `org`, acting as `user`. File problems (type, size, no
    readable sheet) raise `DomainError`s with `errors={"file": [...]}` and touch nothing;
    row problems come back in the report, with nothing written.

    `progress` is told every few rows how far the rows are applied; `before_commit` is
    called with the report in the import's own transaction, just before it commits (the
    background job marks itself done there, so the rows and "done" commit together)."""
    started = time.perf_counter()
    book = sheets.read(data, filename, kind)
    report = ImportReport(filename, book.format, dry_run, ignored_sheets=book.ignored)
    report.layouts = [sheets.Layout.of(sheet) for sheet in book.sheets]
    run = _Run(session, org, user, report, progress, book.row_count)
    try:
        with sequencer.batched(session):  # entries go to the log's pool: the head stays free
            run.apply(book)
        if not dry_run and report.ok:
            report.saved = True
            report.seconds = round(time.perf_counter() - started, 3)
            if before_commit is not None:
                before_commit(report)
    except BaseException:
        session.rollback()
        report.saved = False
        raise
    if report.saved:
        session.commit()
    else:
        session.rollback()
    report.seconds = round(time.perf_counter() - started, 3)
    return report


Ref = tuple[str, int]  # (sheet name, row number): where a record of this file was written


class _Run:
    """One import: validates and applies the rows, collecting every problem."""

    def __init__(
        self,
        session: Db,
        org: Organisation,
        user: User,
        report: ImportReport,
        progress: Progress | None = None,
        total: int = 0,
    ) -> None:
        self.session = session
        self.org = org
        self.user = user
        self.report = report
        self.progress = progress
        self.total = total
        self.done = 0
        self.failed_fields: dict[str, Ref] = {}
        self.failed_seasons: dict[str, Ref] = {}
        self.broken = False  # the database refused a statement: nothing more can be applied

    # -------------------------------------------------------- errors
    def error(self, sheet: sheets.Sheet, row: int, column: str, message: Any) -> None:
        self.report.error_count += 1
        error = RowError(sheet.kind, sheet.name, row, column, str(message))
        self.report.every_error.append(error)
        if len(self.report.errors) < MAX_REPORTED:
            self.report.errors.append(error)

    def schema_errors(self, sheet: sheets.Sheet, row: sheets.Row, messages: Any) -> None:
        """Marshmallow messages of a row, each under the column a person sees; columns that
        already have a cell problem are not reported twice."""
        taken = {e.column for e in row.errors}
        raw = messages if isinstance(messages, dict) else {"_schema": messages}
        for key, value in _by_key(raw):
            column = row.sources.get(key) or sheet.header(key)
            if column and column in taken:
                continue
            for message in _texts(localise(value)):
                self.error(sheet, row.number, column, message)

    def domain_error(self, sheet: sheets.Sheet, row: sheets.Row, exc: DomainError) -> None:
        if isinstance(exc, service.FieldNotFound):
            self.error(sheet, row.number, sheet.header("field"), exc.title)
        elif isinstance(exc, service.SeasonNotFound):
            self.error(sheet, row.number, sheet.header("season"), exc.title)
        elif exc.errors:
            self.schema_errors(sheet, row, exc.errors)
        else:
            self.error(sheet, row.number, "", exc.detail or exc.title)

    # -------------------------------------------------------- the run
    def apply(self, book: sheets.Book) -> None:
        for sheet in book.sheets:
            self.report.rows[sheet.kind] += len(sheet.rows)
            for problem in sheet.errors:
                self.error(sheet, problem.row, problem.column, problem.message)
            for row in sheet.rows:
                for problem in row.errors:
                    self.error(sheet, problem.row, problem.column, problem.message)
        self.tell()
        self.fields(list(book.rows("fields")))
        self.seasons(list(book.rows("seasons")))
        self.diary(list(book.rows("diary")))
        self.tell()

    def tick(self) -> None:
        """One more row applied (or refused)."""
        self.done += 1
        if self.done % PROGRESS_EVERY == 0:
            self.tell()

    def tell(self) -> None:
        if self.progress is not None:
            self.progress(self.done, self.total)

    def load(self, schema: Schema, sheet: sheets.Sheet, row: sheets.Row) -> dict[str, Any] | None:
        try:
            values: dict[str, Any] = schema.load(row.values)
        except ValidationError as exc:
            self.schema_errors(sheet, row, exc.messages)
            return None
        return None if row.errors else values

    def call(self, sheet: sheets.Sheet, row: sheets.Row, action: Any, *args: Any) -> Any:
        """Apply one row through a service function; None when it was refused."""
        if self.broken:
            return None
        try:
            return action(self.session, self.org, *args)
        except DomainError as exc:
            self.domain_error(sheet, row, exc)
        except SQLAlchemyError:
            self.session.rollback()
            self.broken = True
            self.error(
                sheet,
                row.number,
                "",
                _l(
                    "The database refused this row (perhaps someone saved the same record at the "
                    "same moment). Nothing was saved; try again."
                ),
            )
        return None

    def fields(self, rows: list[tuple[sheets.Sheet, sheets.Row]]) -> None:
        schema = schemas.FieldIn()
        seen: dict[str, Ref] = {}
        created: set[str] = set()
        for sheet, row in rows:
            code = str(row.values.get("code", "")).upper()
            values = self.load(schema, sheet, row)
            if code and code in seen:
                self.error(
                    sheet,
                    row.number,
                    sheet.header("code"),
                    _l(
                        "This code is already used on row %(row)d of sheet %(sheet)s.",
                        row=seen[code][1],
                        sheet=seen[code][0],
                    ),
                )
                values = None
            if code:
                seen.setdefault(code, (sheet.name, row.number))
            made = values and self.call(sheet, row, service.register_field, values)
            if made:
                self.report.counts["fields"] += 1
                created.add(code)
            elif code and code not in created:
                self.failed_fields.setdefault(code, (sheet.name, row.number))
            self.tick()

    def seasons(self, rows: list[tuple[sheets.Sheet, sheets.Row]]) -> None:
        schema = schemas.SeasonIn()
        created: set[str] = set()
        for sheet, row in rows:
            code = _season_code(row.values)
            values = self.load(schema, sheet, row)
            field_code = str(row.values.get("field", "")).upper()
            if field_code in self.failed_fields:
                where = self.failed_fields[field_code]
                self.error(
                    sheet,
                    row.number,
                    sheet.header("field"),
                    _l(
                        "The field of this season has errors on row %(row)d of sheet %(sheet)s.",
                        row=where[1],
                        sheet=where[0],
                    ),
                )
                values = None
            given = row.season_code
            if values and code and given and given != code:
                self.error(
                    sheet,
                    row.number,
                    sheet.header("code"),
                    _l(
                        "The season code is made from the field, year and season: %(code)s.",
                        code=code,
                    ),
                )
                values = None
            made = values and self.call(sheet, row, service.open_season, values)
            if made:
                self.report.counts["seasons"] += 1
                created.add(made.code)
            elif code and code not in created:
                self.failed_seasons.setdefault(code, (sheet.name, row.number))
            self.tick()

    def diary(self, rows: list[tuple[sheets.Sheet, sheets.Row]]) -> None:
        schema = schemas.DiaryEntryIn()
        known = self._existing_entries({r.entry_number for _, r in rows if r.entry_number})
        numbers: dict[int, tuple[int | None, Ref]] = {}  # entry number → (new id, where)
        for sheet, row in rows:
            number = row.entry_number
            ok = self._check_number(sheet, row, number, known, numbers)
            supersedes = row.values.get("supersedes")
            if supersedes in numbers:
                new_id, where = numbers[supersedes]
                if new_id is None and ok:  # (a row refused already needs no second reason)
                    ok = False
                    self.error(
                        sheet,
                        row.number,
                        sheet.header("supersedes"),
                        _l(
                            "The entry it corrects has errors on row %(row)d of sheet %(sheet)s.",
                            row=where[1],
                            sheet=where[0],
                        ),
                    )
                elif new_id is not None:
                    row.values["supersedes"] = new_id
            season_code = str(row.values.get("season", "")).upper()
            if ok and season_code in self.failed_seasons:
                ok = False
                where = self.failed_seasons[season_code]
                self.error(
                    sheet,
                    row.number,
                    sheet.header("season"),
                    _l(
                        "The season of this entry has errors on row %(row)d of sheet %(sheet)s.",
                        row=where[1],
                        sheet=where[0],
                    ),
                )
            values = self.load(schema, sheet, row)
            made = values and ok and self.call(sheet, row, self._record, values, row.crop)
            if made:
                self.report.counts["diary"] += 1
            if number is not None and number not in numbers:
                numbers[number] = (made.id if made else None, (sheet.name, row.number))
            self.tick()

    def _record(
        self, session: Db, org: Organisation, values: dict[str, Any], crop: str | None
    ) -> DiaryEntry:
        """Record the entry; a crop named on its row must be its season's (an export names
        it, so a row moved to another season's code is caught rather than misread)."""
        if crop is not None:
            season = service.season_by_code(session, org.id, values["season"])
            if season.crop != crop:
                message = _l(
                    "Season %(season)s is of %(crop)s, not of the crop named here.",
                    season=season.code,
                    crop=season.crop_info.name.lower(),
                )
                raise service.InvalidEntry(errors={"crop": [str(message)]})
        return service.record_entry(session, org, self.user, values)

    def _check_number(
        self,
        sheet: sheets.Sheet,
        row: sheets.Row,
        number: int | None,
        known: set[int],
        numbers: dict[int, tuple[int | None, Ref]],
    ) -> bool:
        if number is None:
            return True
        if number in known:
            self.error(
                sheet,
                row.number,
                sheet.header("number"),
                _l(
                    "Entry no. %(number)d is already in the registry. Remove this row, or empty "
                    "its number to record it again.",
                    number=number,
                ),
            )
            return False
        if number in numbers:
            where = numbers[number][1]
            self.error(
                sheet,
                row.number,
                sheet.header("number"),
                _l(
                    "This number is already used on row %(row)d of sheet %(sheet)s.",
                    row=where[1],
                    sheet=where[0],
                ),
            )
            return False
        return True

    def _existing_entries(self, numbers: set[int]) -> set[int]:
        """Those of `numbers` that are diary entries of this organisation already."""
        found: set[int] = set()
        ordered = sorted(numbers)
        for start in range(0, len(ordered), 1000):
            query = (
                select(DiaryEntry.id)
                .join(Season)
                .join(Field)
                .where(
                    Field.organisation_id == self.org.id,
                    DiaryEntry.id.in_(ordered[start : start + 1000]),
                )
            )
            found.update(self.session.scalars(query))
        return found


def _season_code(values: dict[str, Any]) -> str | None:
    """The code `open_season` will give, when the row has what it takes; None for a crop
    cycle, whose number is the next free one when it is opened."""
    try:
        kind = crops.get(values.get("crop") or crops.DEFAULT).kind
        named = values.get("season_type")
        if named is None and len(kind.season_types) == 1:
            named = kind.season_types[0]
        if named is None:
            return None
        season_type = SeasonType(named)
        if season_type.numbered:
            return None
        return season_type.code(str(values["field"]), int(values["year"]))
    except (KeyError, ValueError, TypeError, crops.UnknownCrop):
        return None


def _by_key(messages: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(column key, messages) pairs; the diary's `data` messages by `data.<name>`."""
    for key, value in messages.items():
        if key == "data" and isinstance(value, dict):
            for name, inner in value.items():
                yield ("kind" if name == "_schema" else f"data.{name}"), inner
        else:
            yield ("" if key == "_schema" else str(key)), value


def _texts(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [text for value in messages.values() for text in _texts(value)]
    if isinstance(messages, list | tuple):
        return [text for value in messages for text in _texts(value)]
    return [str(messages)]


# ---------------------------------------------------------------- export
def export_tables(
    session: Db, org: Organisation, kinds: Iterable[str] = sheets.KINDS
) -> dict[str, list[dict[str, Any]]]:
    """The organisation's records shaped like imported rows, kind by kind: fields by code,
    seasons by field and sowing date, and every diary entry (corrections included, each
    after the entry it corrects, with `number` and `supersedes` linking them)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    wanted = set(kinds)
    if "fields" in wanted:
        tables["fields"] = [
            {
                "code": f.code,
                "name": f.name,
                "area_ha": f.area_ha,
                "province": f.province,
                "commune": f.commune,
                "planting_area_code": f.planting_area_code,
                "location": f.geometry,
            }
            for f in service.fields_of(session, org.id)
        ]
    if "seasons" in wanted:
        seasons = (
            select(Season, Field.code)
            .join(Field)
            .where(Field.organisation_id == org.id)
            .order_by(Field.code, Season.sowing_date, Season.id)
        )
        tables["seasons"] = [
            {
                "field": field_code,
                "crop": s.crop,
                "season_type": s.season_type.value,
                "year": s.year,
                "sowing_date": s.sowing_date,
                "planting_year": s.planting_year,
                "tree_count": s.tree_count,
                "code": s.code,
            }
            for s, field_code in session.execute(seasons)
        ]
    if "diary" in wanted:
        entries = (
            select(DiaryEntry, Season.code, Season.crop)
            .join(Season, DiaryEntry.season_id == Season.id)
            .join(Field)
            .where(Field.organisation_id == org.id)
            .order_by(DiaryEntry.id)
        )
        tables["diary"] = [
            {
                "season": season_code,
                "crop": crop,
                "kind": e.kind.value,
                "date": e.date,
                "data": e.data,
                "number": e.id,
                "supersedes": e.supersedes_id,
                "reason": e.reason,
                "evidence": e.evidence,
            }
            for e, season_code, crop in session.execute(entries)
        ]
    return tables


def export_xlsx(session: Db, org: Organisation) -> bytes:
    """Fields, seasons and the diary of `org` as one workbook of three sheets."""
    return sheets.write_xlsx(dict(export_tables(session, org)))


def export_csv(session: Db, org: Organisation, kind: str) -> bytes:
    """One kind of record of `org` as CSV (UTF-8 with a BOM, so Excel reads Vietnamese)."""
    if kind not in sheets.KINDS:
        raise UnknownKind()
    return sheets.write_csv(kind, export_tables(session, org, [kind])[kind])


def template_xlsx() -> bytes:
    """The blank workbook: one example row per sheet, a guide and drop-down lists."""
    return sheets.template()


class UnknownKind(DomainError):
    status = 404
    title = _l("Exports are of fields, seasons or diary.")
