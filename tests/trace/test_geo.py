"""Field locations: what is accepted, what is refused and why, how areas are measured, and the
map. A minimal Flask app with Flask-Babel renders the lazy messages, so these tests need no
database and do not depend on the project's fixtures."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask_babel import Babel
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from registry.trace.geo import (
    AREA_RATIO_MAX,
    AREA_RATIO_MIN,
    EARTH_RADIUS_M,
    MAX_POSITIONS,
    SVG_NS,
    GeoError,
    Location,
    MapFeature,
    svg_map,
    validate_location,
)

APP = Flask(__name__)
Babel(APP)
APP_VI = Flask(__name__)
Babel(APP_VI, locale_selector=lambda: "vi")

HAI_PHONG = (106.75, 20.7)
CAN_THO = (105.7, 10.05)
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180
SVG = f"{{{SVG_NS}}}"

# WGS84, to build squares of true ground size (the registry measures on a sphere).
WGS84_A = 6_378_137.0
WGS84_E2 = 0.006_694_379_990_14


def rendered(error: GeoError, app: Flask = APP) -> list[str]:
    with app.test_request_context():
        return [str(message) for message in error.messages]


def refusal(geojson: object, declared: Any = None) -> list[str]:
    with pytest.raises(GeoError) as caught:
        validate_location(geojson, declared)
    return rendered(caught.value)


def point(lon: float, lat: float, *rest: Any) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat, *rest]}


def polygon(*rings: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [list(ring) for ring in rings]}


def rect(lon: float, lat: float, dlon: float, dlat: float) -> list[list[float]]:
    """A closed counter-clockwise rectangle with its south-west corner at (lon, lat)."""
    return [[lon, lat], [lon + dlon, lat], [lon + dlon, lat + dlat], [lon, lat + dlat], [lon, lat]]


def ground_square(lon: float, lat: float, side_m: float) -> list[list[float]]:
    """A square of `side_m` true metres on the WGS84 ellipsoid, not on our sphere."""
    phi = math.radians(lat)
    w = 1 - WGS84_E2 * math.sin(phi) ** 2
    meridian = WGS84_A * (1 - WGS84_E2) / w**1.5
    parallel = WGS84_A / math.sqrt(w) * math.cos(phi)
    return rect(lon, lat, math.degrees(side_m / parallel), math.degrees(side_m / meridian))


def metres_square(lon: float, lat: float, side_m: float) -> list[list[float]]:
    return rect(lon, lat, side_m / (M_PER_DEG * math.cos(math.radians(lat))), side_m / M_PER_DEG)


# --- Accepted ------------------------------------------------------------------------------


def test_point_in_hai_phong_is_accepted_and_normalised() -> None:
    location = validate_location(point(106.712345678, 20.8456, 3.5), None)
    assert location == Location(
        kind="point",
        geometry={"type": "Point", "coordinates": [106.7123457, 20.8456]},
        area_ha=None,
        centroid=(106.7123457, 20.8456),
        bbox=(106.7123457, 20.8456, 106.7123457, 20.8456),
    )


def test_point_ignores_declared_area() -> None:
    assert validate_location(point(*CAN_THO), 12.5).area_ha is None


def test_polygon_in_can_tho_is_measured_and_normalised() -> None:
    ring = metres_square(*CAN_THO, 200)
    location = validate_location(polygon(ring[::-1]), 4)  # drawn clockwise
    assert location.kind == "polygon"
    assert location.area_ha == pytest.approx(4.0, abs=1e-3)
    outer = location.geometry["coordinates"][0]
    assert outer[0] == outer[-1] == [105.7, 10.05]  # starts at the south-west corner
    assert outer[1][1] == 10.05  # then east: counter-clockwise, as RFC 7946 asks
    assert set(location.geometry) == {"type", "coordinates"}
    west, south, east, north = location.bbox
    assert (west, south) == CAN_THO
    assert location.centroid == pytest.approx(((west + east) / 2, (south + north) / 2), abs=1e-7)


def test_feature_from_a_map_widget_is_unwrapped() -> None:
    feature = {"type": "Feature", "properties": {}, "geometry": point(*HAI_PHONG)}
    assert validate_location(feature, None).centroid == HAI_PHONG


@pytest.mark.parametrize("where", [HAI_PHONG, CAN_THO])
def test_hundred_metre_square_is_one_hectare(where: tuple[float, float]) -> None:
    location = validate_location(polygon(ground_square(*where, 100)), 1.0)
    assert location.area_ha == pytest.approx(1.0, rel=0.005)


def test_hole_is_subtracted() -> None:
    outer = metres_square(*HAI_PHONG, 200)
    hole = metres_square(HAI_PHONG[0] + 0.0003, HAI_PHONG[1] + 0.0003, 100)
    location = validate_location(polygon(outer, hole), None)
    assert location.area_ha == pytest.approx(3.0, abs=2e-3)
    assert len(location.geometry["coordinates"]) == 2


def test_repeated_points_from_a_double_tap_are_dropped() -> None:
    ring = metres_square(*HAI_PHONG, 100)
    doubled = [ring[0], ring[1], ring[1], ring[2], ring[3], ring[3], ring[0]]
    location = validate_location(polygon(doubled), None)
    assert len(location.geometry["coordinates"][0]) == 5


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (111.92, 8.64),  # Trường Sa Lớn, Spratly Islands
        (114.33, 11.43),  # Song Tử Tây
        (112.34, 16.83),  # Hoàng Sa, Paracel Islands
        (103.96, 10.23),  # Phú Quốc
        (106.61, 8.69),  # Côn Đảo
        (107.73, 20.13),  # Bạch Long Vĩ
        (105.316, 23.392),  # Lũng Cú, the northernmost point
        (102.144, 22.396),  # Apa Chải, the westernmost point
        (109.464, 12.65),  # Mũi Đôi, the easternmost point
    ],
)
def test_islands_and_extremes_of_vietnam_are_accepted(lon: float, lat: float) -> None:
    assert validate_location(point(lon, lat), None).kind == "point"


# --- Refused -------------------------------------------------------------------------------


def test_unclosed_ring() -> None:
    ring = [*metres_square(*HAI_PHONG, 100)[:-1], [106.7501, 20.7001]]
    assert refusal(polygon(ring)) == ["Ring 1 is not closed: its first and last points differ."]


def test_ring_with_fewer_than_four_points() -> None:
    ring = metres_square(*HAI_PHONG, 100)
    assert refusal(polygon([ring[0], ring[1], ring[0]])) == [
        "Ring 1 has 3 points; a closed ring needs at least 4, the last repeating the first."
    ]


def test_ring_with_fewer_than_three_distinct_corners() -> None:
    a, b = [106.75, 20.7], [106.751, 20.7]
    assert refusal(polygon([a, a, b, a])) == ["Ring 1 has fewer than 3 distinct corners."]


def test_bow_tie_crosses_itself() -> None:
    lon, lat = HAI_PHONG
    d = 0.001
    bow_tie = [[lon, lat], [lon + d, lat + d], [lon + d, lat], [lon, lat + d], [lon, lat]]
    assert refusal(polygon(bow_tie)) == [
        "Ring 1 crosses itself: the edge from point 1 to point 2 meets the edge from point 3"
        " to point 4."
    ]


def test_ring_touching_itself_at_a_corner_is_refused() -> None:
    lon, lat = HAI_PHONG
    d = 0.001
    figure_eight = [
        [lon, lat],
        [lon + d, lat],
        [lon + d, lat + d],
        [lon + 2 * d, lat + d],
        [lon + 2 * d, lat + 2 * d],
        [lon + d, lat + 2 * d],
        [lon + d, lat + d],
        [lon, lat + d],
        [lon, lat],
    ]
    assert refusal(polygon(figure_eight))[0].startswith("Ring 1 crosses itself")


def test_spike_folding_back_along_an_edge_is_refused() -> None:
    lon, lat = HAI_PHONG
    spike = [[lon, lat], [lon + 0.002, lat], [lon + 0.001, lat], [lon, lat + 0.001], [lon, lat]]
    assert refusal(polygon(spike))[0].startswith("Ring 1 crosses itself")


def test_hole_outside_the_boundary() -> None:
    outer = metres_square(*HAI_PHONG, 100)
    hole = metres_square(HAI_PHONG[0] + 0.01, HAI_PHONG[1], 20)
    assert refusal(polygon(outer, hole)) == [
        "Ring 2 is a hole but lies outside the outer boundary."
    ]


def test_hole_crossing_the_boundary() -> None:
    outer = metres_square(*HAI_PHONG, 100)
    hole = metres_square(HAI_PHONG[0] + 0.0005, HAI_PHONG[1] + 0.0002, 100)
    assert refusal(polygon(outer, hole)) == [
        "Ring 2, a hole, crosses or touches the outer boundary."
    ]


def test_hole_inside_another_hole() -> None:
    outer = metres_square(*HAI_PHONG, 300)
    big = metres_square(HAI_PHONG[0] + 0.0003, HAI_PHONG[1] + 0.0003, 150)
    small = metres_square(HAI_PHONG[0] + 0.0005, HAI_PHONG[1] + 0.0005, 20)
    assert refusal(polygon(outer, big, small)) == ["Ring 3 is a hole inside another hole, ring 2."]


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (102.71, 25.04),  # Kunming, China
        (113.26, 23.13),  # Guangzhou, China
        (100.50, 13.75),  # Bangkok, Thailand
        (125.0, 15.0),  # the Philippine Sea
        (0.0, 0.0),  # "null island", an unset GPS fix
    ],
)
def test_points_outside_vietnam(lon: float, lat: float) -> None:
    assert refusal(point(lon, lat)) == [
        f"The point is outside Vietnam (longitude {lon:.5f}, latitude {lat:.5f})."
    ]


def test_swapped_longitude_and_latitude_get_a_hint() -> None:
    assert refusal(point(20.7, 106.75)) == [
        "The point is outside Vietnam; its numbers look swapped: GeoJSON puts the longitude first."
    ]


def test_polygon_corner_outside_vietnam_is_named() -> None:
    ring = metres_square(*HAI_PHONG, 100)
    ring[2] = [100.5, 13.75]
    assert refusal(polygon(ring)) == [
        "Point 3 of ring 1 is outside Vietnam (longitude 100.50000, latitude 13.75000)."
    ]


@pytest.mark.parametrize(
    "coordinates",
    [
        [math.nan, 20.7],
        [106.75, math.inf],
        ["106.75", "20.7"],
        [True, 20.7],
        [106.75, None],
        [106.75, 20.7, "high"],
        [10**400, 20.7],
    ],
)
def test_coordinates_that_are_not_finite_numbers(coordinates: list[Any]) -> None:
    assert refusal({"type": "Point", "coordinates": coordinates}) == [
        "The point's longitude and latitude must be finite numbers."
    ]


@pytest.mark.parametrize(
    "coordinates", [[106.75], [106.75, 20.7, 1.0, 2.0], "106.75,20.7", None, {"lon": 106.75}]
)
def test_positions_of_the_wrong_shape(coordinates: object) -> None:
    assert refusal({"type": "Point", "coordinates": coordinates}) == [
        "The point must be [longitude, latitude], optionally with an altitude."
    ]


def test_polygon_position_problems_name_ring_and_point() -> None:
    ring: list[Any] = metres_square(*HAI_PHONG, 100)
    ring[1] = [math.nan, 20.7]
    ring[2] = [106.75]
    assert refusal(polygon(ring)) == [
        "Point 2 of ring 1 has a longitude or latitude that is not a finite number.",
        "Point 3 of ring 1 must be [longitude, latitude], optionally with an altitude.",
    ]


@pytest.mark.parametrize("coordinates", [None, [], "ring", {"0": []}])
def test_polygon_without_a_list_of_rings(coordinates: object) -> None:
    assert refusal({"type": "Polygon", "coordinates": coordinates}) == [
        "A polygon's coordinates must be a list of rings: the outer boundary first, then any holes."
    ]


def test_ring_that_is_not_a_list() -> None:
    assert refusal({"type": "Polygon", "coordinates": ["not a ring"]}) == [
        "Ring 1 must be a list of points."
    ]


@pytest.mark.parametrize(
    ("geojson", "message"),
    [
        (
            {"type": "LineString", "coordinates": [[106.75, 20.7], [106.76, 20.7]]},
            "The shape must be a Point or a Polygon, not LineString.",
        ),
        (
            {"type": "MultiPolygon", "coordinates": [[rect(106.75, 20.7, 0.001, 0.001)]]},
            "A MultiPolygon is not accepted: register each separate piece of land as its own"
            " field.",
        ),
        ({"coordinates": [106.75, 20.7]}, "The shape must be a Point or a Polygon, not NoneType."),
        ("POINT(106.75 20.7)", "The location must be a GeoJSON Point or Polygon."),
        ({"type": "Feature", "geometry": None}, "The location must be a GeoJSON Point or Polygon."),
    ],
)
def test_wrong_kinds_of_input(geojson: object, message: str) -> None:
    assert refusal(geojson) == [message]


def test_declared_area_mismatch() -> None:
    ring = metres_square(*CAN_THO, 100)  # 1 ha
    assert refusal(polygon(ring), 2.5) == [
        "The drawn area is 1.00 ha but the declared area is 2.50 ha; the drawing should be"
        " between 1.25 and 5.00 ha."
    ]


@pytest.mark.parametrize("declared", [AREA_RATIO_MIN * 1.0001, 1.0, AREA_RATIO_MAX * 0.9999])
def test_declared_area_within_tolerance(declared: float) -> None:
    ring = metres_square(*CAN_THO, 100)
    assert validate_location(polygon(ring), 1 / declared).area_ha == pytest.approx(1.0, abs=2e-4)


def test_declared_area_from_a_form_decimal() -> None:
    ring = metres_square(*CAN_THO, 100)
    assert validate_location(polygon(ring), Decimal("1.10")).area_ha == pytest.approx(1.0, abs=2e-4)


@pytest.mark.parametrize("declared", [0, -1.0, math.nan, math.inf, "1", True])
def test_declared_area_must_be_a_positive_number(declared: Any) -> None:
    ring = metres_square(*CAN_THO, 100)
    assert refusal(polygon(ring), declared) == [
        "The declared area must be a positive number of hectares."
    ]


def test_larger_than_a_thousand_hectares() -> None:
    ring = metres_square(*CAN_THO, 3200)  # 1,024 ha, less a little for rounding the corners
    assert refusal(polygon(ring)) == [
        "The drawn area is 1,023.96 ha; a field can be at most 1,000.00 ha."
    ]


def test_a_speck_is_not_a_field() -> None:
    ring = metres_square(*CAN_THO, 2)
    assert refusal(polygon(ring)) == [
        "The drawn shape has almost no area (4 m²); draw the whole field boundary."
    ]


def test_too_many_points() -> None:
    lon, lat = HAI_PHONG
    n = MAX_POSITIONS
    ring = [
        [lon + 0.001 * math.cos(2 * math.pi * i / n), lat + 0.001 * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]
    assert refusal(polygon([*ring, ring[0]])) == [
        "The shape has 2001 points; at most 2000 are allowed. Simplify the boundary."
    ]


def test_many_problems_are_capped() -> None:
    ring = [[100.0 + i / 100, 13.0] for i in range(14)]
    messages = refusal(polygon([*ring, ring[0]]))
    assert len(messages) == 11
    assert messages[-1] == "…and 5 more problems."


# --- Messages ------------------------------------------------------------------------------


def test_messages_render_without_any_app_context() -> None:
    with pytest.raises(GeoError) as caught:
        validate_location(polygon(metres_square(*CAN_THO, 100)), 2.5)
    assert isinstance(caught.value, ValueError)
    assert "declared area is 2.50 ha" in str(caught.value)


def test_hectares_follow_the_reader_locale() -> None:
    with pytest.raises(GeoError) as caught:
        validate_location(polygon(metres_square(*CAN_THO, 3200)), None)
    (message,) = rendered(caught.value, APP_VI)
    assert message == "The drawn area is 1.023,96 ha; a field can be at most 1.000,00 ha."


# --- Properties ----------------------------------------------------------------------------

UNITS = 10**7  # coordinates drawn as integers of 1e-7 degree, as the registry keeps them


@st.composite
def rectangles(draw: st.DrawFn) -> tuple[int, int, int, int]:
    lon = draw(st.integers(102_200 * UNITS // 1000, 109_300 * UNITS // 1000))
    lat = draw(st.integers(8_300 * UNITS // 1000, 23_200 * UNITS // 1000))
    width = draw(st.integers(5_000, 135_000))
    height = draw(st.integers(5_000, 135_000))
    return lon, lat, width, height


def rect_units(lon: int, lat: int, width: int, height: int) -> list[list[float]]:
    corners = [(lon, lat), (lon + width, lat), (lon + width, lat + height), (lon, lat + height)]
    ring = [[x / UNITS, y / UNITS] for x, y in corners]
    return [*ring, ring[0]]


@settings(max_examples=200, deadline=None)
@given(rectangles())
def test_rectangle_area_matches_the_sphere(box: tuple[int, int, int, int]) -> None:
    _, lat, width, height = box
    south, north = math.radians(lat / UNITS), math.radians((lat + height) / UNITS)
    expected = EARTH_RADIUS_M**2 * math.radians(width / UNITS) * (math.sin(north) - math.sin(south))
    area = validate_location(polygon(rect_units(*box)), None).area_ha
    assert area == pytest.approx(expected / 10_000, rel=1e-9, abs=6e-5)


@settings(max_examples=200, deadline=None)
@given(rectangles(), st.sampled_from([(2, 1), (1, 2), (2, 2)]))
def test_rectangle_area_scales_with_size(
    box: tuple[int, int, int, int], factor: tuple[int, int]
) -> None:
    lon, lat, width, height = box
    bigger = (lon, lat, width * factor[0], height * factor[1])
    small = validate_location(polygon(rect_units(*box)), None).area_ha
    large = validate_location(polygon(rect_units(*bigger)), None).area_ha
    assert small is not None and large is not None
    # Along a parallel area is exactly linear; along a meridian sin φ bends it, very slightly.
    assert large == pytest.approx(small * factor[0] * factor[1], rel=2e-4, abs=3e-4)


@st.composite
def star_polygons(draw: st.DrawFn) -> list[list[float]]:
    """Simple polygons: corners sorted by angle around a centre, no gap of 180° or more."""
    angles = sorted(draw(st.sets(st.integers(0, 359), min_size=3, max_size=40)))
    gaps = [b - a for a, b in zip(angles, [*angles[1:], angles[0] + 360], strict=True)]
    assume(max(gaps) < 180)
    radii = draw(st.lists(st.floats(30, 400), min_size=len(angles), max_size=len(angles)))
    lon0 = draw(st.floats(102.5, 109.0))
    lat0 = draw(st.floats(8.5, 23.0))
    k = math.cos(math.radians(lat0))
    ring = [
        [
            lon0 + r * math.cos(math.radians(a)) / (M_PER_DEG * k),
            lat0 + r * math.sin(math.radians(a)) / M_PER_DEG,
        ]
        for a, r in zip(angles, radii, strict=True)
    ]
    return [*ring, ring[0]]


def planar_area_ha(ring: list[list[float]]) -> float:
    """Shoelace in local metres: what a surveyor's plane would say for a small field."""
    k = math.cos(math.radians(ring[0][1]))
    xy = [((lon - ring[0][0]) * M_PER_DEG * k, (lat - ring[0][1]) * M_PER_DEG) for lon, lat in ring]
    return abs(sum(ax * by - bx * ay for (ax, ay), (bx, by) in itertools.pairwise(xy))) / 2 / 10_000


