"""The cluster run's checker (cluster/checks.py) on a journal of acknowledged writes and
what was read back: silent when they agree, and naming each record that was lost or done
twice when the read-back is tampered with."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest

from cluster.checks import problems
from cluster.client import Journal, Write
from cluster.readback import Observed

SEASON, LOT, PDF = "KQ01-F-2026-DX", "KQ01-L", "ab" * 32


def journal() -> Journal:
    """One chain's writes, as cluster/chain.py journals them."""
    made = Journal()
    made.add(
        Write(
            "field",
            "KQ01-F",
            "KQ01",
            {"area_ha": 1.0},
            [(10, "field.registered", {"subject": "KQ01-F"})],
        )
    )
    made.add(Write("season", SEASON, "KQ01", {"field": "KQ01-F", "year": 2026}))
    for n, entry in enumerate((41, 42)):
        log = [(11 + n, "season.diary", {"subject": SEASON, "data.entry": entry})]
        made.add(Write("diary", str(entry), "KQ01", {"season": SEASON, "entry_kind": "water"}, log))
    made.add(Write("report", "7", "KQ01", {"seasons": [SEASON]}))
    made.add(
        Write(
            "approval",
            "3",
            "KQ01",
            {"report": 7, "decision": "approved"},
            [(13, "approval.signed", {"data.approval": 3})],
        )
    )
    made.add(Write("batch", "16", "KQ01", {"lot_code": LOT, "quantity_kg": 5000}))
    label = {"request": 8, "batch": 16, "units": 20, "lot_code": LOT, "lot": f"HTX-THOILAI/{LOT}"}
    made.add(
        Write("label", "14DND33G", "KQ01", label, [(14, "label.issued", {"subject": "14DND33G"})])
    )
    made.add(
        Write("import", "KQ01-I", "KQ01", {"counts": {"fields": 3, "seasons": 3, "diary": 54}})
    )
    made.add(Write("accepted", "5", "KQ01", {"batch": 16, "holder": "MILL-CODO"}))
    made.add(
        Write(
            "report_build",
            "2",
            "REPORT",
            {"files": {"pdf": PDF}},
            [(15, "report.generated", {"subject": "report-2"})],
        )
    )
    return made  # fmt: skip


def observed() -> Observed:
    """What a registry that lost nothing and did nothing twice answers for `journal()`."""
    return Observed(
        fields={"KQ01-F": {"area_ha": 1.0}},
        seasons={SEASON: {"code": SEASON}},
        diaries={SEASON: [41, 42]},
        reports={"7": "approved"},
        approvals={"3": {"report": 7, "decision": "approved"}},
        batches={"16": {"lot_code": LOT, "quantity_kg": 5000, "holder": "MILL-CODO"}},
        labels={"14DND33G": {"status": "valid"}},
        listed={LOT: 1, "HT26-01": 3},
        log={
            10: {"type": "field.registered", "subject": "KQ01-F"},
            11: {"type": "season.diary", "subject": SEASON, "data": {"entry": 41}},
            12: {"type": "season.diary", "subject": SEASON, "data": {"entry": 42}},
            13: {"type": "approval.signed", "data": {"approval": 3}},
            14: {"type": "label.issued", "subject": "14DND33G"},
            15: {"type": "report.generated", "subject": "report-2"},
        },
        imports={"KQ01-I": {"fields": 3, "seasons": 3, "diary": 54}},
        report_files={"2": {"pdf": [PDF, PDF]}},  # the same bytes from both servers
        issued={f"HTX-THOILAI/{LOT}": 1},
        units={"14DND33G": 20},
        jobs={"trace.import done": 2},
    )


def test_a_registry_that_kept_every_write_once_has_no_problems() -> None:
    assert problems(journal(), observed()) == []


def _set(name: str, key: object, value: object) -> Callable[[Observed], None]:
    """A tampering: the read-back's `name`[`key`] becomes `value`."""
    return lambda seen: getattr(seen, name).__setitem__(key, value)


def _entry(index: int, **changed: object) -> Callable[[Observed], None]:
    """A tampering: log entry `index` with other values."""
    return lambda seen: seen.log.__setitem__(index, {**seen.log[index], **changed})


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (_set("fields", "KQ01-F", None), "lost: field KQ01-F"),
        (_set("diaries", SEASON, [41]), "lost: diary entry 42"),
        (_set("diaries", SEASON, [41, 42, 43]), f"twice: season {SEASON} holds 3 entries"),
        (_set("reports", "7", "submitted"), "lost: report 7 was approved but reads submitted"),
        (_set("approvals", "3", None), "lost: approval 3"),
        (_set("batches", "16", {"lot_code": LOT, "quantity_kg": 5000, "holder": "HTX-THOILAI"}),
         "lost: batch 16 was accepted"),
        (_set("labels", "14DND33G", None), "lost: label 14DND33G"),
        (_set("listed", LOT, 2), f"twice: lot {LOT} has 2 labels in the register"),
        (_set("issued", f"HTX-THOILAI/{LOT}", 2), "label.issued entries"),
        (_set("units", "14DND33G", 40), "units: label 14DND33G has 40 unit labels, 20 asked"),
        (_set("imports", "KQ01-I", {"fields": 3, "seasons": 3, "diary": 108}), "import KQ01-I"),
        (_set("report_files", "2", {"pdf": [PDF, "HTTP 404"]}), "lost: report 2's pdf"),
        (_set("log", 13, None), "lost: log entry 13 (approval.signed of approval 3)"),
        (_entry(14, type="label.revoked"), "lost: log entry 14 is not the label.issued"),
        (_entry(12, data={"entry": 41}), "lost: log entry 12 is not the season.diary"),
        (_set("jobs", "trace.import running", 1), "jobs: 1 trace.import running"),
        (lambda seen: setattr(seen, "queue_failed", 1), "jobs: 1 rows of the queue failed"),
    ],
)  # fmt: skip
def test_each_lost_or_doubled_record_is_named(
    tamper: Callable[[Observed], None], expected: str
) -> None:
    seen = observed()
    tamper(seen)
    found = problems(journal(), seen)
    assert len(found) == 1 and expected in found[0], found


def test_a_write_the_journal_kept_but_the_registry_never_made_is_lost() -> None:
    """A tampered journal: a diary entry acknowledged that no season holds."""
    made = journal()
    made.add(Write("diary", "99", "KQ01", {"season": SEASON, "entry_kind": "note"}))
    assert problems(made, observed()) == ["lost: diary entry 99 was acknowledged but is not there"]


def test_a_failed_chain_is_a_problem_even_when_its_writes_read_back() -> None:
    made = journal()
    made.failed("KQ02: Refused: issue the label: HTTP 422")
    assert problems(made, observed()) == ["chain failed: KQ02: Refused: issue the label: HTTP 422"]


def test_the_journal_reads_back_from_its_file_unchanged(tmp_path: Path) -> None:
    made = journal()
    made.save(tmp_path / "journal.json")
    again = Journal.load(tmp_path / "journal.json")
    assert again.writes == made.writes and problems(again, copy.deepcopy(observed())) == []
