"""A batch's upstream tree (fields → seasons → batches) and its server-drawn SVG diagram.

`lineage()` reads the tree with two queries (the ancestors' batches and their inputs);
`diagram()` is pure: columns from left to right by distance from the fields, one box per
node, one line per draw labelled with its kg. No script, so it prints and shows on any
phone; links are local paths only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from registry.db import Db
from registry.numbers import number
from registry.trace.batches import ancestor_ids
from registry.trace.labels import PRODUCT_LABELS
from registry.trace.models import Batch, BatchInput, Season

BOX_W, BOX_H, COL_GAP, ROW_GAP, PAD = 150, 44, 46, 14, 8


@dataclass
class Node:
    key: str
    title: str
    detail: str
    href: str | None = None
    column: int = 0


@dataclass
class Lineage:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[tuple[str, str, float]] = field(default_factory=list)  # from, to, kg
    batches: list[Batch] = field(default_factory=list)


def lineage(session: Db, batch: Batch, href: dict[int, str] | None = None) -> Lineage:
    """The batch's upstream: every ancestor batch, the seasons and fields they drew on."""
    ids = ancestor_ids(session, batch.id)
    found = Lineage()
    found.batches = list(session.scalars(select(Batch).where(Batch.id.in_(ids))))
    for b in found.batches:
        found.nodes[f"b{b.id}"] = Node(
            f"b{b.id}",
            b.lot_code,
            f"{PRODUCT_LABELS[b.product]} · {number(b.quantity_kg)} kg",
            (href or {}).get(b.id),
        )
    inputs = session.scalars(
        select(BatchInput)
        .where(BatchInput.batch_id.in_(ids))
        .options(joinedload(BatchInput.season).joinedload(Season.field))
    )
    for i in inputs:
        source = f"b{i.parent_id}" if i.parent_id else _season_node(found, i.season)
        found.edges.append((source, f"b{i.batch_id}", i.kg))
    _columns(found)
    return found


def _season_node(found: Lineage, season: Season | None) -> str:
    assert season is not None
    key, field_key = f"s{season.id}", f"f{season.field_id}"
    found.nodes.setdefault(key, Node(key, season.code, f"{number(season.harvested_kg or 0)} kg"))
    found.nodes.setdefault(
        field_key,
        Node(field_key, season.field.code, f"{number(season.field.area_ha, '#,##0.##')} ha"),
    )
    if (field_key, key, 0.0) not in found.edges:
        found.edges.append((field_key, key, 0.0))
    return key


def _columns(found: Lineage) -> None:
    """Each node one column right of its rightmost source (longest path from the fields)."""
    sources: dict[str, list[str]] = defaultdict(list)
    for a, b, _ in found.edges:
        sources[b].append(a)
    done: dict[str, int] = {}

    def column(key: str) -> int:
        if key not in done:
            done[key] = 1 + max((column(s) for s in sources[key]), default=-1)
        return done[key]

    for node in found.nodes.values():
        node.column = column(node.key)


def width_px(found: Lineage) -> int:
    """How wide the diagram draws: one box and gap per column."""
    columns = 1 + max((n.column for n in found.nodes.values()), default=0)
    return PAD * 2 + columns * (BOX_W + COL_GAP) - COL_GAP


def diagram(found: Lineage, title: str) -> Markup:
    """The tree as SVG: columns of boxes, lines labelled with the kg drawn."""
    by_column: dict[int, list[Node]] = defaultdict(list)
    for node in sorted(found.nodes.values(), key=lambda n: n.key):
        by_column[node.column].append(node)
    place = {
        n.key: (PAD + c * (BOX_W + COL_GAP), PAD + r * (BOX_H + ROW_GAP))
        for c, column in by_column.items()
        for r, n in enumerate(column)
    }
    width = width_px(found)
    rows = max((len(c) for c in by_column.values()), default=1)
    height = PAD * 2 + rows * (BOX_H + ROW_GAP) - ROW_GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="lineage">'
        f"<title>{escape(title)}</title>"
    ]
    parts += [_edge(place[a], place[b], kg) for a, b, kg in found.edges]
    parts += [_box(n, *place[n.key]) for n in found.nodes.values()]
    parts.append("</svg>")
    return Markup("".join(parts))


def _edge(a: tuple[int, int], b: tuple[int, int], kg: float) -> str:
    x1, y1, x2, y2 = a[0] + BOX_W, a[1] + BOX_H // 2, b[0], b[1] + BOX_H // 2
    line = f'<path d="M{x1} {y1} C{x1 + 20} {y1} {x2 - 20} {y2} {x2} {y2}" class="edge"/>'
    if not kg:
        return line
    label = f'<text x="{(x1 + x2) // 2}" y="{(y1 + y2) // 2 - 3}" class="kg">{number(kg)}</text>'
    return line + label


def _box(node: Node, x: int, y: int) -> str:
    kind = {"f": "field", "s": "season", "b": "batch"}[node.key[0]]
    box = (
        f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" class="{kind}"/>'
        f'<text x="{x + 8}" y="{y + 18}" class="name">{escape(node.title)}</text>'
        f'<text x="{x + 8}" y="{y + 35}" class="detail">{escape(node.detail)}</text>'
    )
    if node.href and node.href.startswith("/"):
        return f'<a href="{escape(node.href)}">{box}</a>'
    return box