@settings(max_examples=150, deadline=None)
@given(star_polygons(), st.integers(0, 100), st.booleans())
def test_polygon_is_invariant_to_orientation_and_starting_vertex(
    ring: list[list[float]], shift: int, reverse: bool
) -> None:
    location = validate_location(polygon(ring), None)
    corners = ring[:-1]
    shift %= len(corners)
    moved = corners[shift:] + corners[:shift]
    moved = moved[::-1] if reverse else moved
    assert validate_location(polygon([*moved, moved[0]]), None) == location
    assert location.area_ha == pytest.approx(planar_area_ha(ring), rel=1e-3, abs=1e-3)


@settings(max_examples=100, deadline=None)
@given(star_polygons())
def test_normalised_geometry_is_a_fixed_point(ring: list[list[float]]) -> None:
    location = validate_location(polygon(ring), None)
    assert validate_location(location.geometry, location.area_ha) == location


# --- The map -------------------------------------------------------------------------------


def test_empty_map_is_an_empty_string() -> None:
    assert svg_map([]) == ""


def field(code: str, geometry: dict[str, Any], label: str = "Ruộng lúa") -> MapFeature:
    return MapFeature(code=code, label=label, href=f"/fields/{code}", geometry=geometry)


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def test_map_of_one_field_has_links_titles_labels_and_a_scale_bar() -> None:
    square = validate_location(polygon(metres_square(*HAI_PHONG, 100)), None).geometry
    root = parse(svg_map([field("HP-001", square, label="Ruộng <Bà Năm> & con")]))
    assert root.get("aria-label") == "Map of 1 field"
    (link,) = root.iter(f"{SVG}a")
    assert link.get("href") == "/fields/HP-001"
    assert link.findtext(f"{SVG}title") == "HP-001: Ruộng <Bà Năm> & con"
    assert link.findtext(f"{SVG}text") == "HP-001"
    scale = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "map-scale")
    assert scale.findtext(f"{SVG}text") in {"20 m", "50 m", "100 m"}


