"""Where a field is: check a drawn GeoJSON point or polygon, measure it, and draw fields on a map.

Field boundaries come from phones and hand-drawn web maps, so the checks aim at the mistakes
those make (swapped longitude/latitude, unclosed or crossing rings, a whole commune drawn
instead of one field, an area far from what the farmer declared) and every refusal says
exactly what is wrong, in the reader's language (messages are lazy: rendered later).

The maths is small enough to do here without GIS libraries. Positions are kept to 7 decimals
(about 1 cm) and the topology tests run on those as exact integers, so the answer never
depends on floating-point luck. Areas use the ring-area formula of Chamberlain & Duquette,
"Some Algorithms for Polygons on a Sphere" (JPL Publication 07-03, 2007), as Mapbox
`geojson-area` and Turf `@turf/area` do, on a sphere of the mean Earth radius.

The "inside Vietnam" test is a union of bounding boxes: a plausibility check against
typing errors, not a border. Nearly all of Cambodia, most of Laos and strips of Yunnan and
Guangxi lie inside the mainland box; the commune chosen with the field is the finer check.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import escape

from registry.numbers import number

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius, as @turf/area uses
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180
SCALE = 10**7  # positions are kept in units of 1e-7 degree (about 1 cm)
MAX_POSITIONS = 2_000  # a field boundary; beyond this the O(n²) checks get slow
MAX_MESSAGES = 10
MIN_AREA_M2 = 10.0  # below this the "polygon" is a slip of the finger
MAX_AREA_HA = 1_000.0  # a field, not a province
AREA_RATIO_MIN = 0.5  # drawn / declared: phone drawings are rough, but not this rough
AREA_RATIO_MAX = 2.0

Q = tuple[int, int]  # a position as (lon, lat) in units of 1e-7 degree


@dataclass(frozen=True)
class Box:
    """A longitude/latitude box, edges included."""

    west: float
    south: float
    east: float
    north: float

    def contains(self, lon: float, lat: float) -> bool:
        return self.west <= lon <= self.east and self.south <= lat <= self.north


# Bounding box of Vietnam's mainland and near-shore islands: Apa Chải (102°08'E), Lũng Cú
# (23°23'N), Mũi Đôi (109°28'E), the islets south of Cà Mau and Côn Đảo (about 8°20'N),
# widened by about 5 km so border villages are not refused over GPS noise.
VIETNAM_MAINLAND = Box(west=102.09, south=8.13, east=109.52, north=23.44)
# The far-offshore special zones: Trường Sa (Spratly Islands) and Hoàng Sa (Paracel Islands).
TRUONG_SA = Box(west=111.0, south=6.0, east=117.0, north=12.0)
HOANG_SA = Box(west=111.0, south=15.7, east=113.0, north=17.2)
VIETNAM_BOXES = (VIETNAM_MAINLAND, TRUONG_SA, HOANG_SA)


class GeoError(ValueError):
    """The location cannot be accepted. `messages` holds every reason found, as lazy strings
    that render in the reader's language when `str()` is called on them."""

    def __init__(self, messages: Sequence[Any]) -> None:
        self.messages: list[Any] = list(messages)
        super().__init__(*self.messages)

    def __str__(self) -> str:
        return " ".join(str(message) for message in self.messages)


@dataclass(frozen=True)
class Location:
    """A checked location. `geometry` is canonical (7 decimals, no altitude, rings start at
    their south-west-most corner, outer ring counter-clockwise and holes clockwise as RFC 7946
    asks), so the same field drawn twice gives the same geometry, whatever the drawing order."""

    kind: str  # "point" or "polygon"
    geometry: dict[str, Any]
    area_ha: float | None
    centroid: tuple[float, float]  # (lon, lat)
    bbox: tuple[float, float, float, float]  # (west, south, east, north)


@dataclass(frozen=True)
class MapFeature:
    """One field to draw on a map: `geometry` is a `Location.geometry`, `href` a local link."""

    code: str
    label: str
    href: str
    geometry: dict[str, Any]


