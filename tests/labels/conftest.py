"""A packaged batch of rice from an approved season, criteria in force, and an issuer."""

from __future__ import annotations

from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask

from registry.accounts.models import Organisation, OrgKind
from registry.db import db
from registry.labels import criteria, issuance
from registry.trace import batches
from registry.trace.batch_schemas import TransformIn
from registry.trace.models import Batch
from tests.conftest import Factory
from tests.trace.test_batches import BASE, grower, harvest, mill, rice_coproducts  # noqa: F401
from tests.verify.conftest import farm, verifier  # noqa: F401

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