def test_square_field_is_drawn_square() -> None:
    """The cos(latitude) correction: 100 m east is as long on screen as 100 m north."""
    square = validate_location(polygon(metres_square(*HAI_PHONG, 100)), None).geometry
    root = parse(svg_map([field("A", square)]))
    path = next(root.iter(f"{SVG}path"))
    numbers = [
        float(n)
        for n in (path.get("d") or "").replace("M", " ").replace("L", " ").replace("Z", " ").split()
    ]
    xs, ys = numbers[0::2], numbers[1::2]
    assert max(xs) - min(xs) == pytest.approx(max(ys) - min(ys), rel=0.02)


def test_fields_far_apart_are_still_visible_and_clickable() -> None:
    hai_phong = validate_location(polygon(metres_square(*HAI_PHONG, 100)), None).geometry
    can_tho = validate_location(polygon(metres_square(*CAN_THO, 100)), None).geometry
    root = parse(
        svg_map([field("HP", hai_phong), field("CT", can_tho), field("P", point(*CAN_THO))])
    )
    links = {a.get("href"): a for a in root.iter(f"{SVG}a")}
    assert sorted(links) == ["/fields/CT", "/fields/HP"]  # the point on CT's field: no link
    for a in links.values():  # a tiny field is tapped through a circle of the target size
        hit = a.find(f"{SVG}circle[@fill-opacity='0']")
        assert hit is not None and float(hit.get("r") or 0) * 2 >= 24 * 640 / 280
    shown = [g for g in root.iter(f"{SVG}g") if g.get("class") == "map-feature"]
    assert [g[0].text for g in shown] == ["P: Ruộng lúa"]
    assert root.get("aria-label") == "Map of 3 fields"