class _Hectares:
    """A number of hectares that formats itself in the reader's locale when the message is
    rendered: in Vietnamese "1.000" means one thousand, so "12.50 ha" would mislead."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __str__(self) -> str:
        return number(self.value, "#,##0.00")


class _Problems:
    """Collects messages, keeping the first few so a badly broken file gives a readable list."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.dropped = 0

    def add(self, message: Any) -> None:
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(message)
        else:
            self.dropped += 1

    def raise_if_any(self) -> None:
        if not self.messages:
            return
        if self.dropped:
            more = _l("…and %(count)d more problems.", count=self.dropped)
            self.messages.append(more)
        raise GeoError(self.messages)


@dataclass(frozen=True)
class _Ring:
    """An open ring (no repeated closing point) and the 1-based input number of each point."""

    points: list[Q]
    numbers: list[int]


# --- Reading the input --------------------------------------------------------------------


def validate_location(geojson: object, declared_area_ha: float | Decimal | None) -> Location:
    """Check a GeoJSON Point or Polygon (a Feature is unwrapped, since map widgets export
    those) and measure it; raise `GeoError` listing every problem found."""
    geometry = _unwrap(geojson)
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Point":
        return _point_location(coordinates)
    if kind == "Polygon":
        return _polygon_location(coordinates, declared_area_ha)
    raise GeoError([_wrong_type(kind)])


def _unwrap(geojson: object) -> dict[str, Any]:
    if isinstance(geojson, dict) and geojson.get("type") == "Feature":
        geojson = geojson.get("geometry")
    if not isinstance(geojson, dict):
        raise GeoError([_l("The location must be a GeoJSON Point or Polygon.")])
    return geojson


def _wrong_type(kind: object) -> Any:
    if kind == "MultiPolygon":
        return _l(
            "A MultiPolygon is not accepted: register each separate piece of land as its own field."
        )
    shown = kind[:40] if isinstance(kind, str) else type(kind).__name__
    return _l("The shape must be a Point or a Polygon, not %(type)s.", type=shown)


