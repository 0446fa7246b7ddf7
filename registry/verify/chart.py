"""A small server-drawn SVG bar chart: a season's emissions by gas next to its baseline.
No script and no library, so it shows on any phone and in the 60 KB page budget."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from registry.numbers import whole

GASES = (
    ("ch4_kg_co2e", "CH₄", "#2f7d4a"),
    ("n2o_kg_co2e", "N₂O", "#c28a12"),
    ("co2_kg_co2e", "CO₂", "#6b7d8f"),
)
WIDTH, BAR, GAP, TOP, LABEL = 320, 26, 14, 10, 78


def per_ha_by_gas(data: dict[str, Any]) -> dict[str, float]:
    """kg CO2e per ha of each gas (the breakdown holds field totals)."""
    total = float(data["total_kg_co2e"])
    share = float(data["per_ha_kg_co2e"]) / total if total else 0.0
    return {key: float(data["breakdown"][key]) * share for key, _, _ in GASES}


def gas_bars(
    result: dict[str, Any],
    labels: tuple[str, str],
    title: str,
    number: Callable[[float], str] = whole,
) -> Markup:
    """Stacked horizontal bars (this season, then its baseline) in kg CO2e per ha, by gas;
    `number` formats figures in the reader's language."""
    rows = [(labels[0], result)]
    if isinstance(result.get("baseline"), dict):
        rows.append((labels[1], result["baseline"]))
    scale = max(float(r["per_ha_kg_co2e"]) for _, r in rows) or 1.0
    height = TOP * 2 + len(rows) * (BAR + GAP) + 18
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{escape(title)}">'
    ]
    for i, (name, data) in enumerate(rows):
        parts.extend(_bar(i, name, data, scale, number))
    legend_y = height - 6
    for i, (_, gas, colour) in enumerate(GASES):
        x = LABEL + i * 60
        parts.append(
            f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{legend_y}" font-size="11">{gas}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _bar(
    row: int, name: str, data: dict[str, Any], scale: float, number: Callable[[float], str]
) -> list[str]:
    y, x = TOP + row * (BAR + GAP), float(LABEL)
    parts = [f'<text x="0" y="{y + 17}" font-size="12">{escape(name)}</text>']
    values = per_ha_by_gas(data)
    for key, gas, colour in GASES:
        width = (WIDTH - LABEL - 50) * values[key] / scale
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{BAR}" '
            f'fill="{colour}"><title>{gas}: {number(values[key])}</title></rect>'
        )
        x += width
    parts.append(
        f'<text x="{x + 4:.1f}" y="{y + 17}" font-size="12">'
        f"{number(float(data['per_ha_kg_co2e']))}</text>"
    )
    return parts
