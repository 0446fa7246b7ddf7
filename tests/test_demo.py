"""Every demo login works and sees its own organisation only (the README lists them); the
demo shows what a tester looks for: photos to review, every label verdict, certificates."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry.accounts.models import Organisation
from registry.db import db, utcnow
from registry.demo import DEMO_PASSWORD, ORGANISATIONS, USERS, load_demo, summary
from registry.keys import keystore
from registry.labels import criteria, status
from registry.labels import token as ptt1
from registry.labels.api import issuer
from registry.labels.models import Label, LabelStatus
from registry.public.verdict import trust_list
from registry.reports import figures, rollup
from registry.reports.periods import Period
from registry.trace import batches, capture
from registry.trace.models import (
    Batch,
    Certification,
    EvidenceFile,
    Field,
    Scheme,
    Season,
)
from registry.trace.service import baseline_of, today_in_vietnam
from registry.verify import signing
from registry.verify.models import Approval, MrvReport, ReportStatus, VerifierKey
from registry.verify.results import latest_result
from tests.conftest import csrf_token

VERDICTS = ("valid", "revoked", "suspended", "expired")


@pytest.fixture
def demo(app: Flask) -> None:
    with app.app_context():
        load_demo(db.session, Path(app.instance_path), issuer())
        db.session.commit()


def sign_in(client: FlaskClient, email: str) -> None:
    response = client.post(
        "/login",
        data={
            "email": email,
            "password": DEMO_PASSWORD,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert response.status_code == 302, email


def test_each_demo_role_signs_in_and_sees_only_its_organisation(
    demo: None, client: FlaskClient
) -> None:
    names = {code: name for code, name, *_ in ORGANISATIONS}
    for code, email, person, _ in USERS:
        sign_in(client, email)
        page = client.get("/organisation").get_data(as_text=True)
        assert names[code] in page and person in page
        other_people = [p for c, _, p, _ in USERS if c != code]
        assert not any(p in page for p in other_people), email
        client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})


def test_the_demo_chain_ends_with_packaged_rice_at_the_retailer(app: Flask, demo: None) -> None:
    with app.app_context():
        packed = db.session.scalar(select(Batch).where(Batch.product == "packaged_rice"))
        assert packed is not None and packed.organisation.code == "RET-XANH"
        assert packed.gtin and packed.reduction_pct and packed.reduction_pct > 0
        document = batches.upstream_document(db.session, packed)
        assert capture.problems(document) == {}
        steps = [e.get("bizStep") for e in document["epcisBody"]["eventList"]]
        assert steps[0] == "commissioning" and steps[-2:] == ["shipping", "receiving"]


def test_the_demo_has_labels_of_both_url_forms_and_a_revoked_one(app: Flask, demo: None) -> None:
    with app.app_context():
        labels = db.session.scalars(select(Label).where(Label.parent_id.is_(None))).all()
        forms = {("/01/" in lb.url, lb.status) for lb in labels}
        assert {(True, LabelStatus.VALID), (False, LabelStatus.VALID)} <= forms
        assert (True, LabelStatus.REVOKED) in forms


def test_a_queued_report_has_photos_one_taken_far_from_its_field(
    app: Flask, demo: None, client: FlaskClient
) -> None:
    """The photos went through the upload service: where and when they were taken was read
    from their EXIF, and the verifier's review page shows it, flagging the far one."""
    with app.app_context():
        report = db.session.scalar(
            select(MrvReport)
            .join(Organisation)
            .where(Organisation.code == "HTX-THOILAI", MrvReport.status == ReportStatus.SUBMITTED)
        )
        assert report is not None
        cited = {sha for season in report.content["seasons"] for sha in season["evidence"]}
        photos = [db.session.get(EvidenceFile, (report.organisation_id, sha)) for sha in cited]
        assert len(photos) == 3
        for photo in photos:
            assert photo is not None and photo.content_type == "image/jpeg"
            assert photo.meta["gps"]["lat"] and photo.meta["taken_at"].startswith("20")
        report_id = report.id
    sign_in(client, "thamdinh@demo.ptt.vn")
    html = client.get(f"/mrv/reports/{report_id}/review").get_data(as_text=True)
    shown = re.findall(r'data-gps="[^"]+">[^<]*</span> · <span class="(\w*)">', html)
    assert sorted(shown) == ["", "", "bad"]  # "bad": more than 2 km from the field
    images = set(re.findall(r'<img src="([^"]+/evidence/[0-9a-f]{64})"', html))
    assert len(images) == 3
    for url in images:
        image = client.get(url)
        assert image.status_code == 200 and image.mimetype == "image/jpeg"


