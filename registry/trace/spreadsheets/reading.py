"""Reading a CSV or XLSX file into rows of schema input, with every cell problem kept on its
row and column (see the package's docstring for what is read and how)."""

from __future__ import annotations

import csv
import io
import itertools
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from registry.errors import DomainError
from registry.folding import fold
from registry.numbers import whole
from registry.trace.models import DiaryKind
from registry.trace.spreadsheets.cells import COERCE, CellProblem
from registry.trace.spreadsheets.choices import DIARY_KINDS
from registry.trace.spreadsheets.columns import (
    COLUMNS,
    CSV,
    GUIDE_SHEET,
    HEADERS,
    IGNORED,
    KIND_FIELDS,
    KINDS,
    LISTS_SHEET,
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_HEADER_SEARCH,
    MAX_MEMBERS,
    MAX_ROWS,
    MAX_UNZIPPED,
    SHEET_NAMES,
    SHEETS,
    XLSX,
    Column,
)


# ---------------------------------------------------------------- file problems
class FileTooLarge(DomainError):
    status = 413
    title = _l("The file is too large to import.")


class UnsupportedFile(DomainError):
    status = 415
    title = _l("This type of file cannot be imported.")


class UnreadableFile(DomainError):
    title = _l("The file cannot be read.")


def _refuse(cls: type[DomainError], message: Any, key: str = "file") -> DomainError:
    return cls(message, errors={key: [str(message)]})


# ---------------------------------------------------------------- what reading gives
@dataclass(frozen=True)
class CellError:
    """A problem at a row (as numbered in Excel) and a column (its header in the file)."""

    row: int
    column: str
    message: Any  # lazy: rendered in the reader's language