def _number(value: object) -> float | None:
    """A finite JSON number; booleans are numbers to Python but never to a map."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _quantise(lon: float, lat: float) -> Q:
    return round(lon * SCALE), round(lat * SCALE)


def _in_vietnam(lon: float, lat: float) -> bool:
    return any(box.contains(lon, lat) for box in VIETNAM_BOXES)


def _read_position(raw: object, ring: int | None, n: int, problems: _Problems) -> Q | None:
    """One [lon, lat] or [lon, lat, alt] position, or None after recording why not."""
    if not isinstance(raw, list | tuple) or not 2 <= len(raw) <= 3:
        problems.add(_msg_not_position(ring, n))
        return None
    numbers = [_number(value) for value in raw]
    lon, lat = numbers[0], numbers[1]
    if lon is None or lat is None or None in numbers:
        problems.add(_msg_not_number(ring, n))
        return None
    if not _in_vietnam(lon, lat):
        swapped = -90 <= lon <= 90 and _in_vietnam(lat, lon)
        problems.add(_msg_outside(ring, n, lon, lat, swapped))
        return None
    return _quantise(lon, lat)


def _msg_not_position(ring: int | None, n: int) -> Any:
    if ring is None:
        return _l("The point must be [longitude, latitude], optionally with an altitude.")
    return _l(
        "Point %(n)d of ring %(ring)d must be [longitude, latitude], optionally with an altitude.",
        n=n,
        ring=ring,
    )


def _msg_not_number(ring: int | None, n: int) -> Any:
    if ring is None:
        return _l("The point's longitude and latitude must be finite numbers.")
    return _l(
        "Point %(n)d of ring %(ring)d has a longitude or latitude that is not a finite number.",
        n=n,
        ring=ring,
    )


def _msg_outside(ring: int | None, n: int, lon: float, lat: float, swapped: bool) -> Any:
    if swapped and ring is None:
        return _l(
            "The point is outside Vietnam; its numbers look swapped: GeoJSON puts the"
            " longitude first."
        )
    if swapped:
        return _l(
            "Point %(n)d of ring %(ring)d is outside Vietnam; its numbers look swapped:"
            " GeoJSON puts the longitude first.",
            n=n,
            ring=ring,
        )
    if ring is None:
        return _l(
            "The point is outside Vietnam (longitude %(lon).5f, latitude %(lat).5f).",
            lon=lon,
            lat=lat,
        )
    return _l(
        "Point %(n)d of ring %(ring)d is outside Vietnam (longitude %(lon).5f, latitude"
        " %(lat).5f).",
        n=n,
        ring=ring,
        lon=lon,
        lat=lat,
    )


def _point_location(coordinates: object) -> Location:
    problems = _Problems()
    q = _read_position(coordinates, None, 1, problems)
    problems.raise_if_any()
    assert q is not None
    lon, lat = _degrees(q)
    geometry = {"type": "Point", "coordinates": [lon, lat]}
    return Location("point", geometry, None, (lon, lat), (lon, lat, lon, lat))


def _read_rings(coordinates: object) -> list[_Ring]:
    """All rings, or GeoError with every structural and out-of-Vietnam problem found."""
    if not isinstance(coordinates, list) or not coordinates:
        raise GeoError(
            [
                _l(
                    "A polygon's coordinates must be a list of rings: the outer boundary"
                    " first, then any holes."
                )
            ]
        )
    total = sum(len(ring) for ring in coordinates if isinstance(ring, list))
    if total > MAX_POSITIONS:
        message = _l(
            "The shape has %(count)d points; at most %(max)d are allowed. Simplify the boundary.",
            count=total,
            max=MAX_POSITIONS,
        )
        raise GeoError([message])
    problems = _Problems()
    rings = [_read_ring(raw, number, problems) for number, raw in enumerate(coordinates, 1)]
    problems.raise_if_any()
    return [ring for ring in rings if ring is not None]


def _read_ring(raw: object, ring: int, problems: _Problems) -> _Ring | None:
    if not isinstance(raw, list):
        problems.add(_l("Ring %(ring)d must be a list of points.", ring=ring))
        return None
    if len(raw) < 4:
        problems.add(
            _l(
                "Ring %(ring)d has %(count)d points; a closed ring needs at least 4, the last"
                " repeating the first.",
                ring=ring,
                count=len(raw),
            )
        )
        return None
    read = [_read_position(p, ring, n, problems) for n, p in enumerate(raw, 1)]
    positions = [q for q in read if q is not None]
    if len(positions) < len(read):
        return None
    if positions[0] != positions[-1]:
        problems.add(
            _l("Ring %(ring)d is not closed: its first and last points differ.", ring=ring)
        )
        return None
    return _distinct(positions, ring, problems)


def _distinct(positions: list[Q], ring: int, problems: _Problems) -> _Ring | None:
    """Drop the closing point and repeated consecutive points (phones double-tap)."""
    points: list[Q] = []
    numbers: list[int] = []
    for n, q in enumerate(positions[:-1], 1):
        if not points or points[-1] != q:
            points.append(q)
            numbers.append(n)
    while len(points) > 1 and points[-1] == points[0]:
        points.pop()
        numbers.pop()
    if len(points) < 3:
        problems.add(_l("Ring %(ring)d has fewer than 3 distinct corners.", ring=ring))
        return None
    return _Ring(points, numbers)


# --- Topology -----------------------------------------------------------------------------


def _orient(a: Q, b: Q, c: Q) -> int:
    """Sign of the turn a→b→c: 1 left, -1 right, 0 straight (exact, on integers)."""
    cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return (cross > 0) - (cross < 0)


def _on_segment(a: Q, b: Q, p: Q) -> bool:
    """p, known to be collinear with a-b, lies within the segment's box."""
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def _segments_meet(a: Q, b: Q, c: Q, d: Q) -> bool:
    """Segments a-b and c-d cross or touch."""
    d1, d2, d3, d4 = _orient(c, d, a), _orient(c, d, b), _orient(a, b, c), _orient(a, b, d)
    if d1 * d2 < 0 and d3 * d4 < 0:
        return True
    return (
        (d1 == 0 and _on_segment(c, d, a))
        or (d2 == 0 and _on_segment(c, d, b))
        or (d3 == 0 and _on_segment(a, b, c))
        or (d4 == 0 and _on_segment(a, b, d))
    )


@dataclass(frozen=True, order=True)
class _Edge:
    west: int
    east: int
    ring: int
    index: int
    a: Q
    b: Q