def test_the_demo_labels_show_every_verdict_on_their_page_and_in_the_status_api(
    app: Flask, demo: None, client: FlaskClient
) -> None:
    with app.app_context():
        now = utcnow()
        labels = db.session.scalars(select(Label).where(Label.parent_id.is_(None))).all()
        by_verdict = {status.state(lb, now).status: lb for lb in labels}
        assert set(by_verdict) == set(VERDICTS)
        expired = by_verdict["expired"]
        trust = trust_list(keystore().published("label"))
        checked = ptt1.check_url(expired.url, trust, (), now.timestamp())
        assert checked.status is ptt1.Status.EXPIRED  # offline verifiers refuse it too
        assert by_verdict["suspended"].reason_code == "under_review"
        pages = {verdict: (lb.serial, lb.url) for verdict, lb in by_verdict.items()}
        printed = "\n".join(summary(db.session, app.config["PUBLIC_BASE_URL"]))
    for verdict, (serial, url) in pages.items():
        assert client.get(f"/api/v1/labels/{serial}").json["status"] == verdict
        parts = urlsplit(url)
        html = client.get(f"{parts.path}?{parts.query}").get_data(as_text=True)
        assert re.findall(r'data-verdict="([a-z]+)"', html) == [verdict]
        assert re.search(rf"^  {verdict} +{serial} ", printed, re.MULTILINE), printed


def test_the_demo_has_valid_and_expired_certificates_that_the_reports_count(
    app: Flask, demo: None, client: FlaskClient
) -> None:
    today = today_in_vietnam()
    with app.app_context():
        certificates = db.session.scalars(select(Certification)).all()
        valid = {c.scheme for c in certificates if c.valid_from <= today <= c.valid_until}
        assert {Scheme.VIETGAP, Scheme.ORGANIC, Scheme.OCOP} <= valid
        assert any(c.valid_until < today for c in certificates)
        rollup.refresh(db.session, timedelta(0))
        for province in ("Hải Phòng", "Cần Thơ"):  # each province's dashboard
            sums = figures.emissions(db.session, figures.Area(province), Period(2026))
            assert sums.share(sums.vietgap_area_ha) and sums.share(sums.organic_area_ha)
        db.session.commit()
        label = db.session.scalar(
            select(Label).where(
                Label.parent_id.is_(None),
                Label.gtin.is_not(None),
                Label.status == LabelStatus.VALID,
            )
        )
        assert label is not None
        parts = urlsplit(label.url)
    html = client.get(f"{parts.path}?{parts.query}").get_data(as_text=True)
    assert "VietGAP-TT-21-03-92-0047" in html and "OCOP-CT-2024-0152" in html


# ---------------------------------------------------------------- crops besides rice (issue 19)
def _seasons_of(org_code: str, crop: str) -> list[Season]:
    return list(
        db.session.scalars(
            select(Season)
            .join(Field)
            .join(Organisation)
            .where(Organisation.code == org_code, Season.crop == crop)
            .order_by(Season.code)
        )
    )


@pytest.mark.parametrize(
    ("org_code", "province", "commune", "crop"),
    [
        ("HTX-HADONG", "Hà Nội", "phường Hà Đông", "vegetable"),
        ("HTX-HADONG", "Hà Nội", "phường Hà Đông", "flower"),
        ("HTX-DOSON", "Hải Phòng", "phường Đồ Sơn", "longan"),
    ],
)
def test_each_2026_season_of_vegetables_flowers_and_longan_is_compared_with_2020(
    app: Flask, demo: None, org_code: str, province: str, commune: str, crop: str
) -> None:
    with app.app_context():
        seasons = _seasons_of(org_code, crop)
        assert {s.year for s in seasons} == {2020, 2026}
        for season in seasons:
            assert (season.field.province, season.field.commune) == (province, commune)
            assert season.crop_info.offers("harvest")
            result = latest_result(db.session, season.id)
            assert result is not None, season.code
            if season.year == 2020:
                assert result.baseline_total_kg_co2e is None
                continue
            baseline = baseline_of(db.session, season)
            assert baseline is not None and baseline.year == 2020 and baseline.crop == crop
            # the baseline the result was computed against is that 2020 season's own result
            base = latest_result(db.session, baseline.id)
            assert base is not None and result.baseline_total_kg_co2e == base.total_kg_co2e
            assert result.reduction_per_ha_pct == pytest.approx(
                100 * (1 - result.per_ha_kg_co2e / base.per_ha_kg_co2e)
            )
            if result.yield_kg:
                assert result.reduction_pct == pytest.approx(
                    100 * (1 - result.per_kg_product_g_co2e / base.per_kg_product_g_co2e)
                )
                assert result.reduction_pct > 0, season.code


