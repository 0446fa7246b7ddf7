"""Spreadsheets of fields, seasons and diary entries: CSV and XLSX in, rows of schema input
out, and the same columns written back (exports and the blank template).

Pure: bytes in, plain values out; no database, no request. One sheet (or one CSV file) holds
one kind of record. Headers are matched without case, accents or punctuation, so "Mã thửa",
"ma thua" and the schema name "code" are the same column; cell values are turned into what
the marshmallow schemas of `registry.trace.schemas` take (ISO dates, floats, codes), and
every cell that cannot be turned gets a message naming its row and column. The rules of the
registry (ranges, lengths, choices, locations) stay in the schemas and services; this module
only reads what a person typed the way they meant it:

- dates as real Excel dates, ISO `2026-01-25` or Vietnamese `25/01/2026` (day first);
- numbers as real numbers, or text with a decimal comma or point. A lone separator followed
  by exactly three digits (`1.000`) is a thousands separator in a `;` CSV (written by
  decimal-comma Excel), also in a `,` CSV when it is a comma, and refused as ambiguous in an
  XLSX text cell, rather than guessed: a thousand kilograms read as one is worse than a
  question;
- choices by their Vietnamese name ("Đông Xuân", "Phân bón"), an alias, or the code.

Files are recognised by content, never by name: XLSX is a zip holding `xl/workbook.xml`
(macro workbooks, binary `.xlsb`, OpenDocument and old `.xls` are refused with a hint), CSV is
UTF-8 text (Excel's "CSV UTF-8" adds a BOM; both are fine). Before openpyxl opens a
workbook the declared uncompressed sizes of its members are added up, so a zip bomb is
refused unread (Python's zipfile stops at the declared size, so the sum is a real bound),
and expat ≥ 2.4 (Python's XML parser) refuses entity-expansion bombs.

The package: `choices` (accepted values, matched as people type them), `columns` (sheets,
columns, examples and limits), `cells` (one cell's value), `reading` (files into rows),
`writing` (rows into files, the template and its guide) and `marking` (a file with its
problems marked, to correct and upload again).
"""

from registry.trace.spreadsheets.cells import CellProblem, parse_date, parse_number
from registry.trace.spreadsheets.choices import (
    BOOLEANS,
    CROPS,
    DIARY_KINDS,
    ENERGY_SOURCES,
    IRRIGATION_SYSTEMS,
    LIME_TYPES,
    MATERIALS,
    PROVINCE_LOOKUP,
    PRUNING_STYLES,
    PURPOSES,
    SEASON_TYPES,
    SOWING_METHODS,
    STRAW_PRACTICES,
    TREE_CHANGES,
    UNITS,
    WATER_EVENTS,
    Choices,
    fold,
)
from registry.trace.spreadsheets.columns import (
    COLUMNS,
    CSV,
    CSV_MIME,
    EXAMPLES,
    HEADERS,
    KIND_FIELDS,
    KINDS,
    MAX_BYTES,
    MAX_ROWS,
    SHEET_NAMES,
    XLSX,
    XLSX_MIME,
    Column,
)
from registry.trace.spreadsheets.marking import Layout, marked_copy
from registry.trace.spreadsheets.reading import (
    Book,
    CellError,
    FileTooLarge,
    Row,
    Sheet,
    UnreadableFile,
    UnsupportedFile,
    detect,
    read,
)
from registry.trace.spreadsheets.writing import cells, template, write_csv, write_xlsx

__all__ = [
    "BOOLEANS",
    "COLUMNS",
    "CROPS",
    "CSV",
    "CSV_MIME",
    "DIARY_KINDS",
    "ENERGY_SOURCES",
    "EXAMPLES",
    "HEADERS",
    "IRRIGATION_SYSTEMS",
    "KINDS",
    "KIND_FIELDS",
    "LIME_TYPES",
    "MATERIALS",
    "MAX_BYTES",
    "MAX_ROWS",
    "PROVINCE_LOOKUP",
    "PRUNING_STYLES",
    "PURPOSES",
    "SEASON_TYPES",
    "SHEET_NAMES",
    "SOWING_METHODS",
    "STRAW_PRACTICES",
    "TREE_CHANGES",
    "UNITS",
    "WATER_EVENTS",
    "XLSX",
    "XLSX_MIME",
    "Book",
    "CellError",
    "CellProblem",
    "Choices",
    "Column",
    "FileTooLarge",
    "Layout",
    "Row",
    "Sheet",
    "UnreadableFile",
    "UnsupportedFile",
    "cells",
    "detect",
    "fold",
    "marked_copy",
    "parse_date",
    "parse_number",
    "read",
    "template",
    "write_csv",
    "write_xlsx",
]