def _edges(rings: list[_Ring]) -> list[_Edge]:
    """Every edge of every ring, sorted west to east for the sweep."""
    edges = []
    for r, ring in enumerate(rings):
        pts = ring.points
        for i, a in enumerate(pts):
            b = pts[(i + 1) % len(pts)]
            edges.append(_Edge(min(a[0], b[0]), max(a[0], b[0]), r, i, a, b))
    return sorted(edges)


def _adjacent(e: _Edge, f: _Edge, size: int) -> bool:
    return e.ring == f.ring and (abs(e.index - f.index) in (1, size - 1))


def _spike(e: _Edge, f: _Edge) -> bool:
    """Two neighbouring edges that fold back over each other along a line."""
    shared = e.b if e.b in (f.a, f.b) else e.a
    p = e.a if shared == e.b else e.b
    q = f.a if shared == f.b else f.b
    if _orient(p, shared, q) != 0:
        return False
    return (p[0] - shared[0]) * (q[0] - shared[0]) + (p[1] - shared[1]) * (q[1] - shared[1]) > 0


def _meet(e: _Edge, f: _Edge, rings: list[_Ring]) -> bool:
    if _adjacent(e, f, len(rings[e.ring].points)):
        return _spike(e, f)
    if max(e.a[1], e.b[1]) < min(f.a[1], f.b[1]) or max(f.a[1], f.b[1]) < min(e.a[1], e.b[1]):
        return False
    return _segments_meet(e.a, e.b, f.a, f.b)


def _crossings(rings: list[_Ring]) -> dict[tuple[int, int], tuple[_Edge, _Edge]]:
    """The first pair of meeting edges for each pair of rings (a ring with itself included).
    A sweep over edges sorted by west end: O(n²) at worst, near-linear for real fields."""
    edges = _edges(rings)
    found: dict[tuple[int, int], tuple[_Edge, _Edge]] = {}
    for i, e in enumerate(edges):
        for j in range(i + 1, len(edges)):
            f = edges[j]
            if f.west > e.east:
                break
            first, second = (e, f) if (e.ring, e.index) <= (f.ring, f.index) else (f, e)
            key = (first.ring, second.ring)
            if key not in found and _meet(e, f, rings):
                found[key] = (first, second)
    return found


def _inside(ring: _Ring, p: Q) -> bool:
    """Even-odd ray test on exact integers; p is known not to lie on the ring."""
    inside = False
    pts = ring.points
    for i, a in enumerate(pts):
        b = pts[i - 1]
        if (a[1] > p[1]) != (b[1] > p[1]):
            lhs = (p[0] - a[0]) * (b[1] - a[1])
            rhs = (p[1] - a[1]) * (b[0] - a[0])
            if (lhs < rhs) == (b[1] > a[1]):
                inside = not inside
    return inside


def _check_topology(rings: list[_Ring]) -> None:
    """Rings must not cross themselves or each other; holes lie inside the outer ring and
    outside each other."""
    problems = _Problems()
    crossings = _crossings(rings)
    for (r, s), (e, f) in sorted(crossings.items()):
        problems.add(_msg_crossing(rings, r, s, e, f))
    crossed = {r for pair in crossings for r in pair}
    holes = [] if 0 in crossed else [h for h in range(1, len(rings)) if h not in crossed]
    for h in holes:
        corner = rings[h].points[0]
        if not _inside(rings[0], corner):
            problems.add(
                _l("Ring %(ring)d is a hole but lies outside the outer boundary.", ring=h + 1)
            )
        for other in holes:
            if other != h and _inside(rings[other], corner):
                problems.add(
                    _l(
                        "Ring %(ring)d is a hole inside another hole, ring %(other)d.",
                        ring=h + 1,
                        other=other + 1,
                    )
                )
    problems.raise_if_any()


