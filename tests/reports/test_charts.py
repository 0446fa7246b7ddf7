"""Charts are well-formed SVG that fits a phone, with the text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from registry.reports import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart: charts.Chart) -> ET.Element:
    root = ET.fromstring(str(charts.to_svg(chart)))
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox", "").startswith("0 0 320 ")
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_the_trajectory_shows_the_target_and_each_year() -> None:
    chart = charts.trajectory({2026: 8.5, 2027: 11.0}, 12, ("Mục tiêu", "Đạt được"), "T", str)
    root = parse(chart)
    assert {"2020", "2025", "2030", "2035", "Mục tiêu", "Đạt được", "11.0 %"} <= set(texts(root))
    assert len(list(root.iter(f"{SVG}circle"))) == 2


def test_names_are_escaped() -> None:
    root = parse(charts.bars([('<xã> & "phường"', 5.0)], 4.0, ("Mục tiêu", "—"), "<t>", str))
    assert '<xã> & "phường"' in texts(root)
    assert root.get("aria-label") == "<t>"


@given(
    st.dictionaries(
        st.integers(2021, 2040),
        st.none() | st.floats(-500, 500, allow_nan=False),
        max_size=12,
    ),
    st.floats(10, 15),
)
def test_any_trajectory_stays_inside_its_box(points: dict[int, float | None], final: float) -> None:
    chart = charts.trajectory(points, final, ("a", "b"), "t", lambda v: f"{v:.0f}")
    parse(chart)
    for shape in chart.shapes:
        if isinstance(shape, charts.Dot):
            assert 0 <= shape.x <= chart.width and 0 <= shape.y <= chart.height


@given(st.lists(st.tuples(st.text(max_size=40), st.none() | st.floats(-50, 300)), max_size=10))
def test_any_bars_and_shares_draw(rows: list[tuple[str, float | None]]) -> None:
    parse(charts.bars(rows, 4.0, ("a", "b"), "t", str))
    parse(charts.shares(rows, "t", str))