@dataclass
class Row:
    """One data row: `values` is input for the kind's schema; `sources` names the header each
    key came from (so schema errors point at the column a person sees)."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    errors: list[CellError] = field(default_factory=list)
    entry_number: int | None = None  # diary: "Số nhật ký"
    season_code: str | None = None  # seasons: "Mã vụ", checked against the code made
    crop: str | None = None  # diary: "Cây trồng", checked against the season's crop

    def fail(self, column: str, message: Any) -> None:
        self.errors.append(CellError(self.number, column, message))


@dataclass
class Sheet:
    kind: str
    name: str  # as in the workbook, or the CSV file's name
    header_row: int = 1
    headers: dict[str, str] = field(default_factory=dict)  # column key → header as written
    positions: dict[str, int] = field(default_factory=dict)  # header as written → column (A: 1)
    rows: list[Row] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)  # about the header row

    def header(self, key: str) -> str:
        """The header a person sees for `key` (a schema key, or `data.<name>`)."""
        if key in self.headers:
            return self.headers[key]
        if key == "location":
            return self.headers.get("geojson") or _joined(self, "lat", "lon")
        for column in COLUMNS[self.kind]:
            if column.key == key:
                return column.header
        return ""


def _joined(sheet: Sheet, *keys: str) -> str:
    return ", ".join(sheet.headers.get(k) or _canonical(sheet.kind, k) for k in keys)


def _canonical(kind: str, key: str) -> str:
    return next(c.header for c in COLUMNS[kind] if c.key == key)


@dataclass
class Book:
    format: str  # "xlsx" or "csv"
    sheets: list[Sheet] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # sheets not read

    def rows(self, kind: str) -> Iterator[tuple[Sheet, Row]]:
        for sheet in self.sheets:
            if sheet.kind == kind:
                for row in sheet.rows:
                    yield sheet, row

    @property
    def row_count(self) -> int:
        return sum(len(s.rows) for s in self.sheets)


# ---------------------------------------------------------------- recognising the file
def detect(data: bytes) -> str:
    """ "xlsx" or "csv", judged by content; anything else is refused with a hint."""
    if len(data) > MAX_BYTES:
        raise _refuse(FileTooLarge, _l("Files up to 5 MB can be imported; split this one."))
    if not data.strip():
        raise _refuse(UnreadableFile, _l("The file is empty."))
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise _refuse(
            UnsupportedFile,
            _l(
                "This is an old Excel file (.xls) or a password-protected workbook. Open it in "
                "Excel and save it as an Excel Workbook (.xlsx) without a password."
            ),
        )
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        _check_workbook(data)
        return XLSX
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(
            UnsupportedFile,
            _l("This text is UTF-16 (Excel's 'Unicode Text'). Save it as 'CSV UTF-8'."),
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse(
            UnsupportedFile,
            _l(
                "This is not a CSV file in UTF-8 nor an Excel workbook (.xlsx). In Excel, "
                "choose Save As 'CSV UTF-8 (Comma delimited)' or 'Excel Workbook'."
            ),
        ) from None
    if "\x00" in text or text.lstrip().startswith(("<", "{", "%PDF")):
        raise _refuse(UnsupportedFile, _l("This is not a CSV file nor an Excel workbook (.xlsx)."))
    if not text.strip():
        raise _refuse(UnreadableFile, _l("The file is empty."))
    return CSV


def _check_workbook(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise _refuse(UnreadableFile, _l("The workbook is damaged and cannot be opened.")) from None
    if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED:
        raise _refuse(
            FileTooLarge,
            _l("The workbook unpacks to more than 50 MB; split it into smaller files."),
        )
    names = {m.filename for m in members}
    if any(m.flag_bits & 0x1 for m in members):
        raise _refuse(UnsupportedFile, _l("The workbook is encrypted; save it without a password."))
    if "xl/vbaProject.bin" in names or _macro_content_type(archive, names):
        raise _refuse(
            UnsupportedFile,
            _l(
                "Workbooks with macros (.xlsm) are not accepted. Save it as an Excel Workbook "
                "(.xlsx)."
            ),
        )
    if "xl/workbook.bin" in names:
        raise _refuse(
            UnsupportedFile,
            _l("Binary workbooks (.xlsb) are not accepted. Save it as an Excel Workbook (.xlsx)."),
        )
    if "xl/workbook.xml" not in names:
        raise _refuse(
            UnsupportedFile,
            _l(
                "This zip file is not an Excel workbook (.xlsx). OpenDocument (.ods) and other "
                "files: save them as an Excel Workbook (.xlsx) or as CSV UTF-8."
            ),
        )


def _macro_content_type(archive: zipfile.ZipFile, names: set[str]) -> bool:
    if "[Content_Types].xml" not in names:
        return False
    return b"macroEnabled" in archive.read("[Content_Types].xml")


# ---------------------------------------------------------------- reading
def read(data: bytes, filename: str, kind: str | None = None) -> Book:
    """The rows of a CSV or XLSX file. `kind` names what a CSV holds (found from its headers
    when None); for a workbook it limits reading to that kind's sheets. Problems of the
    whole file raise; problems of cells are kept on their rows."""
    if kind is not None and kind not in KINDS:
        raise _refuse(UnreadableFile, _l("Choose fields, seasons or diary."), "kind")
    budget = _Budget()
    if detect(data) == XLSX:
        return _read_xlsx(data, kind, budget)
    return _read_csv(data, filename, kind, budget)


class _Budget:
    """Data rows left to read in this file; reading stops with an error past the limit."""

    def __init__(self) -> None:
        self.left = MAX_ROWS

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise _refuse(
                UnreadableFile,
                _l(
                    "The file has more than %(max)s rows; import it in parts.",
                    max=whole(MAX_ROWS),
                ),
            )


def csv_records(data: bytes) -> tuple[list[list[str]], str]:
    """The records of a UTF-8 CSV (record n is row n, as Excel numbers it) and its number
    style: "comma" (decimal comma) for a `;` file, else "point"."""
    text = data.decode("utf-8-sig")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    # The header line decides: Sniffer weighs every line, and decimal commas in a `;` file
    # can outvote the delimiter.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise _refuse(
            UnreadableFile, _l("The CSV file cannot be read: %(error)s", error=str(exc))
        ) from None
    return records, "comma" if delimiter == ";" else "point"


def _read_csv(data: bytes, filename: str, kind: str | None, budget: _Budget) -> Book:
    records, style = csv_records(data)
    rows = ((number, [(v, None) for v in record]) for number, record in enumerate(records, 1))
    sheet = _read_sheet(rows, filename or "CSV", kind, style, budget)
    book = Book(CSV)
    if sheet is None:
        raise _refuse(
            UnreadableFile,
            _l(
                "Cannot tell what this file holds from its headers. Choose fields, seasons or "
                "diary, or start from the template."
            ),
            "kind",
        )
    book.sheets.append(sheet)
    return book


def _read_xlsx(data: bytes, kind: str | None, budget: _Budget) -> Book:
    from openpyxl import load_workbook

    book = Book(XLSX)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about Excel features it drops
        try:
            workbook = load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
        except Exception:  # openpyxl raises many kinds for broken files
            raise _refuse(
                UnreadableFile, _l("The workbook is damaged and cannot be opened.")
            ) from None
        try:
            for worksheet in workbook.worksheets:
                title = str(worksheet.title)
                by_name = SHEETS.get(fold(title))
                if fold(title) in (fold(GUIDE_SHEET), fold(LISTS_SHEET)):
                    continue  # the template's own help
                if kind is not None and by_name not in (None, kind):
                    book.ignored.append(title)
                    continue
                worksheet.reset_dimensions()  # do not trust the stored size
                cells = worksheet.iter_rows(min_row=1, max_col=MAX_COLUMNS)
                rows = (
                    (number, [(c.value, c) for c in row]) for number, row in enumerate(cells, 1)
                )
                sheet = _read_sheet(
                    rows, title, by_name, None, budget, only=kind, epoch=workbook.epoch
                )
                if sheet is None:
                    book.ignored.append(title)
                else:
                    book.sheets.append(sheet)
        except DomainError:
            raise
        except Exception:  # a sheet's XML or its zip member is broken
            raise _refuse(
                UnreadableFile, _l("The workbook is damaged and cannot be opened.")
            ) from None
        finally:
            workbook.close()
    if not book.sheets:
        raise _refuse(
            UnreadableFile,
            _l(
                "No sheet named %(names)s was found. Start from the template.",
                names=", ".join(SHEET_NAMES.values()),
            ),
        )
    book.sheets.sort(key=lambda s: KINDS.index(s.kind))
    return book


Cells = list[tuple[Any, Any]]  # (value, openpyxl cell or None)


def _read_sheet(
    rows: Iterable[tuple[int, Cells]],
    name: str,
    kind: str | None,
    style: str | None,
    budget: _Budget,
    *,
    only: str | None = None,
    epoch: datetime | None = None,
) -> Sheet | None:
    """The sheet's rows, or None when it is empty or its kind cannot be told. The header is
    the first row, among the first ten, naming two known columns (a title above it is
    skipped), else the first row that is not empty."""
    iterator = iter(rows)
    seen: list[tuple[int, Cells]] = []
    chosen: int | None = None
    for number, cells in iterator:
        seen.append((number, cells))
        if _known_headers(cells, kind or only) >= 2:
            chosen = len(seen) - 1
            break
        if len(seen) >= MAX_HEADER_SEARCH:
            break
    if chosen is None:
        chosen = next((i for i, (_, cells) in enumerate(seen) if not _empty(cells)), None)
        if chosen is None:
            return None
    header_row, header_cells = seen[chosen]
    iterator = itertools.chain(seen[chosen + 1 :], iterator)
    texts = [str(v).strip() if v is not None else "" for v, _ in header_cells]
    if kind is None:  # a CSV of unnamed kind, or a sheet of another name: by its headers
        kind = _guess_kind(texts)
        if kind is None and only and _known_headers(header_cells, only) >= 2:
            kind = only  # missing columns are then reported
        if kind is None or kind != (only or kind):
            return None
    sheet = Sheet(kind, name, header_row)
    columns = _map_headers(sheet, texts)
    if sheet.errors:
        return sheet
    reader = _RowReader(sheet, columns, style, epoch)
    for number, cells in iterator:
        if _empty(cells):
            continue
        budget.take()
        sheet.rows.append(reader.row(number, cells))
    return sheet


def _empty(cells: Cells) -> bool:
    return all(_blank(v) is None for v, _ in cells)


def _known_headers(cells: Cells, kind: str | None) -> int:
    texts = [fold(str(v)) for v, _ in cells if _blank(v) is not None]
    return max(sum(t in HEADERS[k] for t in texts) for k in ([kind] if kind else KINDS))


def _guess_kind(texts: list[str]) -> str | None:
    """The kind whose required columns are all there, the one matching most if several."""
    scores = {}
    for kind in KINDS:
        found = {HEADERS[kind][fold(t)].key for t in texts if fold(t) in HEADERS[kind]}
        if all(c.key in found for c in COLUMNS[kind] if c.required):
            scores[kind] = len(found)
    if not scores:
        return None
    best = max(scores.values())
    winners = [k for k, s in scores.items() if s == best]
    return winners[0] if len(winners) == 1 else None


def _map_headers(sheet: Sheet, texts: list[str]) -> list[Column | None]:
    columns: list[Column | None] = []
    lookup = HEADERS[sheet.kind]
    for number, text in enumerate(texts, 1):
        if not text:
            columns.append(None)
            continue
        sheet.positions.setdefault(text, number)
        column = lookup.get(fold(text))
        if column is None:
            sheet.errors.append(
                CellError(
                    sheet.header_row,
                    text,
                    _l(
                        "Unknown column. Use the headers of the template (see the sheet "
                        "'Hướng dẫn'), or delete the column."
                    ),
                )
            )
        elif column.key in sheet.headers and column.key != IGNORED:
            sheet.errors.append(CellError(sheet.header_row, text, _l("This column appears twice.")))
        else:
            sheet.headers[column.key] = text
        columns.append(column)
    for column in COLUMNS[sheet.kind]:
        if column.required and column.key not in sheet.headers:
            sheet.errors.append(
                CellError(
                    sheet.header_row, column.header, _l("This column is required but missing.")
                )
            )
    return columns


def _blank(value: Any) -> Any:
    """None for an empty cell (nothing, or only spaces)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


