"""Demo MRV: every season's result is computed; the verifier is accredited for Hải Phòng
and Cần Thơ and has a key; the Cần Thơ HTX's Hè Thu 2026 report is approved (signed with
that key, as `registry verifier sign` would on the verifier's machine), and both HTXs'
Đông Xuân 2026 reports wait in the verifier's queue for a person to approve, with the
photos on their diaries (registry/demo/photos.py) to review.

The demo verifier's private key is written to the instance folder (`demo-verifier.pem`)
to stand in for the verifier's own machine; a real verifier's key never reaches the
server."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from registry.accounts.models import Organisation, User
from registry.db import Db
from registry.demo.accounts import USERS
from registry.trace import service as trace
from registry.trace.models import Season
from registry.verify import approvals, reports, results, signing
from registry.verify.models import Decision, MrvReport, ReportStatus

VERIFIER = "VER-VNMRV"
VERIFIER_LOGIN = next(email for code, email, _, _ in USERS if code == VERIFIER)
AUTHORITY = "HP-CCTT"
REPORTS = (  # (HTX, season type, period, approve now?)
    ("HTX-THOILAI", "he_thu", (date(2026, 4, 1), date(2026, 8, 31)), True),
    ("HTX-THOILAI", "dong_xuan", (date(2025, 12, 1), date(2026, 4, 30)), False),
    ("HTX-DOSON", "dong_xuan", (date(2026, 2, 1), date(2026, 6, 30)), False),
)


def load_mrv(session: Db, key_file: Path) -> int:
    results.compute_many(session, list(session.scalars(select(Season.id))))
    if session.scalar(select(MrvReport.id)):
        return 0
    verifier, authority = _org(session, VERIFIER), _org(session, AUTHORITY)
    approvals.accredit(
        session,
        verifier,
        authority,
        crops=["rice"],
        provinces=["Hải Phòng", "Cần Thơ"],
        valid_from=date(2025, 1, 1),
        valid_until=date(2027, 12, 31),
    )
    key = _verifier_key(key_file)
    kid = approvals.register_key(
        session,
        verifier,
        signing.b64url(signing.raw(key.public_key())),
        "Máy ký của phòng thẩm định",
    ).kid
    created = 2
    for htx, season_type, period, approve in REPORTS:
        org = _org(session, htx)
        codes = [
            s.code
            for s in trace.seasons_of(session, org.id)
            if s.year == 2026 and s.season_type.value == season_type
        ]
        report = reports.create_report(session, org, _user(session, htx), *period, codes)
        reports.submit(session, org, report.id)
        created += 1
        if approve:
            statement = approvals.new_statement(
                session, verifier, report.id, Decision.APPROVED, kid
            )
            approvals.record_decision(
                session, verifier, report.id, statement, signing.sign(statement, key)
            )
    return created


def with_photos(session: Db) -> list[tuple[int, str]]:
    """The reports waiting for a verifier whose frozen diary cites photos: id, HTX code."""
    waiting = session.scalars(
        select(MrvReport).where(MrvReport.status == ReportStatus.SUBMITTED).order_by(MrvReport.id)
    )
    return [
        (r.id, r.organisation.code)
        for r in waiting
        if any(s.get("evidence") for s in (r.content or {}).get("seasons", []))
    ]


def _verifier_key(path: Path) -> Ed25519PrivateKey:
    """The demo verifier's key, created once like `registry verifier keygen` does."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(signing.private_pem(key))
    return signing.load_private_key(path.read_bytes())


def _org(session: Db, code: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.code == code))
    assert org is not None, "load the demo accounts first"
    return org


def _user(session: Db, org_code: str) -> User:
    email = next(e for code, e, _, _ in USERS if code == org_code)
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user
