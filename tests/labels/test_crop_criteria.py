"""Label criteria per crop (issue 20): the authority sets, per crop and criteria version,
the least reduction against 2020 and the most g CO2e per kg a product may carry; a crop
without its own rule takes the general reduction and no ceiling."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from registry.accounts.models import Organisation
from registry.db import db
from registry.labels import criteria
from registry.labels.models import Criteria
from registry.ledger.models import LogEntry
from registry.trace.models import Batch
from tests.conftest import Factory, csrf_token, login
from tests.labels.conftest import TODAY


def version(authority: Organisation, **values: object) -> Criteria:
    made = criteria.set_criteria(
        db.session, authority, {"min_reduction_pct": 10, "validity_days": 365, **values}
    )
    db.session.commit()
    return made


def checks(batch: Batch, made: Criteria) -> dict[str, tuple[bool, str]]:
    found = criteria.evaluate(db.session, batch, made, TODAY)
    return {c.name: (c.passed, str(c.detail)) for c in found.checks}


def test_a_rule_for_the_batchs_crop_replaces_the_general_reduction_and_adds_a_ceiling(
    packed: Batch, authority: Organisation
) -> None:
    got = packed.reduction_pct
    assert got is not None
    ceiling = packed.g_co2e_per_kg + 1
    made = version(
        authority,
        crop_rules={"rice": {"min_reduction_pct": got + 0.5, "max_g_co2e_per_kg": ceiling}},
    )
    named = checks(packed, made)
    reduction = next(n for n in named if "2020" in n)
    intensity = next(n for n in named if "CO₂e" in n)
    assert "Lúa" in reduction and "Lúa" in intensity  # the rule says whose it is
    assert named[reduction][0] is False  # just short of the rice rule
    assert named[intensity][0] is True
    assert not criteria.evaluate(db.session, packed, made, TODAY).passed


def test_the_ceiling_fails_a_product_above_it(packed: Batch, authority: Organisation) -> None:
    made = version(authority, crop_rules={"rice": {"max_g_co2e_per_kg": packed.g_co2e_per_kg - 1}})
    named = checks(packed, made)
    intensity = next(n for n in named if "CO₂e" in n)
    assert named[intensity][0] is False
    reduction = next(n for n in named if "2020" in n)
    assert "10 %" in reduction  # no reduction of its own: the general one


def test_other_crops_rules_leave_a_batch_to_the_general_rule(
    packed: Batch, authority: Organisation
) -> None:
    made = version(
        authority,
        crop_rules={"vegetable": {"min_reduction_pct": 99, "max_g_co2e_per_kg": 1}},
    )
    named = checks(packed, made)
    assert not any("CO₂e" in n for n in named)
    assert criteria.evaluate(db.session, packed, made, TODAY).passed


def test_the_strictest_rule_of_several_crops_applies(
    packed: Batch, authority: Organisation
) -> None:
    made = version(
        authority,
        crop_rules={
            "rice": {"min_reduction_pct": 5, "max_g_co2e_per_kg": 900},
            "maize": {"min_reduction_pct": 20, "max_g_co2e_per_kg": 400},
        },
    )
    limits = criteria.thresholds(made, {"rice", "maize"})
    assert (limits.min_reduction_pct, limits.max_g_co2e_per_kg) == (20, 400)
    assert limits.crops == ("maize", "rice")
    general = criteria.thresholds(made, {"flower"})
    assert (general.min_reduction_pct, general.max_g_co2e_per_kg, general.crops) == (10, None, ())


def test_rules_are_logged_and_empty_ones_dropped(ctx: None, authority: Organisation) -> None:
    made = version(
        authority,
        crop_rules={
            "vegetable": {"max_g_co2e_per_kg": 350, "min_reduction_pct": None},
            "maize": {"min_reduction_pct": None, "max_g_co2e_per_kg": None},
        },
    )
    assert made.crop_rules == {"vegetable": {"max_g_co2e_per_kg": 350}}
    entry = db.session.get(LogEntry, made.log_index)
    assert (
        entry is not None and b'"crop_rules":{"vegetable":{"max_g_co2e_per_kg":350' in entry.entry
    )


def test_the_authority_sets_rules_per_crop_on_the_criteria_page(
    client: FlaskClient, make: Factory, packed: Batch, authority: Organisation
) -> None:
    login(client, make.user(authority))
    page = client.get("/labels/criteria").get_data(as_text=True)
    assert "Rau" in page and "Cây ăn quả" in page  # every crop of the catalogue, by name
    token = csrf_token(client, "/labels/criteria")
    form = {"csrf_token": token, "min_reduction_pct": "10", "validity_days": "365"}
    bad = client.post(
        "/labels/criteria",
        data={**form, "rule-vegetable-max_g_co2e_per_kg": "0", "rule-maize-min_reduction_pct": "x"},
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="rule-vegetable-max_g_co2e_per_kg-error"' in html
    assert 'id="rule-maize-min_reduction_pct-error"' in html
    assert db.session.query(Criteria).count() == 1  # nothing half-written
    good = client.post(
        "/labels/criteria",
        data={
            **form,
            "rule-vegetable-max_g_co2e_per_kg": "350",
            "rule-rice-min_reduction_pct": "15",
        },
    )
    assert good.status_code == 302
    latest = criteria.current(db.session)
    assert latest.crop_rules == {
        "rice": {"min_reduction_pct": 15.0},
        "vegetable": {"max_g_co2e_per_kg": 350.0},
    }
    shown = client.get("/labels/criteria").get_data(as_text=True)
    assert 'value="350.0"' in shown or 'value="350"' in shown


@pytest.mark.parametrize("crop", ["sugarcane", "RICE"])
def test_an_unknown_crop_is_refused(ctx: None, crop: str) -> None:
    from marshmallow import ValidationError

    from registry.labels.schemas import CriteriaIn

    with pytest.raises(ValidationError) as refused:
        CriteriaIn().load({"min_reduction_pct": 10, "crop_rules": {crop: {"min_reduction_pct": 5}}})
    assert "crop_rules" in refused.value.messages