def _msg_crossing(rings: list[_Ring], r: int, s: int, e: _Edge, f: _Edge) -> Any:
    if r == 0 and s != 0:
        return _l("Ring %(ring)d, a hole, crosses or touches the outer boundary.", ring=s + 1)
    if r != s:
        return _l("Holes %(a)d and %(b)d cross or touch each other.", a=r + 1, b=s + 1)
    numbers = rings[r].numbers

    def ends(edge: _Edge) -> tuple[int, int]:
        return numbers[edge.index], numbers[(edge.index + 1) % len(numbers)]

    (a1, a2), (b1, b2) = ends(e), ends(f)
    return _l(
        "Ring %(ring)d crosses itself: the edge from point %(a1)d to point %(a2)d meets the"
        " edge from point %(b1)d to point %(b2)d.",
        ring=r + 1,
        a1=a1,
        a2=a2,
        b1=b1,
        b2=b2,
    )


# --- Measures and the canonical form -------------------------------------------------------


def _degrees(q: Q) -> tuple[float, float]:
    return q[0] / SCALE, q[1] / SCALE


def _twice_planar_area(points: list[Q]) -> int:
    """Shoelace on exact integers: positive when counter-clockwise. A monotone map of
    latitude (such as the sphere's) keeps the sign, so this decides orientation."""
    return sum(
        a[0] * b[1] - b[0] * a[1] for a, b in zip(points, points[1:] + points[:1], strict=True)
    )


def _area_m2(points: list[Q]) -> float:
    """Ring area from exact integer longitude differences (no rounding in λ[i-1] - λ[i+1])."""
    n = len(points)
    sin0 = math.sin(math.radians(points[0][1] / SCALE))
    total = 0.0
    for i, (_, lat) in enumerate(points):
        dlon = points[i - 1][0] - points[(i + 1) % n][0]
        total += dlon * (math.sin(math.radians(lat / SCALE)) - sin0)
    return math.radians(total / SCALE) * EARTH_RADIUS_M * EARTH_RADIUS_M / 2


def _canonical(points: list[Q], counter_clockwise: bool) -> list[Q]:
    """Wind the ring as asked and start it at its south-west-most corner (min lon, then lat)."""
    if (_twice_planar_area(points) > 0) != counter_clockwise:
        points = points[::-1]
    start = points.index(min(points))
    return points[start:] + points[:start]


def _centroid(rings: list[list[Q]]) -> tuple[float, float]:
    """Area centroid in degrees (exact integer moments; an affine map such as the
    equirectangular projection moves centroids with the shape, so degrees are fine)."""
    ox, oy = rings[0][0]
    area2 = cx = cy = 0
    for ring in rings:
        for (ax, ay), (bx, by) in zip(ring, ring[1:] + ring[:1], strict=True):
            ax, ay, bx, by = ax - ox, ay - oy, bx - ox, by - oy
            cross = ax * by - bx * ay
            area2 += cross
            cx += (ax + bx) * cross
            cy += (ay + by) * cross
    lon = (ox + cx / (3 * area2)) / SCALE
    lat = (oy + cy / (3 * area2)) / SCALE
    return round(lon, 7), round(lat, 7)


def _polygon_location(coordinates: object, declared_area_ha: object) -> Location:
    rings = _read_rings(coordinates)
    _check_topology(rings)
    outer = _canonical(rings[0].points, counter_clockwise=True)
    holes = sorted(_canonical(ring.points, counter_clockwise=False) for ring in rings[1:])
    area_m2 = _area_m2(outer) - sum(abs(_area_m2(hole)) for hole in holes)
    _check_area(area_m2, declared_area_ha)
    closed = [[list(_degrees(q)) for q in [*ring, ring[0]]] for ring in [outer, *holes]]
    lons = [q[0] for q in outer]
    lats = [q[1] for q in outer]
    bbox = (min(lons) / SCALE, min(lats) / SCALE, max(lons) / SCALE, max(lats) / SCALE)
    return Location(
        kind="polygon",
        geometry={"type": "Polygon", "coordinates": closed},
        area_ha=round(area_m2 / 10_000, 4),
        centroid=_centroid([outer, *holes]),
        bbox=bbox,
    )


