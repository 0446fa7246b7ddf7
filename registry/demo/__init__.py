"""Demo data that looks like the programme in late 2026 (loading twice adds nothing)."""

from __future__ import annotations

from pathlib import Path

from registry.db import Db
from registry.demo.accounts import DEMO_PASSWORD, ORGANISATIONS, USERS, load_accounts
from registry.demo.batches import load_batches
from registry.demo.farms import load_farms
from registry.demo.mrv import load_mrv

__all__ = ["DEMO_PASSWORD", "ORGANISATIONS", "USERS", "load_demo"]


def load_demo(session: Db, instance: Path, base_url: str) -> int:
    """Create whatever part of the demo is missing; returns how many records it added.
    `instance` receives the demo verifier's private key (its 'own machine'); `base_url`
    names the batches in their EPCIS events."""
    created = load_accounts(session) + load_farms(session)
    created += load_mrv(session, instance / "demo-verifier.pem")
    return created + load_batches(session, base_url)