@pytest.mark.parametrize(
    "href",
    ["https://example.org/x", "//example.org/x", "/\\example.org", "javascript:alert(1)", "f/1"],
)
def test_map_links_must_be_local(href: str) -> None:
    feature = MapFeature("A", "A", href, point(*HAI_PHONG))
    with pytest.raises(ValueError, match="local paths"):
        svg_map([feature])


def test_map_refuses_shapes_it_cannot_draw() -> None:
    with pytest.raises(ValueError, match="Point and Polygon"):
        svg_map([field("A", {"type": "LineString", "coordinates": [[106.7, 20.7]]})])


no_http = st.text(max_size=30).filter(lambda s: "http" not in s.lower())
# Hrefs without control characters (XML would normalise them, the map strips them) and
# without backslashes (browsers read "/\host" as "//host", so the map refuses them).
path_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Cn"), blacklist_characters="\\"),
    max_size=30,
).filter(lambda s: "http" not in s.lower())


@st.composite
def map_features(draw: st.DrawFn) -> MapFeature:
    lon = draw(st.floats(102.5, 109.0))
    lat = draw(st.floats(8.5, 23.0))
    if draw(st.booleans()):
        geometry = point(round(lon, 7), round(lat, 7))
    else:
        size = draw(st.floats(20, 2000))
        geometry = validate_location(polygon(metres_square(lon, lat, size)), None).geometry
    code = draw(st.text(min_size=1, max_size=12).filter(lambda s: "http" not in s.lower()))
    return MapFeature(code, draw(no_http), "/fields/" + draw(path_text), geometry)


