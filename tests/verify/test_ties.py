"""Declared ties (conflicts of interest): the service and `registry verifiers declare-tie`.
Every declaration is kept with its kind, note and declarer and logged without the note; a
second one of the same tie, an unknown organisation or kind is refused, nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from registry.accounts.models import Organisation, OrgKind
from registry.db import db
from registry.errors import Conflict
from registry.ledger.models import LogEntry
from registry.ledger.service import SYSTEM_ACTOR
from registry.verify import ties
from registry.verify.models import DeclaredTie
from tests.conftest import Factory

Orgs = tuple[Organisation, Organisation, Organisation]


@pytest.fixture
def orgs(ctx: None, make: Factory) -> Orgs:
    """A verifier, an HTX and the authority."""
    made = (
        make.org(kind=OrgKind.VERIFIER, code="VER-1", name="Trung tâm Thẩm định"),
        make.org(kind=OrgKind.PRODUCER, code="HTX-AN", name="HTX An Bình"),
        make.org(kind=OrgKind.AUTHORITY, code="BVTV-HP", name="Chi cục Hải Phòng"),
    )
    found = [db.session.get(Organisation, o.id) for o in made]
    assert all(found)
    return found[0], found[1], found[2]  # type: ignore[return-value]


def logged() -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(LogEntry).where(LogEntry.type == "verifier.relationship").order_by(LogEntry.index)
    )
    return [json.loads(row.entry) for row in rows]


def tie_count() -> int:
    return db.session.scalar(select(func.count()).select_from(DeclaredTie)) or 0


def test_a_tie_is_kept_and_logged_without_its_note(orgs: Orgs) -> None:
    verifier, producer, authority = orgs
    ties.declare_by_codes(
        db.session, "ver-1", " HTX-AN ", "family", by=authority, note=" Con rể chủ nhiệm HTX "
    )
    db.session.commit()
    stored = db.session.get(DeclaredTie, (verifier.id, producer.id))
    assert stored is not None and stored.kind == "family"
    assert stored.note == "Con rể chủ nhiệm HTX" and stored.declared_by_id == authority.id
    assert ties.tied(db.session, verifier.id, producer.id)
    assert ties.tied_producers(db.session, verifier.id) == {producer.id}
    assert not ties.tied(db.session, verifier.id, authority.id)
    [entry] = logged()
    assert (entry["actor"], entry["subject"]) == ("VER-1", "HTX-AN")
    assert entry["data"] == {"kind": "family", "by": "BVTV-HP"}  # the note is not public
    [listed] = ties.ties_of(db.session, verifier.id)
    assert listed.producer.name == "HTX An Bình" and listed.declared_by is not None
    assert ties.ties_of(db.session, producer.id) == []


def test_a_second_declaration_of_the_same_tie_is_refused(orgs: Orgs) -> None:
    verifier, producer, _ = orgs
    ties.declare(db.session, verifier, producer, "consultancy", by=verifier)
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        ties.declare(db.session, verifier, producer, "ownership", by=verifier)
    assert refused.value.status == 409 and "producer" in refused.value.errors
    db.session.rollback()
    assert tie_count() == 1 and len(logged()) == 1
    assert db.session.get(DeclaredTie, (verifier.id, producer.id)).kind == "consultancy"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("verifier_code", "producer_code", "kind", "fields"),
    [
        ("VER-NONE", "HTX-NONE", "bribery", {"verifier", "producer", "kind"}),
        ("", "", "", {"verifier", "producer", "kind"}),
        ("HTX-AN", "VER-1", "consultancy", {"verifier", "producer"}),  # kinds swapped
        ("VER-1", "BVTV-HP", "other", {"producer"}),  # the authority is no HTX
    ],
)
def test_unknown_organisations_and_kinds_are_refused_nothing_written(
    orgs: Orgs, verifier_code: str, producer_code: str, kind: str, fields: set[str]
) -> None:
    with pytest.raises(ties.TieRefused) as refused:
        ties.declare_by_codes(db.session, verifier_code, producer_code, kind, by=orgs[2])
    assert set(refused.value.errors) == fields
    db.session.rollback()
    assert tie_count() == 0 and logged() == []


def test_a_long_note_or_a_non_verifier_is_refused(orgs: Orgs) -> None:
    verifier, producer, authority = orgs
    with pytest.raises(ties.TieRefused) as long_note:
        ties.declare(db.session, verifier, producer, "other", by=None, note="x" * 301)
    assert set(long_note.value.errors) == {"note"}
    with pytest.raises(ties.TieRefused) as swapped:
        ties.declare(db.session, authority, producer, "other", by=None)
    assert set(swapped.value.errors) == {"verifier"}
    db.session.rollback()
    assert tie_count() == 0 and logged() == []


# ---------------------------------------------------------------- the command
def test_the_command_declares_a_tie_logged_as_the_operator(
    runner: FlaskCliRunner, orgs: Orgs
) -> None:
    verifier, producer, _ = orgs
    args = ["verifiers", "declare-tie", "VER-1", "htx-an", "--kind", "employment"]
    result = runner.invoke(args=[*args, "--note", "Nhân viên cũ"])
    assert result.exit_code == 0, result.output
    assert "VER-1" in result.output and "HTX-AN" in result.output
    db.session.expire_all()
    stored = db.session.get(DeclaredTie, (verifier.id, producer.id))
    assert stored is not None and stored.kind == "employment" and stored.declared_by_id is None
    assert stored.note == "Nhân viên cũ"
    assert logged()[0]["data"] == {"kind": "employment", "by": SYSTEM_ACTOR}

    again = runner.invoke(args=args)
    assert again.exit_code == 2 and "đã được khai báo" in again.stderr
    assert tie_count() == 1


def test_the_command_refuses_unknown_codes_and_kinds(runner: FlaskCliRunner, orgs: Orgs) -> None:
    unknown = runner.invoke(args=["verifiers", "declare-tie", "VER-X", "HTX-X", "--kind", "family"])
    assert unknown.exit_code == 2
    assert "verifier: Không có đơn vị thẩm định nào mang mã này." in unknown.stderr
    assert "producer: Không có HTX nào mang mã này." in unknown.stderr
    bad_kind = runner.invoke(args=["verifiers", "declare-tie", "VER-1", "HTX-AN", "--kind", "x"])
    assert bad_kind.exit_code == 2 and "--kind" in bad_kind.stderr
    no_kind = runner.invoke(args=["verifiers", "declare-tie", "VER-1", "HTX-AN"])
    assert no_kind.exit_code == 2
    assert tie_count() == 0 and logged() == []
