"""The HTX's spreadsheet import, as its farm-management software sends one: a workbook of
fields, one season each and diary rows, every code under one prefix so that the rows can
be counted back. The registry answers 201 with the report when it imports in the request,
or 202 when a job worker does it: then the import's progress is followed to its end."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from cluster.client import Answer, Client, Journal, Refused, Write, expect, follow
from registry.trace.spreadsheets import write_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS_PER_FIELD = 20  # a field, its season and 18 diary rows


def workbook(prefix: str, rows: int) -> tuple[bytes, dict[str, int]]:
    """About `rows` data rows (at least 3) under `prefix`, and how many of each kind."""
    count = max(1, rows // ROWS_PER_FIELD)
    fields = [
        {
            "code": f"{prefix}{i:03d}",
            "name": f"Ruộng nhập {prefix} {i}",
            "area_ha": 0.5,
            "province": "Cần Thơ",
            "commune": "xã Thới Lai",
            "location": {"type": "Point", "coordinates": [105.50 + i / 10000, 10.05]},
        }
        for i in range(count)
    ]
    seasons = [
        {"field": f["code"], "season_type": "he_thu", "year": 2026, "sowing_date": date(2026, 5, 2)}
        for f in fields
    ]
    diary = [_diary_row(f"{fields[n % count]['code']}-2026-HT", n) for n in range(rows - 2 * count)]
    counts = {"fields": count, "seasons": count, "diary": len(diary)}
    return write_xlsx({"fields": fields, "seasons": seasons, "diary": diary}), counts


def _diary_row(season: str, n: int) -> dict[str, Any]:
    on = date(2026, 5, 3) + timedelta(days=n % 90)
    if n % 3 == 0:
        return {"season": season, "date": on, "kind": "water", "data": {"event": "flooding"}}
    if n % 3 == 1:
        data = {"product": "NPK 20-20-15", "kg": 25.5, "n_pct": 20.0}
        return {"season": season, "date": on, "kind": "fertiliser", "data": data}
    return {"season": season, "date": on, "kind": "note", "data": {"text": f"Thăm đồng {n}"}}


def import_rows(client: Client, journal: Journal, chain: str, rows: int) -> dict[str, int]:
    """Import `rows` rows under the prefix `{chain}-I`, wait for the import to finish, and
    journal it with the counts the registry reported."""
    prefix = f"{chain}-I"
    data, counts = workbook(prefix, rows)
    answer = send(client, prefix, data)
    report = follow(client, answer)
    check(report, counts, answer)
    journal.add(Write("import", prefix, chain, {"counts": counts}, server=answer.server))
    return counts


def check(report: dict[str, Any], counts: dict[str, int], answer: Answer) -> None:
    """The import saved every row it was sent, as the report counts them."""
    if not report.get("saved") or report.get("counts") != counts:
        saved, counted = report.get("saved"), report.get("counts")
        raise Refused(f"the import saved {saved}, counted {counted}, not {counts}", answer)


def send(client: Client, prefix: str, data: bytes) -> Answer:
    files = {"file": (f"{prefix}.xlsx", data, XLSX)}
    sent = client.post("/api/v1/imports", files=files, params={"dry_run": "false"})
    return expect("send the import", sent, 201, 202)