def _check_area(area_m2: float, declared_area_ha: object) -> None:
    """Refuse specks, provinces, and drawings far from the area the farmer declared."""
    problems = _Problems()
    drawn = area_m2 / 10_000
    if area_m2 < MIN_AREA_M2:
        problems.add(
            _l(
                "The drawn shape has almost no area (%(m2)d m²); draw the whole field boundary.",
                m2=round(area_m2),
            )
        )
    if drawn > MAX_AREA_HA:
        problems.add(
            _l(
                "The drawn area is %(drawn)s ha; a field can be at most %(max)s ha.",
                drawn=_Hectares(drawn),
                max=_Hectares(MAX_AREA_HA),
            )
        )
    if declared_area_ha is not None:
        _check_declared(drawn, declared_area_ha, problems)
    problems.raise_if_any()


def _check_declared(drawn: float, declared_area_ha: object, problems: _Problems) -> None:
    """The declared area may be a float or, from a form's DecimalField, a Decimal."""
    if isinstance(declared_area_ha, Decimal) and declared_area_ha.is_finite():
        declared_area_ha = float(declared_area_ha)
    declared = _number(declared_area_ha)
    if declared is None or declared <= 0:
        problems.add(_l("The declared area must be a positive number of hectares."))
        return
    if not AREA_RATIO_MIN <= drawn / declared <= AREA_RATIO_MAX:
        problems.add(
            _l(
                "The drawn area is %(drawn)s ha but the declared area is %(declared)s ha; the"
                " drawing should be between %(low)s and %(high)s ha.",
                drawn=_Hectares(drawn),
                declared=_Hectares(declared),
                low=_Hectares(declared * AREA_RATIO_MIN),
                high=_Hectares(declared * AREA_RATIO_MAX),
            )
        )


# --- The map ------------------------------------------------------------------------------

MAP_PADDING = 20  # px around the drawing
SCALE_BAR_SPACE = 28  # px kept free at the bottom for the scale bar
MIN_SPAN_M = 400.0  # a lone point still gets a neighbourhood and a sensible scale bar
LABEL_FONT_PX = 11
LABEL_CHAR_PX = 6.6  # rough width of a character of an 11 px sans-serif
TINY_SHAPE_PX = 6  # shapes smaller than this also get a marker so they can be seen
# Every link on a map is a tap target of at least 24 × 24 CSS px (WCAG 2.2, 2.5.8) on the
# narrowest screen, a 360 px phone, where a map is drawn at least 280 px wide.
MIN_TARGET_CSS_PX, PHONE_MAP_CSS_PX = 24, 280
POINT_RADIUS_PX = 5
SVG_NS = "http://www.w3.org/2000/svg"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class _Frame:
    """Equirectangular projection centred on the fields: x = Δlon · cos(φ0), y = Δlat, then
    scaled to fit, so shapes at this latitude keep their proportions."""

    lon0: float
    lat0: float
    k: float  # cos(φ0)
    px_per_degree: float
    cx: float
    cy: float

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        x = self.cx + (lon - self.lon0) * self.k * self.px_per_degree
        y = self.cy - (lat - self.lat0) * self.px_per_degree
        return x, y

    @property
    def metres_per_px(self) -> float:
        return METRES_PER_DEGREE / self.px_per_degree