@settings(max_examples=100, deadline=None)
@given(st.lists(map_features(), min_size=1, max_size=8), st.integers(200, 1200))
def test_map_is_well_formed_self_contained_svg(features: list[MapFeature], width: int) -> None:
    svg = svg_map(features, width=width, height=width * 5 // 8)
    root = parse(svg)
    links = list(root.iter(f"{SVG}a"))
    unlinked = [g for g in root.iter(f"{SVG}g") if g.get("class") == "map-feature"]
    assert len(links) + len(unlinked) == len(features) and links  # the first always links
    assert all(shape[0].tag == f"{SVG}title" for shape in links + unlinked)
    assert {link.get("href") for link in links} <= {f.href for f in features}
    assert svg.lower().count("http") == 1 and SVG_NS in svg
    assert "<script" not in svg and "style=" not in svg and "xlink" not in svg
    for circle in root.iter(f"{SVG}circle"):
        assert 0 <= float(circle.get("cx") or "nan") <= width


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["Point", "Polygon", "Feature", None]), json_values, json_values)
def test_any_json_is_either_accepted_or_refused_with_reasons(
    kind: str | None, coordinates: Any, declared: Any
) -> None:
    geojson = {"type": kind, "coordinates": coordinates, "geometry": coordinates}
    try:
        validate_location(geojson, declared)
    except GeoError as error:
        assert error.messages and all(rendered(error))