def test_the_young_longan_block_bears_nothing_yet_and_takes_up_carbon(
    app: Flask, demo: None
) -> None:
    """§10b: trees younger than Table 5.1's cycle (8 years, tropical moist) take up
    G = 2.6 t C/ha/yr on the area still standing; the mature block (planted 2008) no more."""
    with app.app_context():
        young, mature = (
            next(s for s in _seasons_of("HTX-DOSON", "longan") if s.code == f"{code}-2026-N")
            for code in ("DS-04", "DS-03")
        )
        result = latest_result(db.session, young.id)
        assert result is not None and young.tree_age_years is not None
        assert young.tree_age_years < 8 and young.harvest_date is None
        assert result.yield_kg == 0 and result.per_kg_product_g_co2e is None
        removals = result.result["removals_kg_co2"]
        assert removals > 0
        assert removals == pytest.approx(young.field.area_ha * 2.6 * 1000 * 44 / 12)
        grown = latest_result(db.session, mature.id)
        assert grown is not None and grown.yield_kg > 0
        assert grown.result["removals_kg_co2"] == 0


@pytest.mark.parametrize(
    ("org_code", "crops"), [("HTX-HADONG", {"vegetable"}), ("HTX-DOSON", {"longan"})]
)
def test_the_new_crops_have_an_approval_signed_with_the_verifiers_registered_key(
    app: Flask, demo: None, org_code: str, crops: set[str]
) -> None:
    with app.app_context():
        approved = [
            r
            for r in db.session.scalars(
                select(MrvReport)
                .join(Organisation)
                .where(Organisation.code == org_code, MrvReport.status == ReportStatus.APPROVED)
            )
            if {rs.season.crop for rs in r.seasons} == crops
        ]
        assert len(approved) == 1
        report = approved[0]
        assert all(rs.season.year == 2026 for rs in report.seasons)
        approval = db.session.scalar(select(Approval).where(Approval.report_id == report.id))
        assert approval is not None and approval.verifier.code == "VER-VNMRV"
        key = db.session.scalar(
            select(VerifierKey).where(
                VerifierKey.kid == approval.kid, VerifierKey.organisation_id == approval.verifier_id
            )
        )
        assert key is not None
        public = Ed25519PublicKey.from_public_bytes(signing.from_b64url(key.public_key))
        statement = approval.statement
        assert statement["report"] == report.id and statement["verifier"] == "VER-VNMRV"
        assert statement["type"] == "mrv.approval"
        assert signing.verify(statement, approval.signature, public)
        # the statement's bytes are RFC 8785 (JCS), as an outside auditor re-encodes them
        public.verify(signing.from_b64url(approval.signature), rfc8785.dumps(statement))
        # the demo verifier's own machine holds the matching private key
        pem = (Path(app.instance_path) / "demo-verifier.pem").read_bytes()
        assert signing.kid(signing.load_private_key(pem).public_key()) == approval.kid


def test_vegetable_and_flower_cycles_still_wait_in_the_verifiers_queue(
    app: Flask, demo: None
) -> None:
    with app.app_context():
        waiting = db.session.scalars(
            select(MrvReport).where(MrvReport.status == ReportStatus.SUBMITTED)
        ).all()
        crops = {rs.season.crop for r in waiting for rs in r.seasons}
        assert {"rice", "vegetable", "flower"} <= crops


def test_the_explanation_pages_show_the_new_crops_results(
    app: Flask, demo: None, client: FlaskClient
) -> None:
    for email, code in (
        ("htx.hadong@demo.ptt.vn", "HD-03-2026-C1"),
        ("htx.doson@demo.ptt.vn", "DS-04-2026-N"),
    ):
        sign_in(client, email)
        page = client.get(f"/mrv/seasons/{code}")
        assert page.status_code == 200, code
        client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})


def test_loading_the_demo_again_adds_nothing(app: Flask, demo: None) -> None:
    with app.app_context():
        assert load_demo(db.session, Path(app.instance_path), issuer()) == 0