def _positions(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Point" and isinstance(coordinates, list | tuple):
        return [(float(coordinates[0]), float(coordinates[1]))]
    if kind == "Polygon" and isinstance(coordinates, list | tuple) and coordinates:
        return [(float(p[0]), float(p[1])) for p in coordinates[0]]
    raise ValueError("svg_map draws Point and Polygon geometries only")


def _fit(features: Sequence[MapFeature], width: int, height: int) -> _Frame:
    points = [p for feature in features for p in _positions(feature.geometry)]
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    lon0, lat0 = (west + east) / 2, (south + north) / 2
    k = math.cos(math.radians(lat0))
    min_span = MIN_SPAN_M / METRES_PER_DEGREE
    span_x = max((east - west) * k, min_span)
    span_y = max(north - south, min_span)
    room_x = max(width - 2 * MAP_PADDING, 1)
    room_y = max(height - 2 * MAP_PADDING - SCALE_BAR_SPACE, 1)
    scale = min(room_x / span_x, room_y / span_y)
    return _Frame(lon0, lat0, k, scale, width / 2, MAP_PADDING + room_y / 2)


def _local_href(href: str) -> str:
    """Only same-site links: the map must not point elsewhere or run `javascript:`."""
    if not href.startswith(("/", "#", "?")) or href.startswith("//") or "\\" in href:
        raise ValueError(f"svg_map links must be local paths, not {href!r}")
    return href


def _text(value: str) -> str:
    """Escaped text without the control characters XML forbids even when escaped, so one odd
    field name cannot make the whole map unreadable to an XML parser."""
    return str(escape(_NOT_XML.sub("", value)))


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _path(feature: MapFeature, frame: _Frame) -> tuple[str, list[tuple[float, float]]]:
    """An SVG path for every ring (holes cut out by even-odd) and the projected outer ring."""
    parts = []
    outer: list[tuple[float, float]] = []
    for i, ring in enumerate(feature.geometry["coordinates"]):
        xy = [frame.project(float(p[0]), float(p[1])) for p in ring[:-1]]
        outer = xy if i == 0 else outer
        parts.append("M" + " L".join(f"{_fmt(x)} {_fmt(y)}" for x, y in xy) + " Z")
    return " ".join(parts), outer


def _pixel_centroid(xy: list[tuple[float, float]]) -> tuple[float, float]:
    area2 = cx = cy = 0.0
    for (ax, ay), (bx, by) in zip(xy, xy[1:] + xy[:1], strict=True):
        cross = ax * by - bx * ay
        area2 += cross
        cx += (ax + bx) * cross
        cy += (ay + by) * cross
    if abs(area2) < 1e-9:
        return sum(x for x, _ in xy) / len(xy), sum(y for _, y in xy) / len(xy)
    return cx / (3 * area2), cy / (3 * area2)


class _Labels:
    """Greedy label placement: a code is written only where it overlaps nothing written."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.taken: list[tuple[float, float, float, float]] = []

    def place(self, text: str, x: float, y: float, centred: bool) -> str:
        w = len(text) * LABEL_CHAR_PX
        left = x - w / 2 if centred else x
        box = (left - 1, y - LABEL_FONT_PX, left + w + 1, y + 3)
        if box[0] < 0 or box[1] < 0 or box[2] > self.width or box[3] > self.height:
            return ""
        if any(_overlap(box, other) for other in self.taken):
            return ""
        self.taken.append(box)
        anchor = ' text-anchor="middle"' if centred else ""
        return (
            f'<text x="{_fmt(x)}" y="{_fmt(y)}" font-family="sans-serif"'
            f' font-size="{LABEL_FONT_PX}"{anchor} fill="#1b1b1b" stroke="#ffffff"'
            f' stroke-width="3" paint-order="stroke">{_text(text)}</text>'
        )


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _marker(x: float, y: float) -> str:
    return (
        f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{POINT_RADIUS_PX}" fill="#c62828"'
        ' stroke="#ffffff" stroke-width="1.5"/>'
    )


class _Targets:
    """Tap areas for fields too small to tap: a circle of the minimum target size, given
    greedily where it overlaps no other such circle. A field in a crowd that gets none is
    drawn without a link (the list beside every map opens it), so a tap never lands on a
    neighbour's field."""

    def __init__(self, size: float) -> None:
        self.size = size
        self.taken: list[tuple[float, float, float, float]] = []

    def claim(self, x: float, y: float) -> str:
        r = math.ceil(self.size * 5) / 10  # half the size, rounded up to what _fmt writes
        box = (x - r, y - r, x + r, y + r)
        if any(_overlap(box, other) for other in self.taken):
            return ""
        self.taken.append(box)
        return f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{_fmt(r)}" fill="#000" fill-opacity="0"/>'


def _feature_svg(feature: MapFeature, frame: _Frame, labels: _Labels, targets: _Targets) -> str:
    """One field as a link where it can be tapped: its shape (or a dot), a tooltip title,
    and its code if it fits."""
    title = feature.label if feature.code in feature.label else f"{feature.code}: {feature.label}"
    body = [f"<title>{_text(title)}</title>"]
    w = h = 0.0
    if feature.geometry.get("type") == "Point":
        x, y = frame.project(*_positions(feature.geometry)[0])
        body += [_marker(x, y), labels.place(feature.code, x + 8, y + 4, centred=False)]
    else:
        d, outer = _path(feature, frame)
        body.append(
            f'<path d="{d}" fill="#2e7d32" fill-opacity="0.35" fill-rule="evenodd"'
            ' stroke="#1b5e20" stroke-width="1.5" stroke-linejoin="round"/>'
        )
        x, y = _pixel_centroid(outer)
        xs, ys = [p[0] for p in outer], [p[1] for p in outer]
        w, h = max(xs) - min(xs), max(ys) - min(ys)
        text_w = len(feature.code) * LABEL_CHAR_PX
        tiny = max(w, h) < TINY_SHAPE_PX
        if tiny:
            body.append(_marker(x, y))
        if w >= text_w + 4 and h >= LABEL_FONT_PX + 4:
            body.append(labels.place(feature.code, x, y + 4, centred=True))
        else:
            right = x + POINT_RADIUS_PX + 3 if tiny else max(xs) + 4
            body.append(labels.place(feature.code, right, y + 4, centred=False))
    href = _text(_local_href(feature.href))
    if min(w, h) < targets.size:
        hit = targets.claim(x, y)
        if not hit:
            return f'<g class="map-feature">{"".join(body)}</g>'
        body.append(hit)
    return f'<a href="{href}" class="map-feature">{"".join(body)}</a>'


def _nice_length(max_m: float) -> float:
    """The longest 1, 2 or 5 × 10ⁿ metres not above `max_m`."""
    power = 10.0 ** math.floor(math.log10(max_m))
    return max(step * power for step in (1, 2, 5) if step * power <= max_m)


def _scale_bar(frame: _Frame, width: int, height: int) -> str:
    """A bar of a round length at the bottom left, true at the map's centre latitude."""
    length = _nice_length(frame.metres_per_px * width / 4)
    px = length / frame.metres_per_px
    text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    x0, y = MAP_PADDING, height - 10
    return (
        f'<g class="map-scale" aria-hidden="true"><path d="M{x0} {y - 5} V{y} H{_fmt(x0 + px)}'
        f' V{y - 5}" fill="none" stroke="#1b1b1b" stroke-width="1.5"/>'
        f'<text x="{_fmt(x0 + px + 6)}" y="{y}" font-family="sans-serif"'
        f' font-size="{LABEL_FONT_PX}" fill="#1b1b1b">{text}</text></g>'
    )


def _draw_order(features: Sequence[MapFeature], frame: _Frame) -> list[MapFeature]:
    """Big shapes first, points last, so nothing hides what lies on top of it."""

    def size(feature: MapFeature) -> float:
        if feature.geometry.get("type") == "Point":
            return -1.0
        xy = [frame.project(*p) for p in _positions(feature.geometry)]
        return abs(_twice_float_area(xy))

    return sorted(features, key=size, reverse=True)


def _twice_float_area(xy: list[tuple[float, float]]) -> float:
    return sum(ax * by - bx * ay for (ax, ay), (bx, by) in zip(xy, xy[1:] + xy[:1], strict=True))


def svg_map(fields: Sequence[MapFeature], width: int = 640, height: int = 400) -> str:
    """A self-contained inline SVG of the fields, each a link with a tooltip; "" when there is
    nothing to draw, so the template decides what an empty map says. The root is a labelled
    group rather than role="img": an image role would hide the links from screen readers.
    Only presentation attributes are used, so a strict Content-Security-Policy lets it be."""
    if not fields:
        return ""
    frame = _fit(fields, width, height)
    labels = _Labels(width, height - SCALE_BAR_SPACE)
    name = ngettext("Map of %(num)d field", "Map of %(num)d fields", len(fields))
    targets = _Targets(MIN_TARGET_CSS_PX * width / PHONE_MAP_CSS_PX)
    shapes = "".join(_feature_svg(f, frame, labels, targets) for f in _draw_order(fields, frame))
    return (
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {width} {height}" width="{width}"'
        f' height="{height}" role="group" aria-label="{escape(name)}" class="field-map">'
        f"<title>{escape(name)}</title>"
        f'<rect width="{width}" height="{height}" fill="#f3f6f1"/>'
        f"{shapes}{_scale_bar(frame, width, height)}</svg>"
    )
