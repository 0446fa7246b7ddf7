"""Cell values turned into what the schemas take: text, codes, numbers (decimal comma or
point, thousands refused where ambiguous), percentages, whole numbers, dates (Excel dates,
ISO or day first), yes/no, choices, provinces, GeoJSON and lists. Each raises
`CellProblem` with a message for the person who typed it."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l

from registry.folding import fold
from registry.trace.spreadsheets.choices import BOOLEANS, PROVINCE_LOOKUP
from registry.trace.spreadsheets.columns import Column


class CellProblem(ValueError):
    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message


class Reader(Protocol):
    """What turning a cell needs to know of its file."""

    @property
    def style(self) -> str | None: ...  # "comma", "point" or None (see parse_number)

    @property
    def epoch(self) -> datetime | None: ...  # a workbook's date system


def _text(reader: Reader, column: Column, value: Any, cell: Any) -> str:
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return _as_date(value).isoformat()
    return str(value).strip()


def _code(reader: Reader, column: Column, value: Any, cell: Any) -> str:
    return _text(reader, column, value, cell).upper()


def _number(reader: Reader, column: Column, value: Any, cell: Any) -> float:
    if isinstance(value, bool | datetime | date | time):
        raise CellProblem(_l("Not a number."))
    if isinstance(value, int | float):
        return float(value)
    return parse_number(str(value), reader.style)


def _percent(reader: Reader, column: Column, value: Any, cell: Any) -> float:
    if isinstance(value, str) and value.strip().endswith("%"):
        return parse_number(value.strip()[:-1], reader.style)
    number = _number(reader, column, value, cell)
    if isinstance(value, int | float) and "%" in str(getattr(cell, "number_format", "") or ""):
        return round(number * 100, 10)  # a cell formatted as 46 % holds 0.46
    return number


def _integer(reader: Reader, column: Column, value: Any, cell: Any) -> int:
    number = _number(reader, column, value, cell)
    if not number.is_integer():
        raise CellProblem(_l("Not a whole number."))
    return int(number)


def _date(reader: Reader, column: Column, value: Any, cell: Any) -> str:
    if isinstance(value, datetime | date):
        return _as_date(value).isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool) and reader.epoch:
        from openpyxl.utils.datetime import from_excel

        if 1 <= value < 110_000:  # an Excel serial day number, up to the year 2201
            return _as_date(from_excel(value, reader.epoch)).isoformat()
    if isinstance(value, str):
        return parse_date(value).isoformat()
    raise CellProblem(DATE_PROBLEM)


def _boolean(reader: Reader, column: Column, value: Any, cell: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    found = BOOLEANS.get(fold(str(value)))
    if found is None:
        raise CellProblem(_l("Write có (yes) or không (no)."))
    return found


def _choice(reader: Reader, column: Column, value: Any, cell: Any) -> str:
    assert column.choices is not None
    found = column.choices.lookup.get(fold(_text(reader, column, value, cell)))
    if found is None:
        raise CellProblem(
            _l(
                "“%(value)s” is not accepted here. Use one of: %(choices)s.",
                value=str(value)[:40],
                choices=column.choices.listing(),
            )
        )
    return found


def _province(reader: Reader, column: Column, value: Any, cell: Any) -> str:
    found = PROVINCE_LOOKUP.get(fold(str(value)))
    if found is None:
        raise CellProblem(
            _l(
                "“%(value)s” is not one of the 34 provinces and cities (since 2025); see the "
                "sheet 'Danh mục' of the template.",
                value=str(value)[:40],
            )
        )
    return found


def _json(reader: Reader, column: Column, value: Any, cell: Any) -> Any:
    try:
        found = json.loads(str(value))
    except ValueError:
        raise CellProblem(_l("Not valid GeoJSON (JSON text).")) from None
    if not isinstance(found, dict):
        raise CellProblem(_l("Not valid GeoJSON (JSON text)."))
    return found


def _list(reader: Reader, column: Column, value: Any, cell: Any) -> list[str]:
    return [part.lower() for part in re.split(r"[\s,;]+", str(value).strip()) if part]


COERCE: dict[str, Any] = {
    "text": _text,
    "code": _code,
    "number": _number,
    "percent": _percent,
    "integer": _integer,
    "date": _date,
    "bool": _boolean,
    "choice": _choice,
    "province": _province,
    "json": _json,
    "list": _list,
}


def _as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


DATE_PROBLEM = _l("Not a valid date. Write it as dd/mm/yyyy, for example 25/01/2026.")
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00(?:\.0+)?)?)?$")
YEAR_FIRST = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def parse_date(text: str) -> date:
    """A date typed as ISO (2026-01-25) or the Vietnamese way, day first (25/01/2026)."""
    text = text.strip()
    try:
        if match := ISO_DATE.match(text) or YEAR_FIRST.match(text):
            year, month, day = (int(g) for g in match.groups())
            return date(year, month, day)
        if match := DAY_FIRST.match(text):
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        pass
    raise CellProblem(DATE_PROBLEM)


NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)*(?:[eE][+-]?\d+)?$|^[+-]?[.,]\d+$")
GROUPED = re.compile(r"^[+-]?\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$")


def parse_number(text: str, style: str | None = None) -> float:
    """A number typed as text. `style` is the file's decimal separator when known: "comma"
    for a `;` CSV, "point" for a `,` CSV, None for text cells of a workbook."""
    compact = re.sub(r"[\s\u00a0\u202f']", "", text)
    if not NUMBER.match(compact):
        raise CellProblem(_l("Not a number."))
    exponent = ""
    if match := re.search(r"[eE][+-]?\d+$", compact):
        exponent, compact = match.group(), compact[: match.start()]
    separators = [c for c in compact if c in ".,"]
    if not separators:
        return float(compact + exponent)
    if len(set(separators)) == 2:  # 1.234,5 or 1,234.5: the last one is the decimal mark
        decimal = separators[-1]
        whole, _, fraction = compact.rpartition(decimal)
        grouping = "," if decimal == "." else "."
        if decimal in whole or not GROUPED.match(whole):
            raise CellProblem(_l("Not a number."))
        return float(whole.replace(grouping, "") + "." + fraction + exponent)
    mark = separators[0]
    if len(separators) > 1:  # 1.000.000: thousands only
        if not GROUPED.match(compact) or exponent:
            raise CellProblem(_l("Not a number."))
        return float(compact.replace(mark, ""))
    whole, _, fraction = compact.partition(mark)
    decimal_mark = {"comma": ",", "point": "."}.get(style or "")
    if (
        mark != decimal_mark
        and len(fraction) == 3
        and whole.lstrip("+-") not in ("", "0")
        and (not exponent)
    ):
        if decimal_mark is None:
            raise CellProblem(
                _l(
                    "“%(text)s” is ambiguous: write 1000 for a thousand, or 1,5 with one or two "
                    "decimals.",
                    text=text.strip()[:20],
                )
            )
        return float(whole + fraction)  # the file's thousands separator
    return float(whole + "." + fraction + exponent)
