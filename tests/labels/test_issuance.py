"""Requests and issuance: criteria checked, tokens that verify, unit serials, refusals
that write nothing, and the cascade from a revoked approval."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError
from sqlalchemy import func, select

from registry.accounts.models import Organisation
from registry.db import db, utcnow
from registry.errors import DomainError, Forbidden
from registry.labels import criteria, issuance, status
from registry.labels import token as ptt1
from registry.labels.models import Label, LabelStatus
from registry.labels.schemas import RequestIn
from registry.ledger import service as ledger
from registry.trace.models import Batch
from registry.verify import approvals
from tests.labels.conftest import TODAY, authority, issuer, packed, reference  # noqa: F401


def issued(
    packed: Batch, authority: Organisation, issuer, units: int = 0, unit_kg: float = 0.5
) -> Label:
    request = issuance.request_label(
        db.session, packed.organisation, packed.id, units, unit_kg if units else None
    )
    label = issuance.issue(db.session, authority, request.id, issuer, TODAY)
    db.session.commit()
    return label


def test_an_issued_label_carries_a_token_that_verifies_against_its_url(
    packed, authority, issuer
) -> None:
    label = issued(packed, authority, issuer)
    trust = {bytes.fromhex(issuer.kid): issuer.key.public_key()}
    verdict = ptt1.check_url(label.url, trust, set(), utcnow().timestamp())
    assert verdict.status is ptt1.Status.VALID, verdict
    claims = verdict.claims
    assert claims is not None
    assert (claims.serial, claims.lot, claims.gtin) == (label.serial, "TUI-1", "08934567890120")
    assert claims.g_co2e_per_kg == round(packed.g_co2e_per_kg)
    assert claims.reduction_permille == round(10 * (packed.reduction_pct or 0))
    assert claims.verifier == "VER-1" and claims.log_index == label.log_index
    assert "/01/08934567890120/10/TUI-1/21/" in label.url and len(label.url) <= 330
    assert b"label.issued" in ledger.entry(db.session, label.log_index)


def test_unit_serials_each_get_their_own_token(packed, authority, issuer) -> None:
    label = issued(packed, authority, issuer, units=500)
    units = issuance.units_of(db.session, label.id)
    assert len(units) == 500 and len({u.serial for u in units}) == 500
    assert all(u.log_index == label.log_index for u in units)
    trust = {bytes.fromhex(issuer.kid): issuer.key.public_key()}
    assert ptt1.check_url(units[7].url, trust, set(), utcnow().timestamp()).status == "valid"
    status.change(db.session, authority, label.serial, LabelStatus.REVOKED, "fraud")
    db.session.commit()
    assert {u.status for u in issuance.units_of(db.session, label.id)} == {LabelStatus.REVOKED}
    listed = {r.serial for r in status.revocation_rows(status.revoked_since(db.session, None))}
    assert units[7].serial in listed and label.serial in listed


def test_the_largest_request_the_api_accepts_is_issued(packed, authority, issuer) -> None:
    """The documented maximum issues on PostgreSQL, whose statements carry at most 65,535
    parameters (its serials are checked as one array), under one log entry, its tokens
    those signed one by one (a sample); SQLite, where it would take about a minute, issues
    enough to check serials over several IN lists."""
    assert RequestIn().load({"batch": packed.id, "units": issuance.MAX_UNITS, "unit_kg": 0.01})
    with pytest.raises(ValidationError):
        RequestIn().load({"batch": packed.id, "units": issuance.MAX_UNITS + 1, "unit_kg": 0.01})
    postgres = db.session.get_bind().dialect.name == "postgresql"
    units = issuance.MAX_UNITS if postgres else 2 * issuance.IN_LIST + 1
    log_size = ledger.size(db.session)
    label = issued(packed, authority, issuer, units, unit_kg=0.01)
    assert ledger.size(db.session) == log_size + 1, "one log entry for the whole request"
    stored = select(func.count(Label.id), func.count(func.distinct(Label.serial)))
    assert db.session.execute(stored.where(Label.parent_id == label.id)).one() == (units, units)
    assert db.session.scalar(select(func.count(func.distinct(Label.token)))) == units + 1
    sample = db.session.scalars(
        select(Label).where(Label.parent_id == label.id, Label.id % 997 == 0).order_by(Label.id)
    ).all()
    assert sample and all((u.token, u.url) == reference(u, issuer) for u in sample)
    last = db.session.scalar(
        select(Label).where(Label.parent_id == label.id).order_by(Label.id.desc()).limit(1)
    )
    assert last is not None
    trust = {bytes.fromhex(issuer.kid): issuer.key.public_key()}
    assert ptt1.check_url(last.url, trust, set(), utcnow().timestamp()).status is ptt1.Status.VALID


@given(st.binary(min_size=5, max_size=5 * 64).filter(lambda b: len(b) % 5 == 0))
def test_serials_write_each_40_random_bits_in_crockford_base32(drawn: bytes) -> None:
    """The whole draw is written by one base32 encoding; each serial must still be its 40
    bits, most significant first, in Crockford's alphabet."""
    with patch.object(issuance.secrets, "token_bytes", return_value=drawn):
        serials = issuance._serials(len(drawn) // 5)
    expected = set()
    for start in range(0, len(drawn), 5):
        bits = int.from_bytes(drawn[start : start + 5])
        expected.add(
            "".join(issuance.ALPHABET[(bits >> shift) & 31] for shift in range(35, -1, -5))
        )
    assert serials == expected


def count() -> tuple[int, int]:
    return (db.session.scalar(select(func.count(Label.id))) or 0, ledger.size(db.session))


def test_refusals_write_nothing(packed, authority, issuer, make) -> None:
    stranger = db.session.get(Organisation, make.org(code="HTX-KHAC").id)
    before = count()
    with pytest.raises(DomainError) as too_many:
        issuance.request_label(db.session, packed.organisation, packed.id, 3000, 0.5)
    assert "units" in too_many.value.errors
    with pytest.raises(DomainError):
        issuance.request_label(db.session, stranger, packed.id)
    request = issuance.request_label(db.session, packed.organisation, packed.id)
    with pytest.raises(Forbidden):
        issuance.issue(db.session, packed.organisation, request.id, issuer, TODAY)
    criteria.set_criteria(db.session, authority, {"min_reduction_pct": 99, "validity_days": 365})
    with pytest.raises(DomainError) as unmet:
        issuance.issue(db.session, authority, request.id, issuer, TODAY)
    assert "criteria" in unmet.value.errors
    db.session.rollback()
    assert count() == before


def test_revoking_the_approval_suspends_the_label(packed, authority, issuer, verifier) -> None:
    label = issued(packed, authority, issuer)
    approval_id = db.session.scalar(select(func.max(approvals.Approval.id)))
    approvals.revoke(db.session, verifier[0], approval_id, "Số liệu sai")
    db.session.commit()
    db.session.refresh(label)
    assert label.status is LabelStatus.SUSPENDED and label.reason_code == "approval_revoked"
    assert status.state(label, utcnow()).status == "suspended"


def test_expiry_and_compromised_keys_show_in_the_state(packed, authority, issuer) -> None:
    label = issued(packed, authority, issuer)
    later = label.expires_at + timedelta(seconds=1)
    assert status.state(label, later).status == "expired"
    assert status.state(label, utcnow(), frozenset({label.kid})).reason == "key_compromised"


def test_no_label_without_an_approved_chain(packed, authority, issuer, verifier) -> None:
    request = issuance.request_label(db.session, packed.organisation, packed.id)
    approval_id = db.session.scalar(select(func.max(approvals.Approval.id)))
    approvals.revoke(db.session, verifier[0], approval_id, "Thẩm định lại")
    db.session.commit()
    before = count()
    with pytest.raises(DomainError) as refused:
        issuance.issue(db.session, authority, request.id, issuer, TODAY)
    db.session.rollback()
    assert any("approval" in e or "phê duyệt" in e for e in refused.value.errors["criteria"])
    assert count() == before


@given(
    sizes=st.lists(st.integers(min_value=1, max_value=700), max_size=40),
    every=st.integers(min_value=1, max_value=5_000),
)
def test_issuance_progress_is_told_every_so_many_units_and_at_the_last(
    sizes: list[int], every: int
) -> None:
    """`counted` hands the chunks on unchanged and tells the count once `every` more units
    are through (never per unit), and always after the last."""
    chunks = [[str(n)] * size for n, size in enumerate(sizes)]
    total, told = sum(sizes), []
    passed = list(issuance.counted(iter(chunks), total, lambda d, t: told.append((d, t)), every))
    assert passed == chunks
    assert all(t == total for _, t in told)
    done = [d for d, _ in told]
    assert done == sorted(set(done)) and (done[-1:] == [total] if total else done == [])
    steps = [b - a for a, b in zip([0, *done], done, strict=False)]
    assert all(step >= every for step in steps[:-1])
    assert len(told) <= total // every + 1
