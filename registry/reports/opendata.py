"""Open data: the cells as rows anyone may download (CSV, XLSX, JSON) and partners pull
page by page. Rows name provinces, communes and organisations, never a household or a
person (DESIGN.md §4): the cells never hold one.

Each dataset has a format version; a version adds a schema file (schema/<name>-v<major>.json)
and the older files stay served as they were, for the readers built on them
(docs/open-data.md): emissions are version 2 (any crop of the catalogue, the orchards'
removals beside the emissions), labels version 2 (by crop, with the CO2 orchards took up
per kg that the labels show). Incremental pulls follow the
`revision` of each row: a pull asks for the rows changed after the `revision` its last
complete pull ended at, in (revision, id) order, a page at a time; a row that lost all its
records comes back with zeros."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marshmallow import Schema
from openpyxl import Workbook
from sqlalchemy import Select, select, tuple_

from registry.accounts.models import Organisation
from registry.db import Db
from registry.reports.models import EmissionCell, LabelCell
from registry.reports.schemas import EmissionRow, LabelRow

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Dataset:
    name: str
    model: Any
    row: Schema
    version: str  # "major.minor": the documents say it; the schema file is the major's

    @property
    def columns(self) -> list[str]:
        return list(self.row.fields)

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    @property
    def schema_file(self) -> Path:
        return schema_file(self.name, self.major)

    def schema_majors(self) -> list[int]:
        """Every version whose schema is served, oldest first (the current one last)."""
        return [m for m in range(1, self.major + 1) if schema_file(self.name, m).is_file()]


def schema_file(name: str, major: int) -> Path:
    return SCHEMA_DIR / f"{name}-v{major}.json"


DATASETS = {
    "emissions": Dataset("emissions", EmissionCell, EmissionRow(), "2.0"),
    "labels": Dataset("labels", LabelCell, LabelRow(), "2.0"),
}


def _query(dataset: Dataset) -> Select[Any]:
    cell = dataset.model
    return select(cell, Organisation.code, Organisation.name).join(
        Organisation, Organisation.id == cell.organisation_id
    )


def _dump(dataset: Dataset, found: Any) -> list[dict[str, Any]]:
    rows = []
    for cell, code, name in found:
        values = {c: getattr(cell, c) for c in dataset.columns if hasattr(cell, c)}
        rows.append(dataset.row.dump({**values, "organisation": code, "organisation_name": name}))
    return rows


def rows(
    session: Db, dataset: Dataset, year: int | None = None, province: str | None = None
) -> list[dict[str, Any]]:
    """Every row (emptied ones left out), by place and month."""
    cell = dataset.model
    query = _query(dataset).where(cell.built >= cell.revision)
    if year is not None:
        query = query.where(cell.year == year)
    if province is not None:
        query = query.where(cell.province == province)
    order = (cell.province, cell.commune, Organisation.code, cell.year, cell.month)
    return _dump(dataset, session.execute(query.order_by(*order, cell.id)))


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next: str | None


def changed(session: Db, dataset: Dataset, since: int, cursor: str | None, limit: int) -> Page:
    """Rows changed after revision `since` (emptied ones included), from `cursor` on."""
    cell = dataset.model
    query = _query(dataset).where(cell.revision > since)
    if cursor is not None:
        revision, after = (int(part) for part in cursor.split("-"))
        query = query.where(tuple_(cell.revision, cell.id) > (revision, after))
    found = list(session.execute(query.order_by(cell.revision, cell.id).limit(limit)))
    last = found[-1][0] if len(found) == limit else None
    return Page(_dump(dataset, found), f"{last.revision}-{last.id}" if last else None)


# ---------------------------------------------------------------- files
def document(
    dataset: Dataset, items: list[dict[str, Any]], revision: int, schema_url: str
) -> dict[str, Any]:
    """The JSON document; `schema_url` is where its schema is served (the caller knows the
    route), so that the link a reader follows resolves."""
    return {
        "dataset": dataset.name,
        "version": dataset.version,
        "schema": schema_url,
        "revision": revision,
        "items": items,
    }


def to_json(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def to_csv(dataset: Dataset, items: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read the diacritics."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=dataset.columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(items)
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(dataset: Dataset, doc: dict[str, Any]) -> bytes:
    """One sheet of rows, with the header, and an 'about' sheet naming the format."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(dataset.name)
    sheet.append(dataset.columns)
    for item in doc["items"]:
        sheet.append([item[c] for c in dataset.columns])
    about = book.create_sheet("about")
    for key in ("dataset", "version", "schema", "revision"):
        about.append([key, doc[key]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
