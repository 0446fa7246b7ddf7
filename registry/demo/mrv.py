"""Demo MRV: every season's result is computed; the verifier is accredited for the demo's
crops (rice, vegetables, flowers, longan) in Hải Phòng, Cần Thơ and Hà Nội and has a key.
Approved, signed with that key as `registry verifier sign` would on the verifier's
machine: the Cần Thơ HTX's Hè Thu 2026 report, the Hà Đông HTX's crop cycles harvested
in January–July 2026 and the Đồ Sơn longan's 2026 growing year. Waiting in the verifier's
queue for a person to decide: both rice HTXs' Đông Xuân 2026 reports, with the photos on
their diaries (registry/demo/photos.py) to review, and the Hà Đông HTX's vegetable and
flower cycles harvested in August–November 2026.

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
from registry.verify.models import Decision, MrvReport, ReportStatus, VerifierKey

VERIFIER = "VER-VNMRV"
VERIFIER_LOGIN = next(email for code, email, _, _ in USERS if code == VERIFIER)
AUTHORITY = "HP-CCTT"
# What the verifier is accredited for: every crop and province of the demo's reports.
CROPS = ["rice", "vegetable", "flower", "longan"]
PROVINCES = ["Hải Phòng", "Cần Thơ", "Hà Nội"]
REPORTS = (  # (HTX, period type, period: seasons harvested within it, approve now?)
    ("HTX-THOILAI", "he_thu", (date(2026, 4, 1), date(2026, 8, 31)), True),
    ("HTX-THOILAI", "dong_xuan", (date(2025, 12, 1), date(2026, 4, 30)), False),
    ("HTX-DOSON", "dong_xuan", (date(2026, 2, 1), date(2026, 6, 30)), False),
    ("HTX-HADONG", "crop_cycle", (date(2026, 1, 1), date(2026, 7, 31)), True),
    ("HTX-HADONG", "crop_cycle", (date(2026, 8, 1), date(2026, 11, 30)), False),
    ("HTX-DOSON", "growing_year", (date(2025, 9, 1), date(2026, 8, 31)), True),
)


def load_mrv(session: Db, key_file: Path) -> int:
    """Compute every season, then add whatever is missing: the accreditation, the key,
    each report of the seasons not reported yet (a season already reported is left in its
    report)."""
    results.compute_many(session, list(session.scalars(select(Season.id))))
    verifier = _org(session, VERIFIER)
    created = _accredit(session, verifier)
    key = _verifier_key(key_file)
    kid = signing.kid(key.public_key())
    if session.scalar(select(VerifierKey.id).where(VerifierKey.kid == kid)) is None:
        public = signing.b64url(signing.raw(key.public_key()))
        approvals.register_key(session, verifier, public, "Máy ký của phòng thẩm định")
        created += 1
    reported = {s.id for r in session.scalars(select(MrvReport)) for s in _seasons(r)}
    for htx, season_type, (start, end), approve in REPORTS:
        org = _org(session, htx)
        seasons = [
            s
            for s in trace.seasons_of(session, org.id)
            if s.year == 2026
            and s.season_type.value == season_type
            and s.harvest_date is not None
            and start <= s.harvest_date <= end
            and s.id not in reported  # an older demo's report leaves a newer block out
        ]
        if not seasons:
            continue
        codes = sorted(s.code for s in seasons)
        report = reports.create_report(session, org, _user(session, htx), start, end, codes)
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


def _accredit(session: Db, verifier: Organisation) -> int:
    """Accredit the verifier anew unless its active accreditation covers the demo."""
    active = approvals.active_accreditation(session, verifier.id, trace.today_in_vietnam())
    if active and set(CROPS) <= set(active.crops) and set(PROVINCES) <= set(active.provinces):
        return 0
    approvals.accredit(
        session,
        verifier,
        _org(session, AUTHORITY),
        crops=CROPS,
        provinces=PROVINCES,
        valid_from=date(2025, 1, 1),
        valid_until=date(2027, 12, 31),
    )
    return 1


def _seasons(report: MrvReport) -> list[Season]:
    return [rs.season for rs in report.seasons]


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


def reports_by_state(session: Db) -> list[tuple[int, str]]:
    """Every report: its id, and its state, HTX, crops and seasons in one line."""
    found = session.scalars(select(MrvReport).order_by(MrvReport.id))
    return [
        (
            r.id,
            f"{r.status.value:<10} {r.organisation.code:<12} "
            f"{','.join(sorted({s.crop for s in _seasons(r)}))} "
            f"{' '.join(sorted(s.code for s in _seasons(r)))}",
        )
        for r in found
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
