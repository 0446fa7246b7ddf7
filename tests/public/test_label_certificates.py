"""A label page lists the certificates of the fields its product comes from, and marks
one past its date as expired, so a lapsed VietGAP never reads as current (issue 18)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient

from registry.accounts.models import Organisation
from registry.db import db
from registry.labels.models import Label
from registry.trace import service
from registry.trace.models import Batch, Season
from registry.trace.service import today_in_vietnam
from tests.public.conftest import path_of


def test_an_expired_certificate_is_marked_and_a_valid_one_is_not(
    app: Flask, client: FlaskClient, label: Label, packed: Batch
) -> None:
    today = today_in_vietnam()
    season = db.session.scalars(db.select(Season)).first()
    assert season is not None
    org = db.session.get(Organisation, season.field.organisation_id)
    assert org is not None
    for scheme, number, until in (
        ("vietgap", "VG-CURRENT", today + timedelta(days=300)),
        ("organic", "HC-LAPSED", today - timedelta(days=1)),
    ):
        service.add_certification(
            db.session,
            org,
            season.field.code,
            {
                "scheme": scheme,
                "number": number,
                "issuer": "Trung tâm Chứng nhận",
                "valid_from": date(2024, 1, 1),
                "valid_until": until,
            },
        )
    db.session.commit()
    page = client.get(path_of(label.url)).get_data(as_text=True)
    items = {
        n: line for line in page.split("<li>") for n in ("VG-CURRENT", "HC-LAPSED") if n in line
    }
    assert "data-cert-expired" in items["HC-LAPSED"] and "hết hạn" in items["HC-LAPSED"]
    assert "data-cert-expired" not in items["VG-CURRENT"]
