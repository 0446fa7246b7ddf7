"""Nothing lost, nothing done twice: the journal of acknowledged writes against what was read
back (`Observed`). Pure: no I/O, so a tampered journal or read-back proves each check in a
unit test (tests/cluster/test_checks.py).

- lost: a record whose write was acknowledged (2xx) and that cannot be read back, or reads
  back other than acknowledged; a log index that does not hold the entry the answer named;
- twice: more diary entries in a season than were acknowledged, more than one label for a
  lot in the open register or more than one `label.issued` entry for it in the log, unit
  labels beyond those asked, imported rows counted more than once;
- jobs: any job the registry recorded that failed or has not ended after the run, and any
  row of the queue that failed."""

from __future__ import annotations

from collections import Counter
from typing import Any

from cluster.chain import MILL
from cluster.client import Journal, Write
from cluster.readback import Observed


def problems(journal: Journal, seen: Observed) -> list[str]:
    """Every way in which what was read back differs from what was acknowledged."""
    found = [f"chain failed: {failure}" for failure in journal.failures]
    for check in (_farm, _mrv, _batches, _labels, _imports, _report_files, _log):
        found += check(journal, seen)
    return found + _jobs(seen)


def _missing(kind: str, key: str) -> str:
    return f"lost: {kind} {key} was acknowledged but is not there"


def _farm(journal: Journal, seen: Observed) -> list[str]:
    found = []
    for w in journal.of("field"):
        record = seen.fields.get(w.key)
        if record is None:
            found.append(_missing("field", w.key))
        elif record["area_ha"] != w.facts["area_ha"]:
            found.append(f"lost: field {w.key} reads {record['area_ha']} ha")
    for w in journal.of("season"):
        if seen.seasons.get(w.key) is None:
            found.append(_missing("season", w.key))
    acknowledged = Counter(w.facts["season"] for w in journal.of("diary"))
    for w in journal.of("diary"):
        if int(w.key) not in seen.diaries.get(w.facts["season"], []):
            found.append(_missing("diary entry", w.key))
    for season, count in acknowledged.items():
        stored = len(seen.diaries.get(season, []))
        if stored > count:
            found.append(f"twice: season {season} holds {stored} entries, {count} acknowledged")
    return found


def _mrv(journal: Journal, seen: Observed) -> list[str]:
    found = []
    approved = {str(w.facts["report"]) for w in journal.of("approval")}
    for w in journal.of("report"):
        status = seen.reports.get(w.key)
        if status is None:
            found.append(_missing("report", w.key))
        elif w.key in approved and status != "approved":
            found.append(f"lost: report {w.key} was approved but reads {status}")
    for w in journal.of("approval"):
        record = seen.approvals.get(w.key)
        if record is None:
            found.append(_missing("approval", w.key))
        elif (record["report"], record["decision"]) != (w.facts["report"], w.facts["decision"]):
            found.append(f"lost: approval {w.key} reads {record['decision']} of {record['report']}")
    return found


def _batches(journal: Journal, seen: Observed) -> list[str]:
    found = []
    accepted = {w.facts["batch"] for w in journal.of("accepted")}
    for w in journal.of("batch"):
        record = seen.batches.get(w.key)
        if record is None:
            found.append(_missing("batch", w.key))
            continue
        if (record["lot_code"], record["quantity_kg"]) != (
            w.facts["lot_code"],
            w.facts["quantity_kg"],
        ):
            found.append(
                f"lost: batch {w.key} reads {record['lot_code']} {record['quantity_kg']} kg"
            )
        if int(w.key) in accepted and record["holder"] != MILL:
            found.append(
                f"lost: batch {w.key} was accepted by {MILL} but is held by {record['holder']}"
            )
    return found


def _labels(journal: Journal, seen: Observed) -> list[str]:
    found = []
    for w in journal.of("label"):
        record = seen.labels.get(w.key)
        if record is None:
            found.append(_missing("label", w.key))
        elif record["status"] != "valid":
            found.append(f"lost: label {w.key} reads {record['status']}")
        found += _once(w, seen)
    return found


def _once(w: Write, seen: Observed) -> list[str]:
    """One label for the lot (register and log) and exactly the unit labels asked."""
    found = []
    lot, code, units = w.facts["lot"], w.facts["lot_code"], w.facts["units"]
    listed = seen.listed.get(code, 0)
    if listed != 1:
        found.append(f"twice: lot {code} has {listed} labels in the register")
    if seen.issued is not None and seen.issued.get(lot, 0) != 1:
        found.append(f"twice: lot {lot} has {seen.issued.get(lot, 0)} label.issued entries")
    if seen.units is not None and seen.units.get(w.key) != units:
        found.append(f"units: label {w.key} has {seen.units.get(w.key)} unit labels, {units} asked")
    return found


def _imports(journal: Journal, seen: Observed) -> list[str]:
    found = []
    for w in journal.of("import"):
        counted = seen.imports.get(w.key)
        if counted != w.facts["counts"]:
            found.append(f"import {w.key}: {counted} read back, {w.facts['counts']} imported")
    return found


def _report_files(journal: Journal, seen: Observed) -> list[str]:
    """A file a worker built is served, the same bytes, by every server."""
    found = []
    for w in journal.of("report_build"):
        served = seen.report_files.get(w.key, {})
        for fmt, sha256 in w.facts["files"].items():
            if not served.get(fmt) or any(got != sha256 for got in served[fmt]):
                found.append(f"lost: report {w.key}'s {fmt} is served as {served.get(fmt)}")
    return found


def _log(journal: Journal, seen: Observed) -> list[str]:
    found = []
    for w in journal.writes:
        for index, kind, expected in w.log:
            entry = seen.log.get(index)
            if entry is None:
                found.append(f"lost: log entry {index} ({kind} of {w.kind} {w.key}) is not there")
            elif entry["type"] != kind or any(_at(entry, k) != v for k, v in expected.items()):
                found.append(f"lost: log entry {index} is not the {kind} of {w.kind} {w.key}")
    return found


def _at(entry: dict[str, Any], path: str) -> Any:
    """`data.entry` → entry["data"]["entry"]."""
    value: Any = entry
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _jobs(seen: Observed) -> list[str]:
    """Every job the registry recorded ended done; the queue has no row that failed."""
    found = [
        f"jobs: {count} {kind_status}"
        for kind_status, count in sorted((seen.jobs or {}).items())
        if not kind_status.endswith(" done")
    ]
    if seen.queue_failed:
        found.append(f"jobs: {seen.queue_failed} rows of the queue failed")
    return found
