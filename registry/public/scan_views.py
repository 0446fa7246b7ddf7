"""Scan statistics for the people who answer for labels: the holder sees its own labels,
the authority sees every label. Counts by day, province and coarse locale, and the unit
labels whose scans look like copies of one QR code (scans.py says why)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template
from flask_login import login_required

from registry.accounts.access import acting_organisation
from registry.accounts.models import Organisation, OrgKind
from registry.db import db
from registry.public import records, scans
from registry.trace.service import today_in_vietnam

bp = Blueprint("scans", __name__)


def _holder(org: Organisation) -> str | None:
    """Whose labels the organisation may see: None (all) for the authority."""
    return None if org.kind is OrgKind.AUTHORITY else org.code


def _provinces(counts: list[tuple[str, int]]) -> dict[str, Any]:
    """What templates/public/_provinces.html shows."""
    return {
        "provinces": counts,
        "provinces_counted": bool(current_app.config["SCAN_REGION_HEADER"]),
        "unknown": scans.UNKNOWN,
        "abroad": scans.ABROAD,
    }


@bp.get("/scans")
@login_required
def overview() -> str:
    holder = _holder(acting_organisation())
    today = today_in_vietnam()
    return render_template(
        "public/scans.html",
        flagged=scans.flagged(db.session, holder, today),
        busiest=scans.most_scanned(db.session, holder, today),
        **_provinces(scans.by_province_of(db.session, holder, today)),
        reasons=scans.REASONS,
        why=scans.reasons,
    )


@bp.get("/scans/<serial>")
@login_required
def label(serial: str) -> str:
    holder = _holder(acting_organisation())
    found = records.label_by_serial(db.session, serial)
    if found is None or holder not in (None, found.organisation):
        abort(404)
    today = today_in_vietnam()
    days = scans.by_day(db.session, found, today)
    return render_template(
        "public/scan.html",
        label=found,
        days=days,
        most=max((n for _, n in days), default=0),
        locales=scans.by_locale(db.session, found, today),
        **_provinces(scans.by_province(db.session, found, today)),
        flagged=[
            p for p in scans.flagged(db.session, holder, today) if p.batch_serial == found.serial
        ],
        reasons=scans.REASONS,
        why=scans.reasons,
    )
