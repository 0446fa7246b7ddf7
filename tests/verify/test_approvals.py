"""Signed approvals (DESIGN.md §7): what is accepted and every way it is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskCliRunner

from registry.accounts.models import Organisation, OrgKind
from registry.db import db, utcnow
from registry.errors import Forbidden
from registry.verify import approvals, reports, signing
from registry.verify.models import Decision, MrvReport, ReportStatus
from tests.conftest import SHARED, Factory
from tests.verify.conftest import Farm

PERIOD = (date(2025, 12, 1), date(2026, 4, 30))


def submitted(farm: Farm) -> MrvReport:
    org, user, _, awd = farm
    report = reports.create_report(db.session, org, user, *PERIOD, [awd.code])
    reports.submit(db.session, org, report.id)
    db.session.commit()
    return report


def test_a_signed_approval_is_recorded_logged_and_checkable(farm: Farm, verifier) -> None:
    org, key, kid = verifier
    report = submitted(farm)
    statement = approvals.new_statement(db.session, org, report.id, Decision.APPROVED, kid)
    assert signing.statement_bytes(statement) == rfc8785.dumps(statement)
    assert statement["report_digest"] == report.digest and statement["kid"] == kid
    approval = approvals.record_decision(
        db.session, org, report.id, statement, signing.sign(statement, key)
    )
    db.session.commit()
    assert report.status is ReportStatus.APPROVED and approval.status == "valid"
    assert approvals.verified_harvest_kg(db.session, farm[3].id) == 6600
    assert approvals.jwks(db.session, "VER-1")["keys"][0]["kid"] == kid


def refusal(org, report_id, statement, signature) -> approvals.DomainError:
    with pytest.raises(approvals.DomainError) as caught:
        approvals.record_decision(db.session, org, report_id, statement, signature)
    db.session.rollback()
    return caught.value


def test_a_signature_from_another_key_is_refused(farm: Farm, verifier) -> None:
    org, _, kid = verifier
    report = submitted(farm)
    statement = approvals.new_statement(db.session, org, report.id, Decision.APPROVED, kid)
    other = signing.sign(statement, Ed25519PrivateKey.generate())
    (message,) = refusal(org, report.id, statement, other).errors["signature"]
    assert kid in str(message)  # the key the verifier should have signed with
    assert report.status is ReportStatus.SUBMITTED


def test_a_revoked_or_expired_key_is_refused(farm: Farm, verifier) -> None:
    org, key, kid = verifier
    report = submitted(farm)
    statement = approvals.new_statement(db.session, org, report.id, Decision.APPROVED, kid)
    approvals.revoke_key(db.session, org, kid, compromised=True)
    db.session.commit()
    assert "kid" in refusal(org, report.id, statement, signing.sign(statement, key)).errors
    assert approvals.jwks(db.session, "VER-1")["keys"][0]["status"] == "compromised"
    fresh = Ed25519PrivateKey.generate()
    record = approvals.register_key(
        db.session, org, signing.b64url(signing.raw(fresh.public_key())), "old"
    )
    record.valid_until = utcnow() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(approvals.ApprovalRefused):
        approvals.new_statement(db.session, org, report.id, Decision.APPROVED, record.kid)


def test_a_suspended_verifier_or_a_conflict_of_interest_is_refused(
    farm: Farm, verifier, make: Factory
) -> None:
    org, key, kid = verifier
    report = submitted(farm)
    statement = approvals.new_statement(db.session, org, report.id, Decision.APPROVED, kid)
    approvals.declare_relationship(db.session, org, farm[0], "consultancy")
    db.session.commit()
    with pytest.raises(Forbidden):
        approvals.record_decision(
            db.session, org, report.id, statement, signing.sign(statement, key)
        )
    db.session.rollback()
    other = db.session.get(Organisation, make.org(kind=OrgKind.VERIFIER, code="VER-2").id)
    authority = db.session.get(Organisation, make.org(kind=OrgKind.AUTHORITY).id)
    accreditation = approvals.accredit(
        db.session,
        other,
        authority,
        crops=["rice"],
        provinces=["Cần Thơ"],
        valid_from=date(2025, 1, 1),
        valid_until=date(2027, 1, 1),
    )
    approvals.suspend(db.session, accreditation, authority, "hồ sơ chưa đầy đủ")
    db.session.commit()
    with pytest.raises(Forbidden):
        approvals.check_may_decide(db.session, other, report)


def test_a_changed_report_or_a_replayed_signature_is_refused(farm: Farm, verifier) -> None:
    org, key, kid = verifier
    report = submitted(farm)
    statement = approvals.new_statement(db.session, org, report.id, Decision.APPROVED, kid)
    signature = signing.sign(statement, key)
    tampered = {**statement, "totals": {**statement["totals"], "total_kg_co2e": 1.0}}
    assert "statement" in refusal(org, report.id, tampered, signing.sign(tampered, key)).errors
    report.digest = "0" * 64  # the report changed after the statement was signed
    db.session.commit()
    assert "statement" in refusal(org, report.id, statement, signature).errors


def test_a_signature_cannot_be_replayed_on_another_report(farm: Farm, verifier) -> None:
    org, key, kid = verifier
    first = submitted(farm)
    statement = approvals.new_statement(db.session, org, first.id, Decision.APPROVED, kid)
    signature = signing.sign(statement, key)
    second = MrvReport(
        organisation_id=farm[0].id,
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        created_by_id=farm[1].id,
        status=ReportStatus.SUBMITTED,
        submitted_at=utcnow(),
        content=first.content,
        digest=first.digest,
    )
    db.session.add(second)
    db.session.commit()
    assert "statement" in refusal(org, second.id, statement, signature).errors


def test_revoking_an_approval_marks_its_seasons_unverified(farm: Farm, verifier) -> None:
    org, key, kid = verifier
    report = submitted(farm)
    statement = approvals.new_statement(db.session, org, report.id, Decision.APPROVED, kid)
    approval = approvals.record_decision(
        db.session, org, report.id, statement, signing.sign(statement, key)
    )
    db.session.commit()
    seasons = approvals.revoke(db.session, org, approval.id, "Sai số liệu thu hoạch")
    db.session.commit()
    assert seasons == [farm[3].code] and approval.status == "revoked"
    assert approvals.verified_harvest_kg(db.session, farm[3].id) is None
    with pytest.raises(Forbidden):
        approvals.revoke(db.session, farm[0], approval.id, "không phải quyền")


def test_the_offline_cli_signs_what_the_registry_accepts(
    farm: Farm, verifier, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    org, _, _ = verifier
    key_file = tmp_path / "khoa.pem"
    made = runner.invoke(args=["verifier", "keygen", "--out", str(key_file)])
    assert made.exit_code == 0 and key_file.stat().st_mode & 0o077 == 0
    public = made.output.split("public key ")[1].strip()
    kid = approvals.register_key(db.session, org, public, "máy ký").kid
    report = submitted(farm)
    statement = approvals.new_statement(
        db.session, org, report.id, Decision.REJECTED, kid, "Thiếu ảnh rút nước"
    )
    source = tmp_path / "statement.json"
    source.write_text(json.dumps(statement, ensure_ascii=False))
    signed = runner.invoke(args=["verifier", "sign", str(source), "--key", str(key_file)])
    assert signed.exit_code == 0, signed.output
    approval = approvals.record_decision(
        db.session, org, report.id, statement, signed.output.strip()
    )
    db.session.commit()
    assert approval.decision is Decision.REJECTED and report.status is ReportStatus.REJECTED
    wrong = tmp_path / "other.pem"
    runner.invoke(args=["verifier", "keygen", "--out", str(wrong)])
    refused = runner.invoke(args=["verifier", "sign", str(source), "--key", str(wrong)])
    assert refused.exit_code != 0 and "kid" in refused.output


def test_the_shared_checker_verifies_the_published_approvals(
    farm: Farm, verifier, live_server: str, app: Flask
) -> None:
    org, key, kid = verifier
    report = submitted(farm)
    statement = approvals.new_statement(db.session, org, report.id, Decision.APPROVED, kid)
    approvals.record_decision(db.session, org, report.id, statement, signing.sign(statement, key))
    db.session.commit()
    checker = str(SHARED / "checks" / "approval_check.py")
    result = subprocess.run(
        [sys.executable, checker, live_server], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert app.test_client().get("/api/v1/approvals/999").status_code == 404


def test_odd_statements_and_padded_signatures_are_refused_not_crashed(farm: Farm, verifier) -> None:
    org, key, kid = verifier
    report = submitted(farm)
    statement = approvals.new_statement(db.session, org, report.id, Decision.APPROVED, kid)
    signature = signing.sign(statement, key)
    naive = {**statement, "signed_at": statement["signed_at"].rstrip("Z")}
    assert refusal(org, report.id, naive, signing.sign(naive, key)).errors
    listed = {**statement, "type": ["mrv.approval"]}
    assert refusal(org, report.id, listed, signature).errors
    assert "signature" in refusal(org, report.id, statement, signature + "AA").errors


def test_revoked_reports_free_their_seasons_and_withdrawn_ones_too(farm: Farm, verifier) -> None:
    org, key, kid = verifier
    htx, user, _, awd = farm
    report = submitted(farm)
    statement = approvals.new_statement(db.session, org, report.id, Decision.APPROVED, kid)
    approval = approvals.record_decision(
        db.session, org, report.id, statement, signing.sign(statement, key)
    )
    approvals.revoke(db.session, org, approval.id, "Sai số liệu")
    db.session.commit()
    assert report.status is ReportStatus.REVOKED
    again = reports.create_report(db.session, htx, user, *PERIOD, [awd.code])
    reports.submit(db.session, htx, again.id)
    approvals.request_correction(db.session, org, farm[1], again.id, "Thiếu ảnh rút nước")
    reports.withdraw(db.session, htx, again.id)
    db.session.commit()
    assert again.status is ReportStatus.SUPERSEDED
    assert reports.create_report(db.session, htx, user, *PERIOD, [awd.code]).id > again.id


def test_an_accreditation_covers_the_crops_it_names_from_the_catalogue(
    farm: Farm, make: Factory
) -> None:
    """A verifier accredited for vegetables may not decide a rice report; one accredited
    for rice and orchards may. Crops are the catalogue's (issue 19)."""
    report = submitted(farm)
    authority = db.session.get(Organisation, make.org(kind=OrgKind.AUTHORITY).id)
    assert authority is not None

    def accredited(code: str, crops: list[str]) -> Organisation:
        org = db.session.get(Organisation, make.org(kind=OrgKind.VERIFIER, code=code).id)
        assert org is not None
        approvals.accredit(db.session, org, authority, crops=crops, provinces=["Cần Thơ"],
                           valid_from=date(2025, 1, 1), valid_until=date(2027, 12, 31))  # fmt: skip
        db.session.commit()
        return org

    with pytest.raises(Forbidden):
        approvals.check_may_decide(db.session, accredited("VER-RAU", ["vegetable"]), report)
    approvals.check_may_decide(db.session, accredited("VER-2", ["rice", "fruit_tree"]), report)
    with pytest.raises(approvals.ApprovalRefused) as refused:
        accredited("VER-3", ["durian"])
    assert "crops" in refused.value.errors