# ---------------------------------------------------------------- labels of every crop (issue 20)
def _register(client: FlaskClient) -> list[dict[str, Any]]:
    """Every label of the open register (GET /api/v1/labels), page after page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/api/v1/labels{query}").json
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_the_public_register_lists_valid_labels_of_rice_vegetables_and_fruit(
    demo: None, client: FlaskClient
) -> None:
    valid = [item for item in _register(client) if item["status"] == "valid"]
    assert {"rice", "vegetable", "longan"} <= {item["crop"] for item in valid}
    products = {item["crop"]: item["product"] for item in valid if item["crop"] != "rice"}
    assert products == {"vegetable": "packed_vegetables", "longan": "packed_longan"}
    for item in valid:
        assert item["organisation"] == "RET-XANH" or item["product"] == "milled_rice"
        assert item["reduction_pct"] > 0
        # only the orchard's trees take up carbon, shown beside the emissions
        assert (item["removals_kg_co2_per_kg"] is None) == (item["crop"] != "longan")
        html = client.get(urlsplit(item["url"]).path + "?" + urlsplit(item["url"]).query)
        assert re.findall(r'data-verdict="([a-z]+)"', html.get_data(as_text=True)) == ["valid"]


def test_the_longan_label_carries_the_young_blocks_carbon_per_kg(
    app: Flask, demo: None, client: FlaskClient
) -> None:
    """Hand-computed from the demo's figures: DS-05 (0.6 ha, trees planted 2020, younger
    than Table 5.1's 8-year cycle) takes up 0.6 × 2.6 × 1000 × 44/12 kg CO2 over its 3,900
    kg; 2,200 of the lot's 8,200 kg come from it, the other 6,000 from DS-03's mature trees,
    which take up none. Grading gives 70 % first grade at 30,000 đồng/kg and 25 % second
    grade at 12,000 đồng/kg, so the first grade takes that share of the value; packing keeps
    99 %."""
    per_kg_ds05 = 0.6 * 2.6 * 1000 * 44 / 12 / 3900
    harvest = 2200 * per_kg_ds05 / 8200
    first, second = 0.70 * 8200, 0.25 * 8200
    share = first * 30_000 / (first * 30_000 + second * 12_000)
    packed = harvest * 8200 * share / first / 0.99
    with app.app_context():
        label = db.session.scalar(
            select(Label).where(Label.parent_id.is_(None), Label.crop == "longan")
        )
        assert label is not None
        serial = label.serial
        batch = label.batch
        assert batch.quantity_kg == pytest.approx(0.99 * first, abs=0.05)
    shown = client.get(f"/api/v1/labels/{serial}").json["removals_kg_co2_per_kg"]
    assert shown == pytest.approx(packed, rel=1e-3)


def test_every_kg_of_paddy_the_mill_drew_is_accounted_for(app: Flask, demo: None) -> None:
    with app.app_context():
        rice = db.session.scalar(select(Batch).where(Batch.product == "milled_rice"))
        assert rice is not None and rice.step == "milling"
        step = rice.derivation["step"]
        (paddy,) = [db.session.get(Batch, part["batch"]) for part in rice.derivation["inputs"]]
        assert paddy is not None and paddy.product == "paddy"
        made = {o["product"]: o["kg"] for o in step["outputs"]}
        assert set(made) == {"milled_rice", "rice_husk", "rice_bran", "broken_rice"}
        outputs = db.session.scalars(
            select(Batch).where(Batch.lot_code.in_([o["lot"] for o in step["outputs"]]))
        ).all()
        assert {b.product: b.quantity_kg for b in outputs} == made
        # in whole grams: the outputs and the loss are what was drawn, all of the paddy
        drawn_g = paddy.quantity_g
        assert step["input_kg"] * 1000 == drawn_g and paddy.remaining_g == 0
        loss_g = round(step["loss_kg"] * 1000)
        assert sum(b.quantity_g for b in outputs) + loss_g == drawn_g
        assert 0 <= loss_g <= 0.03 * drawn_g  # the catalogue's milling loss range
        assert made["rice_husk"] / paddy.quantity_kg == pytest.approx(0.20, abs=1e-4)


@pytest.mark.parametrize(
    ("product", "htx", "seasons", "steps"),
    [
        ("packed_vegetables", "HTX-HADONG", {"HD-01-2026-C1"}, {"trimming", "washing"}),
        ("packed_longan", "HTX-DOSON", {"DS-03-2026-N", "DS-05-2026-N"}, {"grading"}),
    ],
)
def test_the_vegetable_and_longan_chains_end_at_the_retailer(
    app: Flask, demo: None, product: str, htx: str, seasons: set[str], steps: set[str]
) -> None:
    with app.app_context():
        packed = db.session.scalar(select(Batch).where(Batch.product == product))
        assert packed is not None and packed.organisation.code == "RET-XANH"
        assert packed.maker.code == htx and packed.gtin and packed.step == "packing"
        assert packed.reduction_pct and packed.reduction_pct > 0
        upstream = db.session.scalars(
            select(Batch).where(Batch.id.in_(batches.ancestor_ids(db.session, packed.id)))
        ).all()
        assert steps | {"harvest", "packing"} <= {b.step for b in upstream}
        drawn = {s.code for s, _ in criteria.upstream_seasons(db.session, packed)}
        assert drawn == seasons
        document = batches.upstream_document(db.session, packed)
        assert capture.problems(document) == {}
        biz = [e.get("bizStep") for e in document["epcisBody"]["eventList"]]
        assert biz[0] == "commissioning" and biz[-2:] == ["shipping", "receiving"]
        labels = db.session.scalars(select(Label).where(Label.batch_id == packed.id)).all()
        batch_labels = [lb for lb in labels if lb.parent_id is None]
        assert len(batch_labels) == 1 and len(labels) > 1  # with its unit labels
        assert batch_labels[0].status is LabelStatus.VALID
        assert batch_labels[0].criteria_version == criteria.current(db.session).version
