"""The marked copy of a file whose import found problems: the clerk's own workbook with every
bad cell filled light red and carrying a note (a cell comment) with its message, and one more
column, "Lỗi cần sửa" ("Errors to fix" for a clerk who reads the registry in English), that
lists each row's problems. The clerk corrects the marked cells and uploads the copy as it
is: the reader takes that column for one it ignores (columns.ERRORS_COLUMN).

Rows without a problem are not touched. A workbook is copied with openpyxl: values, styles,
notes, other sheets and the template's guide stay; formulas are kept as the values they
showed (the values the registry read, so a corrected copy reads back the same even where
no spreadsheet program recalculated it); pictures and charts, which openpyxl cannot carry,
are dropped. Marks this module made on an earlier copy (the notes it signs, and their fill)
are taken away first, so only today's problems are red.

A CSV upload gets an XLSX copy too, not a CSV with one more column: a CSV cannot hold a
colour or a note, so the clerk would have to match each message to its cell by hand on a
phone's small screen, while Excel, LibreOffice and Google Sheets (on Android and iPhone as
well) all open a workbook, show its fills and notes, and save it again without the
"CSV UTF-8" and decimal comma pitfalls of saving a CSV. The values are written as the CSV
held them (text), except numbers, which are written as numbers read with the CSV's own
decimal mark: in a workbook's text cell "1.000" would be ambiguous, in a `;` CSV it is a
thousand. The sheet is named for its kind, so the copy needs no choice on the form.
"""

from __future__ import annotations

import io
import math
import warnings
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from registry.folding import fold
from registry.trace.spreadsheets.cells import CellProblem, parse_number
from registry.trace.spreadsheets.columns import ERRORS_COLUMN, HEADERS, SHEET_NAMES, XLSX
from registry.trace.spreadsheets.reading import Sheet, csv_records, detect

AUTHOR = "Sổ đăng ký Phát thải thấp"  # signs the notes, so a later copy can take them away
BAD = "FFC7CE"  # Excel's own "Bad" fill: light red
BAD_TEXT = "9C0006"
ERROR_TEXTS = {fold(text) for text in (ERRORS_COLUMN.header, *ERRORS_COLUMN.aliases)}
NUMERIC = ("number", "integer", "percent")


@dataclass(frozen=True)
class Layout:
    """Where the reader found a sheet's header: its row and the column of each header as
    written (what a problem's `column` names)."""

    name: str
    kind: str
    header_row: int
    positions: dict[str, int]

    @classmethod
    def of(cls, sheet: Sheet) -> Layout:
        return cls(sheet.name, sheet.kind, sheet.header_row, dict(sheet.positions))


class Problem(Protocol):
    """One problem as an import reports it (imports.RowError)."""

    @property
    def sheet(self) -> str: ...

    @property
    def row(self) -> int: ...

    @property
    def column(self) -> str: ...  # the header as written, "" for the whole row

    @property
    def message(self) -> str: ...


def marked_copy(
    data: bytes, layouts: Iterable[Layout], problems: Iterable[Problem], header: str
) -> bytes:
    """An XLSX copy of `data` (an XLSX or CSV file as uploaded) with `problems` marked on the
    sheets of `layouts`; `header` names the errors column in the clerk's language."""
    if fold(header) not in ERROR_TEXTS:
        header = ERRORS_COLUMN.header  # a copy must be readable again whatever the language
    layouts = list(layouts)
    by_sheet: dict[str, list[Problem]] = defaultdict(list)
    for problem in problems:
        by_sheet[problem.sheet].append(problem)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about Excel features it drops
        if detect(data) == XLSX:
            workbook = _open_xlsx(data)
            worksheets = {layout.name: workbook[layout.name] for layout in layouts}
        else:
            layout = layouts[0]
            workbook = _csv_workbook(data, layout)
            worksheets = {layout.name: workbook.active}
        for layout in layouts:
            _Marker(worksheets[layout.name], layout, header).mark(by_sheet[layout.name])
        out = io.BytesIO()
        workbook.save(out)
    return out.getvalue()


def _open_xlsx(data: bytes) -> Any:
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data), data_only=True, keep_links=False)


