"""`registry mrv calc FILE|-` (DESIGN.md §10): the same code as the web app."""

from __future__ import annotations

import json
from pathlib import Path

from flask.testing import FlaskCliRunner

from registry.verify.calc_schema import calc_from_json

AWD = {
    "area_ha": 1.5,
    "cultivation_days": 95,
    "water_regime": "multiple_drainage",
    "preseason": "nonflooded_short",
    "synthetic_n_kg": 150,
    "urea_kg": 200,
    "yield_kg": 6500,
}


def test_calc_prints_the_result_json_from_stdin_or_a_file(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(args=["mrv", "calc", "-"], input=json.dumps(AWD))
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed == json.loads(json.dumps(calc_from_json(AWD)))
    assert printed["methodology"] == "ipcc2019-t1-crops" and printed["version"] == 1
    source = tmp_path / "input.json"
    source.write_text(json.dumps({**AWD, "baseline": {**AWD, "water_regime": "continuous"}}))
    with_baseline = json.loads(runner.invoke(args=["mrv", "calc", str(source)]).output)
    assert with_baseline["reduction_pct"] > 0


def test_bad_input_exits_2_with_field_errors_only(runner: FlaskCliRunner) -> None:
    bad = {**AWD, "area_ha": -1, "water_regime": "swamp", "cultivation_days": 400}
    result = runner.invoke(args=["mrv", "calc", "-"], input=json.dumps(bad))
    assert result.exit_code == 2
    errors = json.loads(result.output)["errors"]
    assert {"area_ha", "water_regime", "cultivation_days"} <= set(errors)
    garbage = runner.invoke(args=["mrv", "calc", "-"], input="{not json")
    assert garbage.exit_code == 2 and "errors" in json.loads(garbage.output)
