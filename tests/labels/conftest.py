"""A packaged batch of rice from an approved season, criteria in force, and an issuer."""

from __future__ import annotations

from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from sqlalchemy import select

from registry.accounts.models import Organisation, OrgKind
from registry.db import db
from registry.labels import criteria, issuance
from registry.labels import token as ptt1
from registry.labels.models import Label
from registry.trace import batches, service
from registry.trace.batch_schemas import TransformIn
from registry.trace.models import Batch, Season
from registry.trace.schemas import SeasonIn
from registry.verify import approvals, reports, signing
from registry.verify.models import Decision
from tests.conftest import Factory
from tests.trace.test_batches import BASE, grower, harvest, mill, rice_coproducts  # noqa: F401
from tests.verify.conftest import farm, keep, verifier  # noqa: F401

TODAY = date(2026, 9, 1)


@pytest.fixture
def authority(make: Factory) -> Organisation:
    found = db.session.get(Organisation, make.org(kind=OrgKind.AUTHORITY, code="CT-CCTT").id)
    assert found is not None
    return found


@pytest.fixture
def packed(grower, authority: Organisation) -> Batch:
    """2,000 kg paddy milled (65 %) and packed (99 %) with a GTIN; criteria version 1."""
    org, season = grower
    paddy = harvest(org, season, 2000)
    rice = batches.transform(
        db.session,
        org,
        TransformIn().load(
            {
                "step": "milling",
                "lot_code": "GAO-1",
                "quantity_kg": 1300,
                "inputs": [{"batch": paddy.id, "kg": 2000}],
                "coproducts": rice_coproducts(2000, 1300),
            }
        ),
        BASE,
    )
    bag = batches.transform(
        db.session,
        org,
        TransformIn().load(
            {
                "step": "packing",
                "lot_code": "TUI-1",
                "gtin": "8934567890120",
                "quantity_kg": 1287,
                "inputs": [{"batch": rice.id, "kg": 1300}],
            }
        ),
        BASE,
    )
    criteria.set_criteria(db.session, authority, {"min_reduction_pct": 10, "validity_days": 365})
    db.session.commit()
    return bag


@pytest.fixture
def issuer(app: Flask) -> issuance.Issuer:
    return issuance.Issuer("PTT-TEST", "http://127.0.0.1:5000", Ed25519PrivateKey.generate())


def reference(row: Label, issuer: issuance.Issuer) -> tuple[str, str]:
    """The token and URL of a stored label, signed again from its columns by `token.sign`."""
    claims = ptt1.LabelClaims(
        serial=row.serial,
        lot=row.lot,
        gtin=row.gtin,
        g_co2e_per_kg=row.g_co2e_per_kg,
        reduction_permille=row.reduction_permille,
        methodology=row.methodology,
        verifier=row.verifier,
        log_index=row.log_index,
        iss=issuer.registry_id,
        iat=int(row.issued_at.timestamp()),
        exp=int(row.expires_at.timestamp()),
    )
    token = ptt1.sign(claims, issuer.key)
    return token, ptt1.label_url(issuer.base_url, row.serial, token, row.gtin, row.lot)


# ---------------------------------------------------------------- an approved longan orchard
#: The orchard on `farm`'s field DS-01 (1 ha, Cần Thơ: tropical moist), planted in 2019: a
#: young block still growing, so its trees take up carbon (DESIGN.md §10b).
ORCHARD_2020 = [
    ("planting", "2020-03-01", {"trees": 400, "planting_year": 2019}),
    ("fertiliser", "2020-04-01", {"product": "NPK 16-16-8", "kg": 400, "n_pct": 16}),
    ("harvest", "2020-08-10", {"kg": 3000}),
]
ORCHARD_2025 = [
    ("planting", "2025-03-01", {"trees": 400, "planting_year": 2019}),
    ("fertiliser", "2025-04-01", {"product": "NPK 16-16-8", "kg": 300, "n_pct": 16}),
    ("harvest", "2025-08-10", {"kg": 8000}),
]
#: Removals of the 2025 growing year by hand: 1 ha × G 2.6 t C/ha/yr (IPCC 2006 Vol 4 ch 5
#: Table 5.1, tropical moist) × 1000 × 44/12, the trees 6 years old (< the 8-year cycle),
#: nothing cut; over the 8,000 kg picked.
ORCHARD_REMOVALS_KG_CO2 = 1.0 * 2.6 * 1000 * 44 / 12  # 9,533.33 kg CO2
ORCHARD_REMOVALS_PER_KG = ORCHARD_REMOVALS_KG_CO2 / 8000  # 1.1917 kg CO2 per kg of longan


@pytest.fixture
def orchard(farm, verifier) -> tuple[Organisation, Season]:
    """`farm`'s HTX with a longan growing year (March 2025 to February 2026) and its 2020
    baseline year, reported and approved by VER-1, accredited for rice and longan."""
    org, user, _, _ = farm
    ver, key, kid = verifier
    authority = db.session.scalar(
        select(Organisation).where(Organisation.kind == OrgKind.AUTHORITY)
    )
    approvals.accredit(
        db.session,
        ver,
        authority,
        crops=["rice", "longan"],
        provinces=["Cần Thơ"],
        valid_from=date(2020, 1, 1),
        valid_until=date(2027, 12, 31),
    )
    years = []
    for start, diary in (("2020-03-01", ORCHARD_2020), ("2025-03-01", ORCHARD_2025)):
        values = {"field": "DS-01", "crop": "longan", "season_type": "growing_year"}
        season = service.open_season(
            db.session,
            org,
            SeasonIn().load(
                {**values, "year": start[:4], "sowing_date": start, "planting_year": 2019}
            ),
        )
        keep(org, user, season, diary)
        years.append(season)
    db.session.commit()
    grown = years[1]
    report = reports.create_report(
        db.session, org, user, date(2025, 3, 1), date(2026, 2, 28), [grown.code]
    )
    reports.submit(db.session, org, report.id)
    statement = approvals.new_statement(db.session, ver, report.id, Decision.APPROVED, kid)
    approvals.record_decision(db.session, ver, report.id, statement, signing.sign(statement, key))
    db.session.commit()
    return org, grown