def _csv_workbook(data: bytes, layout: Layout) -> Any:
    """The CSV's records in a sheet named for its kind, row for row and column for column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    records, style = csv_records(data)
    columns = {
        number: HEADERS[layout.kind][fold(text)]
        for text, number in layout.positions.items()
        if fold(text) in HEADERS[layout.kind]
    }
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAMES[layout.kind]
    for row, record in enumerate(records, 1):
        for number, text in enumerate(record, 1):
            column = columns.get(number)
            value = _csv_value(text, column.type if column else None, style)
            if value is None:
                continue
            cell = sheet.cell(row, number, value)
            if isinstance(value, str):
                cell.data_type = "s"  # "=…" stays the text the CSV held, never a formula
    for number, column in columns.items():
        sheet.column_dimensions[get_column_letter(number)].width = column.width
        sheet.cell(layout.header_row, number).font = Font(bold=True)
    return workbook


def _csv_value(text: str, type: str | None, style: str) -> Any:
    if not text.strip():
        return None
    if type in NUMERIC and not text.strip().endswith("%"):
        try:
            return parse_number(text, style)
        except CellProblem:
            pass  # kept as typed; the import marked it
    return text


class _Marker:
    """Marks one sheet: clears earlier marks, adds (or reuses) the errors column, and marks
    each problem's cell and row."""

    def __init__(self, sheet: Any, layout: Layout, header: str) -> None:
        from openpyxl.styles import Alignment, Font, PatternFill

        self.sheet = sheet
        self.layout = layout
        self.header = header
        self.fill = PatternFill("solid", fgColor=BAD)
        self.font = Font(color=BAD_TEXT)
        self.wrap = Alignment(wrap_text=True, vertical="top")

    def mark(self, problems: list[Problem]) -> None:
        self._clear_earlier_marks()
        column = self._errors_column()
        notes: dict[tuple[int, int], list[str]] = defaultdict(list)
        lines: dict[int, list[str]] = defaultdict(list)
        for problem in problems:
            for number in self._columns_of(problem.column):
                notes[problem.row, number].append(problem.message)
            text = f"{problem.column}: {problem.message}" if problem.column else problem.message
            lines[problem.row].append(text)
        for (row, number), messages in notes.items():
            self._mark_cell(row, number, messages)
        for row, texts in lines.items():
            if row == self.layout.header_row:  # the header keeps its name; the note says it
                self._note(self.sheet.cell(row, column), texts)
                continue
            cell = self.sheet.cell(row, column, "\n".join(texts))
            cell.data_type = "s"  # a message may start with a header the clerk wrote as "=…"
            cell.fill, cell.font, cell.alignment = self.fill, self.font, self.wrap

    def _errors_column(self) -> int:
        """The errors column of an earlier copy (emptied), else a new one after the last
        column holding anything, so that no value moves."""
        from openpyxl.styles import Font, PatternFill
        from openpyxl.utils import get_column_letter

        row = self.layout.header_row
        for text, number in self.layout.positions.items():
            if fold(text) in ERROR_TEXTS:
                for (cell,) in self.sheet.iter_rows(
                    min_row=row + 1, min_col=number, max_col=number
                ):
                    cell.value = None
                    cell.style = "Normal"
                return number
        last = 0
        for values in self.sheet.iter_rows(values_only=True):
            used = [i for i, value in enumerate(values, 1) if value not in (None, "")]
            last = max(last, used[-1] if used else 0)
        number = last + 1
        cell = self.sheet.cell(row, number, self.header)
        cell.font = Font(bold=True, color=BAD_TEXT)
        cell.fill = PatternFill("solid", fgColor=BAD)
        self.sheet.column_dimensions[get_column_letter(number)].width = ERRORS_COLUMN.width
        return number

    def _clear_earlier_marks(self) -> None:
        from openpyxl.styles import PatternFill

        for cells in self.sheet.iter_rows():
            for cell in cells:
                comment = getattr(cell, "comment", None)
                if comment is None or comment.author != AUTHOR:
                    continue
                cell.comment = None
                if cell.fill.fgColor.rgb in (BAD, "00" + BAD, "FF" + BAD):
                    cell.fill = PatternFill()

    def _columns_of(self, header: str) -> list[int]:
        """The columns a problem names: its header, or the headers it joins ("Vĩ độ, Kinh
        độ"); none for a whole row or a column the sheet does not have."""
        positions = self.layout.positions
        if not header:
            return []
        if header in positions:
            return [positions[header]]
        return [positions[part] for part in header.split(", ") if part in positions]

    def _mark_cell(self, row: int, number: int, messages: list[str]) -> None:
        from openpyxl.cell import MergedCell

        cell = self.sheet.cell(row, number)
        if isinstance(cell, MergedCell):
            return  # inside a merged range: the errors column still says it
        cell.fill = self.fill
        self._note(cell, messages)

    def _note(self, cell: Any, messages: list[str]) -> None:
        """A note with the messages, unless the clerk left one there (kept: the errors
        column has the messages too)."""
        from openpyxl.comments import Comment

        if cell.comment is not None:
            return
        text = "\n".join(messages)
        lines = sum(math.ceil(max(len(line), 1) / 40) for line in text.splitlines())
        cell.comment = Comment(text, AUTHOR, height=20 + 16 * lines, width=300)
