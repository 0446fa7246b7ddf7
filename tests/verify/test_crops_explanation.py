"""The result partial of the explanation page with §10b results: lines for lime, energy,
trees cut and the trees' uptake when they are not zero, the tree age against the cycle, no
figure per kg without a harvest, and the flag on factors not read in their primary table."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from flask import Flask, render_template

from registry.verify.calc_schema import calc_from_json
from tests.verify.test_cli import AWD
from tests.verify.test_crops_calculator import MAIZE, MATURE_ORCHARD, RICE_PUMPED, YOUNG_ORCHARD


def rendered(app: Flask, document: dict[str, Any]) -> str:
    out = calc_from_json(document)
    result = SimpleNamespace(
        result=out,
        inputs=document,
        sources={},
        area_ha=document["area_ha"],
        yield_kg=document["yield_kg"],
        methodology=out["methodology"],
        version=out["version"],
        computed_at=datetime(2026, 3, 20, 3, 0, tzinfo=UTC),
        season=SimpleNamespace(is_baseline=False),
    )
    with app.test_request_context("/?lang=vi"):
        return render_template(
            "verify/_result.html", r=result, chart="", entries={}, kinds={}, entry_href="#"
        )


def test_maize_shows_lime_fuel_and_residue_burning_but_no_flooded_field(app: Flask) -> None:
    html = rendered(app, MAIZE)
    assert "CO₂ từ vôi bón" in html and "Nhiên liệu và điện" in html
    assert "Đốt tàn dư cây trồng" in html
    assert "EF<sub>c</sub>" not in html  # no methane of a flooded field
    assert "Trên mỗi kg thu hoạch" in html
    assert "Cây đã chặt" not in html and "Cacbon cây hấp thụ" not in html


def test_a_young_orchard_shows_its_uptake_beside_and_no_figure_per_kg(app: Flask) -> None:
    html = rendered(app, YOUNG_ORCHARD)
    assert "Cacbon cây hấp thụ" in html
    assert "Cây 2 tuổi, sinh trưởng trong 8 năm:" in html
    assert "11.440 kg CO₂" in html  # 1.2 ha × 2.6 t C × 1000 × 44/12, Vietnamese grouping
    assert "chưa thu hoạch trong kỳ này" in html
    assert "Chưa đọc được trong bảng gốc:" in html  # Table 5.1 was not read directly


def test_a_mature_orchard_shows_the_trees_cut_and_no_more_uptake(app: Flask) -> None:
    html = rendered(app, MATURE_ORCHARD)
    assert "Cây đã chặt" in html and "38.500,0 kg CO₂" in html
    assert "đã qua 8 năm sinh trưởng" in html
    assert "Cacbon cây hấp thụ" not in html


def test_rice_shows_its_energy_line_only_when_it_used_energy(app: Flask) -> None:
    pumped = rendered(app, RICE_PUMPED)
    assert "EF<sub>c</sub>" in pumped and "Nhiên liệu và điện" in pumped
    assert "Trên mỗi kg lúa" in pumped
    plain = rendered(app, AWD)
    assert "Nhiên liệu và điện" not in plain and "CO₂ từ vôi bón" not in plain
    assert "Chưa đọc được trong bảng gốc:" not in plain
    frozen = rendered(app, {**AWD, "methodology": "ipcc2019-t1-rice"})
    assert "EF<sub>c</sub>" in frozen and "Nhiên liệu và điện" not in frozen
