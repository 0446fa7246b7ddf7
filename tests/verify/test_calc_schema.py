"""The §10 input document: what is accepted, what each refusal says and where, and
``calc_from_json`` end to end. A bare Flask app with Flask-Babel renders the lazy messages,
so no database is needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_babel import Babel
from marshmallow import ValidationError

from registry.validation import localise
from registry.verify.calc_schema import CalcInputSchema, calc_from_json, load_input
from registry.verify.calculator import CalcInput, OrganicAmendment, calculate
from registry.verify.methodology import FOLDER, clear_cache, load_methodology

APP = Flask(__name__)
Babel(APP)

SEASON: dict[str, Any] = {
    "area_ha": 2.0,
    "cultivation_days": 100,
    "water_regime": "continuous",
    "preseason": "nonflooded_short",
    "organic": [{"kind": "straw_short", "t_ha": 3}],
    "synthetic_n_kg": 200,
    "organic_n_kg": 0,
    "urea_kg": 300,
    "straw_burned_t": 2.0,
    "yield_kg": 13000,
}


def refusal(document: object) -> dict[str, Any]:
    """The errors of ``document`` as the CLI and the API show them (plain JSON)."""
    with pytest.raises(ValidationError) as caught:
        calc_from_json(document)
    with APP.test_request_context():
        rendered = localise(caught.value.messages)
    return json.loads(json.dumps(rendered))


def with_(**changes: Any) -> dict[str, Any]:
    return {**SEASON, **changes}


def without(*names: str) -> dict[str, Any]:
    return {k: v for k, v in SEASON.items() if k not in names}


# ------------------------------------------------------------------------- accepted
def test_defaults_of_section_10() -> None:
    season = load_input(without("organic", "synthetic_n_kg", "organic_n_kg", "urea_kg"))
    assert season == CalcInput(
        area_ha=2.0,
        cultivation_days=100,
        water_regime="continuous",
        preseason="nonflooded_short",
        straw_burned_t=2.0,
        yield_kg=13000,
        methodology="ipcc2019-t1-crops",
        gwp="AR5",
        region="south_east_asia",
    )


def test_full_document_loads_as_a_calc_input() -> None:
    season = load_input(with_(gwp="AR6", region="global"))
    assert season.organic == (OrganicAmendment("straw_short", 3.0),)
    assert (season.gwp, season.region, season.baseline) == ("AR6", "global", None)
    assert isinstance(season.cultivation_days, int)


def test_whole_number_of_days_may_be_written_as_a_float() -> None:
    season = load_input(with_(cultivation_days=90.0))
    assert season.cultivation_days == 90 and isinstance(season.cultivation_days, int)


def test_boundaries_are_accepted() -> None:
    assert load_input(with_(cultivation_days=1)).cultivation_days == 1
    assert load_input(with_(cultivation_days=365)).cultivation_days == 365
    assert load_input(with_(area_ha=0.001, straw_burned_t=0, organic=[])).area_ha == 0.001


def test_baseline_takes_the_season_methodology_gwp_and_region() -> None:
    baseline = without("organic")
    season = load_input(with_(gwp="AR6", region="global", baseline=baseline))
    assert season.baseline is not None
    assert (season.baseline.methodology, season.baseline.gwp, season.baseline.region) == (
        "ipcc2019-t1-crops",
        "AR6",
        "global",
    )
    assert season.baseline.organic == ()
    assert season.baseline.baseline is None


def test_baseline_may_repeat_the_season_gwp() -> None:
    season = load_input(with_(gwp="AR6", baseline={**SEASON, "gwp": "AR6"}))
    assert season.baseline is not None and season.baseline.gwp == "AR6"


def test_calc_from_json_is_the_engine_result_as_json() -> None:
    document = with_(baseline=with_(water_regime="continuous", yield_kg=12000))
    result = calc_from_json(document)
    expected = calculate(load_input(document), load_methodology("ipcc2019-t1-crops"))
    assert result == expected.to_json()
    assert json.loads(json.dumps(result, allow_nan=False)) == result
    # worked example (a) of test_calculator: 220 + 557.1673 × 28 + 2.368571 × 265
    assert result["total_kg_co2e"] == pytest.approx(16448.36, rel=1e-3)
    assert result["reduction_pct"] == pytest.approx(100 * (1 - 12000 / 13000), rel=1e-9)
    assert result["reduction_per_ha_pct"] == pytest.approx(0.0, abs=1e-9)


def test_calc_from_json_can_pin_a_version(tmp_path: Path) -> None:
    shipped = json.loads((FOLDER / "ipcc2019-t1-rice-v1.json").read_text())
    (tmp_path / "ipcc2019-t1-rice-v1.json").write_text(json.dumps(shipped))
    shipped["version"] = 2
    (tmp_path / "ipcc2019-t1-rice-v2.json").write_text(json.dumps(shipped))
    rice = {**SEASON, "methodology": "ipcc2019-t1-rice"}
    try:
        assert calc_from_json(rice, folder=tmp_path)["version"] == 2
        assert calc_from_json(rice, version=1, folder=tmp_path)["version"] == 1
    finally:
        clear_cache()


# ------------------------------------------------------------------------- refused
@pytest.mark.parametrize(
    ("document", "errors"),
    [
        (with_(area_ha=-1), {"area_ha": ["Must be more than 0 and at most 100000."]}),
        (with_(area_ha=0), {"area_ha": ["Must be more than 0 and at most 100000."]}),
        (with_(area_ha="2.0"), {"area_ha": ["Not a valid number."]}),
        (with_(area_ha=True), {"area_ha": ["Not a valid number."]}),
        (with_(area_ha=None), {"area_ha": ["Field may not be null."]}),
        (
            with_(area_ha=float("nan")),
            {"area_ha": ["Special numeric values (nan or infinity) are not permitted."]},
        ),
        (
            with_(area_ha=float("inf")),
            {"area_ha": ["Special numeric values (nan or infinity) are not permitted."]},
        ),
        (with_(yield_kg=10**400), {"yield_kg": ["Number too large."]}),
        (with_(cultivation_days=10**400), {"cultivation_days": ["Must be between 1 and 365."]}),
        (with_(cultivation_days=366), {"cultivation_days": ["Must be between 1 and 365."]}),
        (with_(cultivation_days=0), {"cultivation_days": ["Must be between 1 and 365."]}),
        (with_(cultivation_days=90.5), {"cultivation_days": ["Not a valid integer."]}),
        (with_(cultivation_days="90"), {"cultivation_days": ["Not a valid integer."]}),
        (with_(cultivation_days=False), {"cultivation_days": ["Not a valid integer."]}),
        (
            with_(water_regime="flooded"),
            {
                "water_regime": [
                    "Must be one of: continuous, single_drainage, multiple_drainage, "
                    "rainfed_regular, rainfed_drought, deep_water, upland."
                ]
            },
        ),
        (
            with_(preseason="dry"),
            {
                "preseason": [
                    "Must be one of: nonflooded_short, nonflooded_long, flooded_long, "
                    "nonflooded_over_year."
                ]
            },
        ),
        (with_(gwp="AR4"), {"gwp": ["Must be one of: AR5, AR6."]}),
        (with_(region="mekong"), {"region": ["Must be one of: south_east_asia, global."]}),
        (with_(synthetic_n_kg=-5), {"synthetic_n_kg": ["Must be between 0 and 100000000."]}),
        (with_(organic_n_kg="10"), {"organic_n_kg": ["Not a valid number."]}),
        (with_(urea_kg=-0.1), {"urea_kg": ["Must be between 0 and 100000000."]}),
        (with_(straw_burned_t=-1), {"straw_burned_t": ["Must be between 0 and 1000000."]}),
        (with_(yield_kg=0), {"yield_kg": ["Must be more than 0 and at most 100000000."]}),
        (without("yield_kg"), {"yield_kg": ["Missing data for required field."]}),
        (without("water_regime"), {"water_regime": ["Missing data for required field."]}),
        (with_(colour="green"), {"colour": ["Unknown field."]}),
        (with_(organic="straw"), {"organic": ["Not a valid list."]}),
        (
            with_(organic=[{"kind": "straw", "t_ha": 1}]),
            {
                "organic": {
                    "0": {
                        "kind": [
                            "Must be one of: straw_short, straw_long, compost, "
                            "farmyard_manure, green_manure."
                        ]
                    }
                }
            },
        ),
        (
            with_(organic=[{"kind": "compost", "t_ha": 5}, {"kind": "compost", "t_ha": -1}]),
            {"organic": {"1": {"t_ha": ["Must be between 0 and 100."]}}},
        ),
        (
            with_(organic=[{"kind": "compost", "t_ha": 5, "days": 10}]),
            {"organic": {"0": {"days": ["Unknown field."]}}},
        ),
        (
            with_(organic=[{"kind": "compost"}]),
            {"organic": {"0": {"t_ha": ["Missing data for required field."]}}},
        ),
        (with_(methodology=""), {"methodology": ["Between 1 and 60 characters."]}),
        (with_(methodology="nope"), {"methodology": ["There is no methodology nope."]}),
        (with_(baseline=with_(baseline=SEASON)), {"baseline": {"baseline": ["Unknown field."]}}),
        (
            with_(baseline=without("yield_kg")),
            {"baseline": {"yield_kg": ["Missing data for required field."]}},
        ),
        (
            with_(gwp="AR6", baseline=with_(gwp="AR5")),
            {"baseline": {"gwp": ["Must be the same as the season's."]}},
        ),
        (
            with_(baseline=with_(methodology="vn-t2-rice")),
            {"baseline": {"methodology": ["Must be the same as the season's."]}},
        ),
        (with_(baseline=[]), {"baseline": {"_schema": ["Invalid input type."]}}),
        ([SEASON], {"_schema": ["Invalid input type."]}),
        ("{}", {"_schema": ["Invalid input type."]}),
    ],
)
def test_refusals_name_the_field(document: object, errors: dict[str, Any]) -> None:
    assert refusal(document) == errors


def test_all_errors_are_reported_at_once() -> None:
    errors = refusal({"area_ha": -1, "cultivation_days": 0, "water_regime": "x", "nope": 1})
    assert set(errors) == {
        "area_ha",
        "cultivation_days",
        "water_regime",
        "preseason",
        "yield_kg",
        "nope",
    }


def test_own_messages_are_lazy_so_they_follow_the_language() -> None:
    """Our messages are msgids rendered at display time, not English fixed at import."""
    with pytest.raises(ValidationError) as caught:
        CalcInputSchema().load(with_(gwp="AR6", baseline=with_(gwp="AR5")))
    message = caught.value.messages["baseline"]["gwp"][0]  # type: ignore[call-overload]
    assert not isinstance(message, str)
    assert hasattr(message, "_args")  # a flask_babel LazyString
    with APP.test_request_context():
        assert str(message) == "Must be the same as the season's."
