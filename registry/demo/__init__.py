"""Demo data that looks like the programme in late 2026 (loading twice adds nothing)."""

from __future__ import annotations

from pathlib import Path

from registry.db import Db
from registry.demo.accounts import DEMO_PASSWORD, ORGANISATIONS, USERS, load_accounts
from registry.demo.batches import load_batches
from registry.demo.farms import load_farms
from registry.demo.labels import load_labels
from registry.demo.mrv import load_mrv
from registry.labels.issuance import Issuer

__all__ = ["DEMO_PASSWORD", "ORGANISATIONS", "USERS", "load_demo"]


def load_demo(session: Db, instance: Path, issuer: Issuer) -> int:
    """Create whatever part of the demo is missing; returns how many records it added.
    `instance` receives the demo verifier's private key (its 'own machine'); `issuer`
    signs the demo labels, and its base URL names the batches in their EPCIS events."""
    created = load_accounts(session) + load_farms(session)
    created += load_mrv(session, instance / "demo-verifier.pem")
    created += load_batches(session, issuer.base_url)
    return created + load_labels(session, issuer)
