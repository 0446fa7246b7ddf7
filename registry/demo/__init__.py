"""Demo data that looks like the programme in late 2026 (loading twice adds nothing)."""

from __future__ import annotations

from pathlib import Path

from registry.db import Db
from registry.demo.accounts import DEMO_PASSWORD, ORGANISATIONS, USERS, load_accounts
from registry.demo.batches import load_batches
from registry.demo.certificates import load_certificates
from registry.demo.farms import load_farms
from registry.demo.horticulture import FIELDS as HORTICULTURE
from registry.demo.labels import load_labels
from registry.demo.labels import summary as labels_summary
from registry.demo.mrv import VERIFIER_LOGIN, load_mrv, reports_by_state, with_photos
from registry.labels.issuance import Issuer
from registry.trace.evidence import app_store

__all__ = ["DEMO_PASSWORD", "ORGANISATIONS", "USERS", "load_demo", "summary"]


def load_demo(session: Db, instance: Path, issuer: Issuer) -> int:
    """Create whatever part of the demo is missing; returns how many records it added.
    `instance` receives the demo verifier's private key (its 'own machine'); `issuer`
    signs the demo labels, and its base URL names the batches in their EPCIS events.
    Diary photos go where the app keeps evidence (its store, `registry.storage`)."""
    photos = app_store()
    created = load_accounts(session) + load_farms(session, photos)
    created += load_farms(session, photos, HORTICULTURE) + load_certificates(session)
    created += load_mrv(session, instance / "demo-verifier.pem")
    created += load_batches(session, issuer.base_url)
    return created + load_labels(session, issuer)


def summary(session: Db, base_url: str) -> list[str]:
    """What a tester looks for, as `registry demo` prints it: the logins, each label's serial
    with the verdict its page shows, each report with its state and crops, and the queued
    reports whose diaries have photos."""
    names = {code: (name, commune, province) for code, name, _, province, commune in ORGANISATIONS}
    lines = [f"demo logins (password {DEMO_PASSWORD}):"]
    for code, email, _, _ in USERS:
        name, commune, province = names[code]
        lines.append(f"  {email:<28} {code:<12} {name}, {commune}, {province}")
    lines.append("demo reports (state, HTX, crops, seasons, page):")
    lines += [f"  {line} {base_url}/mrv/reports/{rid}" for rid, line in reports_by_state(session)]
    lines.append("demo labels (verdict, serial, lot, page):")
    lines += [f"  {line}" for line in labels_summary(session)]
    for report_id, htx in with_photos(session):
        lines.append(
            f"awaiting verification, with diary photos: {htx}'s report "
            f"{base_url}/mrv/reports/{report_id}/review (sign in as {VERIFIER_LOGIN})"
        )
    return lines
