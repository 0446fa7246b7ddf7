"""Labels signed with the registry's own label key (so the label page trusts them), on
the packaged batch of tests/labels/conftest.py."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Flask

from registry.accounts.models import Organisation
from registry.db import db
from registry.keys import keystore
from registry.labels import issuance
from registry.labels.models import Label
from registry.trace.models import Batch
from tests.labels.conftest import TODAY, authority, farm, grower, packed, verifier  # noqa: F401

HOUSEHOLD = "Hộ ông Nguyễn Văn Ba"  # the field's household in tests/trace/conftest.py


def path_of(url: str) -> str:
    """A label URL's path and query, to ask the app under test whatever its origin."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def registry_issuer(app: Flask, base_url: str = "http://127.0.0.1:5000") -> issuance.Issuer:
    return issuance.Issuer(app.config["REGISTRY_ID"], base_url, keystore().private("label"))


def issue_on(
    app: Flask, batch: Batch, authority: Organisation, units: int = 0, base: str | None = None
) -> Label:
    request = issuance.request_label(
        db.session, batch.organisation, batch.id, units, 0.5 if units else None
    )
    issuer = registry_issuer(app, base or "http://127.0.0.1:5000")
    label = issuance.issue(db.session, authority, request.id, issuer, TODAY)
    db.session.commit()
    return label


@pytest.fixture
def label(app: Flask, packed: Batch, authority: Organisation) -> Label:
    """A batch label in the GS1 form with three unit labels."""
    return issue_on(app, packed, authority, units=3)