class _RowReader:
    def __init__(
        self,
        sheet: Sheet,
        columns: list[Column | None],
        style: str | None,
        epoch: datetime | None,
    ) -> None:
        self.sheet = sheet
        self.columns = columns
        self.style = style
        self.epoch = epoch

    def row(self, number: int, cells: Cells) -> Row:
        row = Row(number)
        raw: dict[str, Any] = {}
        for index, (value, cell) in enumerate(cells):
            column = self.columns[index] if index < len(self.columns) else None
            value = _blank(value)
            if value is None:
                continue
            if column is None:
                row.fail(
                    "",
                    _l(
                        "This value has no column header; give the column a header "
                        "or delete the value."
                    ),
                )
                continue
            if column.key == IGNORED:
                continue
            header = self.sheet.headers[column.key]
            try:
                raw[column.key] = self.coerce(column, value, cell)
            except CellProblem as problem:
                row.fail(header, problem.message)
                raw[column.key] = problem  # present but unusable
        getattr(self, f"_{self.sheet.kind}")(row, raw)
        return row

    def _put(self, row: Row, raw: dict[str, Any], key: str, target: str | None = None) -> None:
        value = raw.get(key)
        if value is not None and not isinstance(value, CellProblem):
            row.values[target or key] = value
            row.sources[target or key] = self.sheet.headers[key]

    def _fields(self, row: Row, raw: dict[str, Any]) -> None:
        for key in (
            "code",
            "name",
            "area_ha",
            "province",
            "commune",
            "household",
            "planting_area_code",
        ):
            self._put(row, raw, key)
        lat, lon, shape = raw.get("lat"), raw.get("lon"), raw.get("geojson")
        # `sources["location"]` names the cell at fault, so that the schema's "missing"
        # does not repeat a problem already reported there.
        if shape is not None:
            row.sources["location"] = self.sheet.headers["geojson"]
            if lat is not None or lon is not None:
                row.fail(
                    self.sheet.headers["geojson"],
                    _l("Give either latitude and longitude or a GeoJSON boundary, not both."),
                )
            elif not isinstance(shape, CellProblem):
                row.values["location"] = shape
        elif lat is not None and lon is not None:
            if isinstance(lat, CellProblem) or isinstance(lon, CellProblem):
                bad = "lat" if isinstance(lat, CellProblem) else "lon"
                row.sources["location"] = self.sheet.header(bad)
            else:
                row.values["location"] = {"type": "Point", "coordinates": [lon, lat]}
                row.sources["location"] = _joined(self.sheet, "lat", "lon")
        elif lat is not None or lon is not None:
            missing = self.sheet.header("lon" if lon is None else "lat")
            row.fail(missing, _l("Give both latitude and longitude."))
            row.sources["location"] = missing

    def _seasons(self, row: Row, raw: dict[str, Any]) -> None:
        for key in (
            "field",
            "crop",
            "season_type",
            "year",
            "sowing_date",
            "planting_year",
            "tree_count",
        ):
            self._put(row, raw, key)
        code = raw.get("code")
        if isinstance(code, str):
            row.season_code = code

    def _diary(self, row: Row, raw: dict[str, Any]) -> None:
        for key in ("season", "kind", "date", "supersedes", "reason", "evidence"):
            self._put(row, raw, key)
        number = raw.get("number")
        if isinstance(number, int):
            row.entry_number = number
        crop = raw.get("crop")
        if isinstance(crop, str):
            row.crop = crop
            row.sources["crop"] = self.sheet.headers["crop"]
        kind = row.values.get("kind")
        allowed = KIND_FIELDS.get(DiaryKind(kind)) if kind else None
        data: dict[str, Any] = {}
        for key, value in raw.items():
            if not key.startswith("data.") or isinstance(value, CellProblem):
                continue
            name = key.removeprefix("data.")
            header = self.sheet.headers[key]
            if allowed is not None and name not in allowed:
                if value is not False:  # "không" in a column of another kind harms nobody
                    row.fail(
                        header,
                        _l(
                            "Not used for this kind of entry (%(kind)s); leave it empty.",
                            kind=DIARY_KINDS.names[kind or ""],
                        ),
                    )
                continue
            data[name] = value
            row.sources[key] = header
        row.values["data"] = data

    def coerce(self, column: Column, value: Any, cell: Any) -> Any:
        return COERCE[column.type](self, column, value, cell)
