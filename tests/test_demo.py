"""Every demo login works and sees its own organisation only (the README lists them)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry.db import db
from registry.demo import DEMO_PASSWORD, ORGANISATIONS, USERS, load_demo
from registry.labels.api import issuer
from registry.labels.models import Label, LabelStatus
from registry.trace import batches, capture
from registry.trace.models import Batch, Product
from tests.conftest import csrf_token


def test_each_demo_role_signs_in_and_sees_only_its_organisation(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        load_demo(db.session, Path(app.instance_path), issuer())
        db.session.commit()
    names = {code: name for code, name, *_ in ORGANISATIONS}
    for code, email, person, _ in USERS:
        response = client.post(
            "/login",
            data={
                "email": email,
                "password": DEMO_PASSWORD,
                "csrf_token": csrf_token(client, "/login"),
            },
        )
        assert response.status_code == 302, email
        page = client.get("/organisation").get_data(as_text=True)
        assert names[code] in page and person in page
        other_people = [p for c, _, p, _ in USERS if c != code]
        assert not any(p in page for p in other_people), email
        client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})


def test_the_demo_chain_ends_with_packaged_rice_at_the_retailer(app: Flask) -> None:
    with app.app_context():
        load_demo(db.session, Path(app.instance_path), issuer())
        db.session.commit()
        packed = db.session.scalar(select(Batch).where(Batch.product == Product.PACKAGED_RICE))
        assert packed is not None and packed.organisation.code == "RET-XANH"
        assert packed.gtin and packed.reduction_pct and packed.reduction_pct > 0
        document = batches.upstream_document(db.session, packed)
        assert capture.problems(document) == {}
        steps = [e.get("bizStep") for e in document["epcisBody"]["eventList"]]
        assert steps[0] == "commissioning" and steps[-2:] == ["shipping", "receiving"]


def test_the_demo_has_labels_of_both_url_forms_and_a_revoked_one(app: Flask) -> None:
    with app.app_context():
        load_demo(db.session, Path(app.instance_path), issuer())
        db.session.commit()
        labels = db.session.scalars(select(Label).where(Label.parent_id.is_(None))).all()
        forms = {("/01/" in lb.url, lb.status) for lb in labels}
        assert {(True, LabelStatus.VALID), (False, LabelStatus.VALID)} <= forms
        assert (True, LabelStatus.REVOKED) in forms
