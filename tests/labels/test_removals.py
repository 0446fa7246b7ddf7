"""The CO2 an orchard's trees took up, per kg, from an approved growing year through
harvest, grading with a co-product, splits, merges and packing, onto the label and its
status (DESIGN.md §7 and §10b; issue 20): beside the emission figure, never netted into it,
and null for crops that take up none."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade
from sqlalchemy import select
from werkzeug.test import Client

from registry.db import db
from registry.labels import criteria, issuance, status
from registry.labels import token as ptt1
from registry.labels.fast_status import StatusFastPath
from registry.labels.models import Label
from registry.ledger import service as ledger
from registry.trace import batches, prices
from registry.trace.batch_schemas import MergeIn, TransformIn
from registry.trace.models import Batch
from registry.verify.models import EmissionResult
from tests.conftest import Factory, login
from tests.labels.conftest import (  # noqa: F401
    ORCHARD_REMOVALS_KG_CO2,
    ORCHARD_REMOVALS_PER_KG,
    TODAY,
    authority,
    issuer,
    orchard,
    packed,
)
from tests.trace.test_batches import BASE, harvest
from tests.trace.test_coproducts import grown_as, step

FIELDS = {
    "serial",
    "status",
    "reason",
    "url",
    "product",
    "batch",
    "organisation",
    "commune",
    "g_co2e_per_kg",
    "reduction_pct",
    "issued_at",
    "expires_at",
    "log_index",
    "crop",
    "removals_kg_co2_per_kg",
}


def graded_and_packed(orchard) -> tuple[Batch, Batch, Batch, Batch]:
    """4,000 kg of fresh longan graded into 2,800 kg first and 1,000 kg second grade
    (200 kg of rejects), the first grade packed into 2,772 kg with a GTIN."""
    org, season = orchard
    fresh = harvest(org, season, 4000, "NHAN-1")
    first = step(
        org, "grading", fresh, 4000, 2800, "N1", [{"product": "longan_grade_2", "kg": 1000}]
    )
    (second,) = [b for b in org_batches(org) if b.product == "longan_grade_2"]
    values = TransformIn().load(
        {
            "step": "packing",
            "lot_code": "HOP-1",
            "gtin": "8934567890137",
            "quantity_kg": 2772,
            "inputs": [{"batch": first.id, "kg": 2800}],
        }
    )
    packed_fruit = batches.transform(db.session, org, values, BASE)
    db.session.commit()
    return fresh, first, second, packed_fruit


def org_batches(org) -> list[Batch]:
    return batches.held_by(db.session, org)


def test_the_approved_growing_year_took_up_what_the_hand_computation_says(orchard) -> None:
    _, season = orchard
    result = batches.verified(db.session, season)
    assert result is not None
    assert result.result.result["removals_kg_co2"] == pytest.approx(ORCHARD_REMOVALS_KG_CO2)
    assert result.result.yield_kg == 8000


def test_removals_follow_the_mass_from_harvest_through_grading_to_packing(orchard) -> None:
    fresh, first, second, packed_fruit = graded_and_packed(orchard)
    # Harvest: 9,533.33 kg CO2 over the 8,000 kg picked, whatever part is drawn.
    assert fresh.removals_kg_co2_per_kg == pytest.approx(ORCHARD_REMOVALS_PER_KG)
    assert fresh.derivation["removals_kg_co2_per_kg"] == pytest.approx(1.1916667, rel=1e-6)
    # Grading by mass: 4,000 kg in, 3,800 kg out, so each kg out carries 4,000/3,800 of a
    # kg in: 1.19167 × 4000 / 3800 = 1.25439.
    assert first.derivation["allocation"] == "mass"
    assert first.removals_kg_co2_per_kg == pytest.approx(1.2543860, rel=1e-6)
    assert second.removals_kg_co2_per_kg == pytest.approx(1.2543860, rel=1e-6)
    # Packing at 99 %: 1.25439 × 2800 / 2772 = 1.26706.
    assert packed_fruit.removals_kg_co2_per_kg == pytest.approx(1.2670566, rel=1e-6)
    assert packed_fruit.derivation["removals_kg_co2_per_kg"] == packed_fruit.removals_kg_co2_per_kg
    # Every kg CO2 drawn is on an output: 4,000 × 1.19167 = 2,800 × 1.25439 + 1,000 × 1.25439.
    taken_up = 4000 * fresh.removals_kg_co2_per_kg
    shared = 2800 * first.removals_kg_co2_per_kg + 1000 * second.removals_kg_co2_per_kg
    assert shared == pytest.approx(taken_up)
    # Beside the emissions, never netted: the intensity is the emissions' own.
    assert fresh.g_co2e_per_kg == pytest.approx(fresh.derivation["inputs"][0]["g_co2e_per_kg"])
    assert fresh.g_co2e_per_kg > 0


def test_economic_allocation_shares_removals_as_it_shares_emissions(
    orchard,
    authority,
) -> None:
    org, season = orchard
    prices.set_price(db.session, authority, "longan_grade_1", 30000)
    prices.set_price(db.session, authority, "longan_grade_2", 10000)
    db.session.commit()
    fresh = harvest(org, season, 4000, "NHAN-2")
    first = step(
        org, "grading", fresh, 4000, 2800, "E1", [{"product": "longan_grade_2", "kg": 1000}]
    )
    (second,) = [b for b in org_batches(org) if b.lot_code != "E1" and b.step == "grading"]
    assert first.derivation["allocation"] == "economic"
    # Values 2,800 × 30,000 and 1,000 × 10,000 VND: the first grade takes 84/94 of the
    # 4,000 × 1.19167 kg CO2, over its 2,800 kg: 1.52128; the second 10/94 over 1,000 kg.
    taken_up = 4000 * ORCHARD_REMOVALS_PER_KG
    assert first.removals_kg_co2_per_kg == pytest.approx(taken_up * 84 / 94 / 2800)
    assert second.removals_kg_co2_per_kg == pytest.approx(taken_up * 10 / 94 / 1000)
    for made in (first, second):  # the same shares as the emissions
        ratio = made.removals_kg_co2_per_kg / made.g_co2e_per_kg
        assert ratio == pytest.approx(fresh.removals_kg_co2_per_kg / fresh.g_co2e_per_kg)


def test_splits_keep_and_merges_weigh_removals_by_kg(orchard) -> None:
    org, season = orchard
    fresh = harvest(org, season, 4000, "NHAN-3")
    graded = step(
        org, "grading", fresh, 4000, 2800, "G1", [{"product": "longan_grade_2", "kg": 1000}]
    )
    other = harvest(org, season, 1000, "NHAN-4")
    other_graded = step(
        org, "grading", other, 1000, 600, "G2", [{"product": "longan_grade_2", "kg": 350}]
    )
    part, _ = batches.split(db.session, org, graded.id, [{"kg": 800}, {"kg": 500}], BASE)
    assert part.removals_kg_co2_per_kg == pytest.approx(graded.removals_kg_co2_per_kg)
    values = MergeIn().load(
        {
            "lot_code": "GOP-1",
            "inputs": [{"batch": part.id, "kg": 800}, {"batch": other_graded.id, "kg": 600}],
        }
    )
    merged = batches.merge(db.session, org, values, BASE)
    db.session.commit()
    # 1.19167 × 4000/3800 on 800 kg and 1.19167 × 1000/950 on 600 kg, over 1,400 kg.
    r = ORCHARD_REMOVALS_PER_KG
    expected = (800 * r * 4000 / 3800 + 600 * r * 1000 / 950) / 1400
    assert merged.removals_kg_co2_per_kg == pytest.approx(expected)
    assert merged.derivation["removals_kg_co2_per_kg"] == merged.removals_kg_co2_per_kg


def test_rice_and_vegetables_carry_no_removals(packed, grower) -> None:
    assert packed.removals_kg_co2_per_kg is None
    assert packed.derivation["removals_kg_co2_per_kg"] is None
    assert all(p["removals_kg_co2_per_kg"] is None for p in packed.derivation["inputs"])
    org, season = grower
    grown_as(season, "vegetable")
    greens = harvest(org, season, 500, "RAU-1")
    assert greens.removals_kg_co2_per_kg is None


def issue_on(batch: Batch, authority, issuer, units: int = 0) -> Label:
    request = issuance.request_label(
        db.session, batch.organisation, batch.id, units, 0.5 if units else None
    )
    label = issuance.issue(db.session, authority, request.id, issuer, TODAY)
    db.session.commit()
    return label


@pytest.fixture
def longan_label(orchard, authority, issuer) -> Label:
    _, _, _, packed_fruit = graded_and_packed(orchard)
    criteria.set_criteria(db.session, authority, {"min_reduction_pct": 10, "validity_days": 365})
    db.session.commit()
    return issue_on(packed_fruit, authority, issuer, units=2)


def test_an_orchard_label_snapshots_its_crop_and_removals_and_keeps_the_token_claims(
    longan_label: Label, issuer
) -> None:
    label = longan_label
    assert (label.crop, label.product) == ("longan", "packed_longan")
    assert label.removals_kg_co2_per_kg == round(1.2670566, 3) == 1.267
    assert label.g_co2e_per_kg == round(label.batch.g_co2e_per_kg)  # emissions only
    units = issuance.units_of(db.session, label.id)
    assert [(u.crop, u.removals_kg_co2_per_kg) for u in units] == [("longan", 1.267)] * 2
    # The PTT1 token claims what it claimed before: no crop, no removals (DESIGN.md §5).
    trust = {bytes.fromhex(issuer.kid): issuer.key.public_key()}
    claims = ptt1.verify(label.url.split("?le=")[1], trust, label.issued_at.timestamp())
    assert claims.g_co2e_per_kg == label.g_co2e_per_kg
    entry = ledger.entry(db.session, label.log_index)
    assert b'"crop":"longan"' in entry and b'"removals_kg_co2_per_kg":1.267' in entry


def test_the_status_api_listing_and_bulk_carry_crop_and_removals(
    app: Flask,
    client: FlaskClient,
    longan_label: Label,
    packed,
    authority,
    issuer,
) -> None:
    rice = issue_on(packed, authority, issuer)
    fast = app.wsgi_app
    assert isinstance(fast, StatusFastPath)
    through_flask = Client(fast.wrapped)
    for label, crop, removals in ((longan_label, "longan", 1.267), (rice, "rice", None)):
        answer = client.get(f"/api/v1/labels/{label.serial}")
        assert answer.status_code == 200 and set(answer.json) == FIELDS
        assert (answer.json["crop"], answer.json["removals_kg_co2_per_kg"]) == (crop, removals)
        assert answer.json == through_flask.get(f"/api/v1/labels/{label.serial}").json
    bulk = client.post(
        "/api/v1/labels/status", json={"serials": [longan_label.serial, "ZZZZ0000", rice.serial]}
    )
    assert bulk.status_code == 200
    found = [(o.get("crop"), o.get("removals_kg_co2_per_kg")) for o in bulk.json]
    assert found == [("longan", 1.267), (None, None), ("rice", None)]
    listed = client.get("/api/v1/labels?limit=10").json["items"]
    assert [(o["serial"], o["crop"], o["removals_kg_co2_per_kg"]) for o in listed] == [
        (rice.serial, "rice", None),
        (longan_label.serial, "longan", 1.267),
    ]
    assert all(set(o) == FIELDS for o in listed)
    unit = issuance.units_of(db.session, longan_label.id)[0]
    assert client.get(f"/api/v1/labels/{unit.serial}").json["removals_kg_co2_per_kg"] == 1.267
    row = status.status_row(db.session.connection(), longan_label.serial)
    assert (row.crop, row.removals_kg_co2_per_kg) == ("longan", 1.267)


def test_the_openapi_document_describes_the_new_fields(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    found = schemas["LabelStatusOut"]["properties"]
    assert found["crop"]["type"] == "string"
    removals = found["removals_kg_co2_per_kg"]
    assert (removals["type"], removals["nullable"]) == ("number", True)  # OpenAPI 3.0
    assert "never netted" in removals["description"]


def test_a_result_without_a_harvest_gives_no_figure_to_draw(orchard) -> None:
    """A young block that bore nothing has removals but no kg: nothing is drawn from it,
    and its figure per kg is nought rather than a division by zero."""
    _, season = orchard
    result = db.session.get(EmissionResult, batches.verified(db.session, season).result.id)
    assert result is not None
    result.yield_kg = 0
    assert batches._result_removals(result) == 0.0
    db.session.rollback()


def test_the_staff_label_page_shows_removals_beside_the_intensity(
    client: FlaskClient,
    longan_label: Label,
    packed,
    authority,
    issuer,
    make: Factory,
) -> None:
    rice = issue_on(packed, authority, issuer)
    login(client, make.user(authority))
    page = client.get(f"/labels/{longan_label.serial}").get_data(as_text=True)
    assert "Cacbon cây hấp thụ" in page and 'data-removals="1.267"' in page
    assert "1,267 kg CO₂ mỗi kg, ghi bên cạnh phát thải, không bao giờ trừ vào phát thải" in page
    assert f"{longan_label.g_co2e_per_kg} g CO₂e/kg" in page  # the emissions' own figure
    assert "data-removals" not in client.get(f"/labels/{rice.serial}").get_data(as_text=True)


def test_the_migration_works_out_existing_orchard_batches_as_the_service_did(
    app: Flask,
    longan_label: Label,
    packed,
    authority,
    issuer,
) -> None:
    """Going back before the columns and up again (revision 149b898a90fe) fills them from
    the records: each orchard batch's removals as the service computed them, none for
    rice, and each label its product's crop and its batch's removals."""
    issue_on(packed, authority, issuer)
    made = {b.id: b.removals_kg_co2_per_kg for b in db.session.scalars(select(Batch))}
    labels = {lb.serial: (lb.crop, lb.removals_kg_co2_per_kg) for lb in _labels()}
    assert {c for c, _ in labels.values()} == {"longan", "rice"}
    db.session.commit()
    db.session.remove()
    downgrade(revision="9b3e6d1f4a27")
    upgrade()
    again = {b.id: b.removals_kg_co2_per_kg for b in db.session.scalars(select(Batch))}
    assert again.keys() == made.keys()
    for batch_id, removals in made.items():
        assert again[batch_id] == (None if removals is None else pytest.approx(removals)), batch_id
    assert {lb.serial: (lb.crop, lb.removals_kg_co2_per_kg) for lb in _labels()} == labels


def _labels() -> list[Label]:
    return list(db.session.scalars(select(Label)))
