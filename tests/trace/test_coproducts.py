"""Products and steps of every crop, and co-products (issue 20): a vegetable harvest washed
and packed, fruit graded into two grades, rice milling accounting for every kg of paddy,
economic allocation where the authority set prices, and refusals beside the right field.

Seasons of other crops than rice are the grower's approved rice season with its crop set
to another catalogue crop: drawing a harvest only asks for a valid approval, and the
batch's product follows the season's crop, which is what these tests are about."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from registry import crops
from registry.accounts.models import Organisation, OrgKind, User
from registry.db import db
from registry.errors import DomainError
from registry.ledger.models import LogEntry
from registry.trace import batches, prices, steps
from registry.trace.batch_schemas import TransformIn
from registry.trace.models import Batch, BatchInput, Season
from tests.accounts.test_api import bearer
from tests.conftest import SHARED, Factory, csrf_token, login
from tests.trace.test_batch_views import error_for, owner_of
from tests.trace.test_batches import BASE, grower, harvest, mill, rice_coproducts  # noqa: F401
from tests.verify.conftest import farm, verifier  # noqa: F401


def grown_as(season: Season, crop: str) -> None:
    season.crop = crop
    db.session.commit()


def step(
    org: Organisation,
    name: str,
    parent: Batch,
    kg_in: float,
    kg_out: float,
    lot: str,
    coproducts: list[dict[str, Any]] | None = None,
    loss_kg: float | None = None,
) -> Batch:
    values = TransformIn().load(
        {
            "step": name,
            "lot_code": lot,
            "quantity_kg": kg_out,
            "inputs": [{"batch": parent.id, "kg": kg_in}],
            "coproducts": coproducts or [],
            "loss_kg": loss_kg,
        }
    )
    made = batches.transform(db.session, org, values, BASE)
    db.session.commit()
    return made


def refusal(*args: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(DomainError) as caught:
        step(*args, **kwargs)
    db.session.rollback()
    return caught.value.errors


def lot(org: Organisation, code: str) -> Batch:
    found = db.session.scalar(select(Batch).where(Batch.maker_id == org.id, Batch.lot_code == code))
    assert found is not None
    return found


def test_a_vegetable_harvest_is_trimmed_washed_and_packed(
    client: FlaskClient, grower, tmp_path: Path
) -> None:
    org, season = grower
    grown_as(season, "vegetable")
    fresh = harvest(org, season, 1000, "RAU-1")
    assert (fresh.product, fresh.crop) == ("fresh_vegetables", "vegetable")
    trimmed = step(
        org, "trimming", fresh, 1000, 800, "RAU-SC", [{"product": "vegetable_trimmings", "kg": 180}]
    )
    offcuts = lot(org, "RAU-SC-1")
    assert offcuts.product == "vegetable_trimmings" and offcuts.quantity_kg == 180
    # 1,000 kg of emissions over 980 kg of outputs: both carry the same g/kg
    assert trimmed.g_co2e_per_kg == pytest.approx(fresh.g_co2e_per_kg * 1000 / 980)
    assert offcuts.g_co2e_per_kg == pytest.approx(trimmed.g_co2e_per_kg)
    washed = step(org, "washing", trimmed, 800, 780, "RAU-R")
    packed = step(org, "packing", washed, 780, 770, "RAU-G")
    assert packed.product == "packed_vegetables"
    assert packed.g_co2e_per_kg == pytest.approx(fresh.g_co2e_per_kg * 1000 / 980 * 800 / 770)
    assert "allocation" not in packed.derivation  # one output: nothing to share
    document = batches.upstream_document(db.session, packed)
    events = document["epcisBody"]["eventList"]
    assert [e.get("bizStep") for e in events] == [
        "commissioning",
        "urn:phatthaithap:bizstep:trimming",
        "urn:phatthaithap:bizstep:washing",
        "packing",
    ]
    path = tmp_path / "vegetables.jsonld"
    path.write_text(json.dumps(document), encoding="utf-8")
    checked = subprocess.run(
        [sys.executable, str(SHARED / "checks/epcis_check.py"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    login(client, owner_of(org))
    page = client.get(f"/batches/{packed.id}").get_data(as_text=True)
    assert "Rau đóng gói" in page
    assert not any(word in page.lower() for word in ("thóc", "gạo", "lúa", "paddy"))


def test_fruit_is_graded_into_two_grades_by_mass(grower) -> None:
    org, season = grower
    grown_as(season, "longan")
    fresh = harvest(org, season, 1000, "NHAN-1")
    assert fresh.product == "fresh_longan"
    first = step(org, "grading", fresh, 1000, 700, "N1", [{"product": "longan_grade_2", "kg": 250}])
    second = lot(org, "N1-1")
    assert (first.product, second.product) == ("longan_grade_1", "longan_grade_2")
    assert first.derivation["allocation"] == second.derivation["allocation"] == "mass"
    assert first.g_co2e_per_kg == second.g_co2e_per_kg
    assert first.g_co2e_per_kg == pytest.approx(fresh.g_co2e_per_kg * 1000 / 950)
    assert first.derivation["step"]["loss_kg"] == 50
    assert fresh.remaining_kg == 0
    # the draw is divided between the grades by mass, to the gram
    drawn = db.session.scalars(select(BatchInput.grams).where(BatchInput.parent_id == fresh.id))
    assert sorted(drawn) == [263158, 736842]  # 1,000,000 g × 250/950 and × 700/950


def test_the_authoritys_prices_share_emissions_by_economic_value(
    client: FlaskClient, grower, make: Factory
) -> None:
    org, season = grower
    grown_as(season, "longan")
    authority = db.session.get(Organisation, make.org(kind=OrgKind.AUTHORITY, code="CCTT").id)
    assert authority is not None
    prices.set_price(db.session, authority, "longan_grade_1", 30000)
    db.session.commit()
    fresh = harvest(org, season, 2000, "NHAN-1")
    half = step(org, "grading", fresh, 1000, 700, "A", [{"product": "longan_grade_2", "kg": 250}])
    assert half.derivation["allocation"] == "mass"  # grade 2 has no price yet
    login(client, make.user(authority))
    token = csrf_token(client, "/batches/prices")
    for bad, field in (
        ({"product": "nho", "vnd_per_kg": "1"}, "product"),
        ({"product": "longan_grade_2", "vnd_per_kg": "-5"}, "vnd_per_kg"),
    ):
        answer = client.post("/batches/prices", data={"csrf_token": token, **bad})
        assert answer.status_code == 422 and error_for(answer.get_data(as_text=True), field)
    done = client.post(
        "/batches/prices",
        data={"csrf_token": token, "product": "longan_grade_2", "vnd_per_kg": "10000"},
    )
    assert done.status_code == 302
    first = step(org, "grading", fresh, 1000, 700, "B", [{"product": "longan_grade_2", "kg": 250}])
    second = lot(org, "B-1")
    # E = I × 1,000 kg; grade 1 is worth 700 × 30,000 of 700 × 30,000 + 250 × 10,000
    emissions = fresh.g_co2e_per_kg * 1000
    assert first.derivation["allocation"] == "economic"
    assert first.g_co2e_per_kg == pytest.approx(emissions * 21 / 23.5 / 700)
    assert second.g_co2e_per_kg == pytest.approx(emissions * 2.5 / 23.5 / 250)
    assert first.g_co2e_per_kg / second.g_co2e_per_kg == pytest.approx(3)  # as their prices
    assert [o["vnd_per_kg"] for o in first.derivation["step"]["outputs"]] == [30000, 10000]
    client.post("/logout", data={"csrf_token": token})
    login(client, owner_of(org))
    page = client.get(f"/batches/{first.id}").get_data(as_text=True)
    assert 'data-allocation="economic"' in page and "theo giá trị kinh tế" in page
    assert client.get("/batches/prices").status_code == 403
    entry = db.session.scalar(select(LogEntry.entry).where(LogEntry.index == first.log_index))
    assert entry is not None and b'"allocation":"economic"' in entry


def test_rice_milling_accounts_for_every_kg_of_paddy(grower) -> None:
    org, season = grower
    paddy = harvest(org, season, 2000)
    errors = refusal(org, "milling", paddy, 1000, 650, "GAO-1")  # husk and bran not recorded
    assert len(errors["coproducts"]) == 2 and "loss_kg" not in errors
    husk_bran = rice_coproducts(1000, 650)[:2]
    errors = refusal(org, "milling", paddy, 1000, 650, "GAO-1", husk_bran)
    assert "loss_kg" in errors  # 70 kg, 7 %, unaccounted: at most 3 % may be lost
    rice = step(org, "milling", paddy, 1000, 650, "GAO-1", rice_coproducts(1000, 650), 10)
    outputs = rice.derivation["step"]["outputs"]
    assert [(o["product"], o["kg"]) for o in outputs] == [
        ("milled_rice", 650),
        ("rice_husk", 200),
        ("rice_bran", 80),
        ("broken_rice", 60),
    ]
    assert sum(o["kg"] for o in outputs) + rice.derivation["step"]["loss_kg"] == 1000
    drawn = db.session.scalar(
        select(func.sum(BatchInput.grams)).where(BatchInput.parent_id == paddy.id)
    )
    assert drawn == 1_000_000 and paddy.remaining_kg == 1000
    husk = lot(org, "GAO-1-1")
    assert (husk.product, husk.crop, husk.quantity_kg) == ("rice_husk", "rice", 200)
    assert husk.g_co2e_per_kg == pytest.approx(rice.g_co2e_per_kg)
    wrong_sum = refusal(org, "milling", paddy, 1000, 650, "GAO-2", rice_coproducts(1000, 650), 20)
    assert "loss_kg" in wrong_sum


def test_refusals_name_the_field(grower) -> None:
    org, season = grower
    paddy = harvest(org, season, 2000)
    assert "step" in refusal(org, "washing", paddy, 1000, 950, "X")
    assert "step" in refusal(org, "grading", paddy, 1000, 950, "X")
    co = rice_coproducts(1000, 650)
    low = refusal(org, "milling", paddy, 1000, 500, "X", co)
    assert "quantity_kg" in low
    husk = refusal(org, "milling", paddy, 1000, 650, "X", [{**co[0], "kg": 300}, *co[1:]])
    assert "coproducts.0.kg" in husk
    alien = refusal(
        org, "milling", paddy, 1000, 650, "X", [*co, {"product": "longan_grade_2", "kg": 1}]
    )
    assert "coproducts.3.product" in alien
    twice = refusal(org, "milling", paddy, 1000, 650, "X", [*co, co[0]])
    assert "coproducts" in twice
    assert db.session.scalar(select(func.count(Batch.id))) == 1


def test_the_api_refuses_a_step_that_does_not_apply_with_problem_details(
    app: Flask, client: FlaskClient, grower
) -> None:
    org, season = grower
    paddy = harvest(org, season, 1000)
    owner = db.session.scalar(select(User).where(User.organisation_id == org.id))
    assert owner is not None
    answer = client.post(
        "/api/v1/batches/transform",
        json={
            "step": "washing",
            "lot_code": "X",
            "quantity_kg": 950,
            "inputs": [{"batch": paddy.id, "kg": 1000}],
        },
        headers=bearer(app, owner, ("read", "write")),
    )
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert "step" in answer.json["errors"]


def test_the_form_offers_only_the_steps_of_the_parents_product(client: FlaskClient, grower) -> None:
    org, season = grower
    paddy = harvest(org, season, 1000)
    login(client, owner_of(org))
    page = client.get("/batches/process").get_data(as_text=True)  # one product held
    assert 'data-steps="drying husking milling merge"' in page
    assert "Rửa" not in page and "Phân loại" not in page
    form = client.get("/batches/process?product=paddy&step=washing").get_data(as_text=True)
    assert 'name="quantity_kg"' not in form  # washing is not offered for paddy
    form = client.get("/batches/process?product=paddy&step=milling").get_data(as_text=True)
    assert all(f'name="co_{c}"' in form for c in ("rice_husk", "rice_bran", "broken_rice"))
    token = csrf_token(client, "/batches")
    made = client.post(
        "/batches/process?product=paddy&step=milling",
        data={
            "csrf_token": token,
            f"kg_{paddy.id}": "1000",
            "lot_code": "GAO-1",
            "quantity_kg": "650",
            "co_rice_husk": "200",
            "co_rice_bran": "80",
            "co_broken_rice": "60",
        },
    )
    assert made.status_code == 302, made.get_data(as_text=True)
    rice = lot(org, "GAO-1")
    page = client.get(f"/batches/{rice.id}").get_data(as_text=True)
    assert 'data-allocation="mass"' in page and "Trấu" in page


def test_every_catalogue_step_uses_a_cbv_business_step_or_its_own_uri() -> None:
    schema = json.loads((SHARED / "data/epcis/EPCIS-JSON-Schema.json").read_text())
    listed = schema["definitions"]["bizStep"]["anyOf"][1]["enum"]
    assert crops.CBV_BIZ_STEPS == set(listed)
    for code in steps.step_codes():
        biz = steps.biz_step(code)
        assert biz in listed or biz == f"urn:phatthaithap:bizstep:{code}"
    for crop in crops.catalogue().values():
        assert crop.products[crop.harvested].crop == crop.code
        for t in crop.transforms:  # every step's input comes from the crop's own products
            assert crops.crop_of(t.input) is crop and t.main in crop.products


# ---------------------------------------------------------------- the pure core
RULES = [t for crop in crops.catalogue().values() for t in crop.transforms]


@given(
    rule=st.sampled_from(RULES),
    grams=st.integers(1, 10_000_000),
    fractions=st.lists(st.floats(0, 1.2), min_size=1, max_size=5),
    declared=st.none() | st.integers(0, 10_000_000),
)
def test_an_accepted_balance_accounts_for_every_gram_and_never_more(
    rule: crops.Transform, grams: int, fractions: list[float], declared: int | None
) -> None:
    codes = list(rule.outputs)
    outputs = [
        steps.Output(codes[n % len(codes)], max(1, round(grams * f)))
        for n, f in enumerate(fractions[: len(codes)])
    ]
    checked = steps.balance(rule, grams, outputs, declared)
    made = sum(o.g for o in outputs)
    if checked.ok:
        assert made + checked.loss_g == grams and made <= grams
        assert all(rule.outputs[o.product].holds(o.g / grams) for o in outputs)
        assert rule.loss.holds(checked.loss_g / grams)
    if made > grams:
        assert not checked.ok


@given(
    total=st.integers(1, 10**9),
    weights=st.lists(st.integers(1, 10**7), min_size=1, max_size=6),
)
def test_apportioned_grams_sum_to_the_draw_and_give_each_output_one(
    total: int, weights: list[int]
) -> None:
    parts = steps.apportion(total, weights)
    assert sum(parts) == total and all(p >= 0 for p in parts)
    if total >= len(weights):
        assert all(p >= 1 for p in parts)


@given(
    masses=st.lists(st.integers(1, 10**7), min_size=2, max_size=5),
    priced=st.lists(st.integers(0, 10**6), min_size=5, max_size=5),
    intensity=st.floats(0.1, 10_000),
)
def test_allocation_shares_the_whole_input_emissions(
    masses: list[int], priced: list[int], intensity: float
) -> None:
    outputs = [steps.Output(f"p{n}", g) for n, g in enumerate(masses)]
    emissions = intensity * sum(masses) * 1.1 / 1000  # the input weighed 10 % more
    for table in (None, {f"p{n}": p for n, p in enumerate(priced)}):
        allocation = steps.allocate(outputs, table)
        carried = [
            steps.intensity(emissions, f, o.g) * o.g / 1000
            for o, f in zip(outputs, allocation.fractions, strict=True)
        ]
        assert sum(carried) == pytest.approx(emissions)
        if allocation.method == steps.MASS:  # every output the same g/kg
            per_kg = {round(c / o.g, 9) for c, o in zip(carried, outputs, strict=True)}
            assert len(per_kg) == 1
