"""Label artwork: the PNG's QR reads back as the label's URL at 300 dpi, the SVG draws the
same symbol and speaks Vietnamese, long product names stay on the label."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from registry.db import db
from registry.labels import issuance, layout
from registry.labels.artwork import (
    HEIGHT_MM,
    WIDTH_MM,
    LabelArt,
    artwork_items,
    artwork_png,
    artwork_svg,
    mark_svg,
)
from registry.labels.layout import Code, Text
from registry.labels.models import Label
from tests.labels.conftest import TODAY

SVG = "{http://www.w3.org/2000/svg}"
PRODUCT = "Gạo trắng ST25 Đồ Sơn"


@pytest.fixture
def label(packed, authority, issuer) -> Label:
    request = issuance.request_label(db.session, packed.organisation, packed.id)
    issued = issuance.issue(db.session, authority, request.id, issuer, TODAY)
    db.session.commit()
    return issued


def qr_texts(image: Image.Image) -> list[str]:
    return [f.text for f in zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.QRCode)]


def test_png_is_40_by_60_mm_at_300_dpi_and_reads_back_as_the_url(label: Label) -> None:
    image = Image.open(io.BytesIO(artwork_png(LabelArt.of(label, PRODUCT))))
    assert image.format == "PNG" and image.size == (472, 709)
    assert [round(d) for d in image.info["dpi"]] == [300, 300]
    assert qr_texts(image) == [label.url]


def svg_texts(svg: bytes) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_svg_says_what_the_label_claims_in_vietnamese(label: Label) -> None:
    svg = artwork_svg(LabelArt.of(label, PRODUCT))
    root = ET.fromstring(svg)
    assert (root.get("width"), root.get("height")) == ("40mm", "60mm")
    reduction = f"{label.reduction_permille / 10:.1f}".replace(".", ",")
    assert svg_texts(svg) == [
        "PHÁT THẢI THẤP",
        PRODUCT,
        f"{label.g_co2e_per_kg:,} g CO₂e/kg".replace(",", "."),
        f"Giảm {reduction}% so với 2020",
        f"Số sê-ri {label.serial}",
    ]


def test_svg_draws_the_same_symbol(label: Label) -> None:
    """Redraw the SVG's QR path (runs `M x y h n v1 h-n z` in module units) and read it."""
    svg = artwork_svg(LabelArt.of(label, PRODUCT)).decode()
    (path,) = re.findall(r'shape-rendering="crispEdges"><path fill="#000" d="([^"]*)"', svg)
    scale = 4
    image = Image.new("L", (120 * scale, 120 * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, length in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", path):
        left, top = int(x) * scale, int(y) * scale
        draw.rectangle((left, top, left + int(length) * scale - 1, top + scale - 1), fill=0)
    assert qr_texts(image) == [label.url]


def art(product: str) -> LabelArt:
    url = "https://nhan.haiphong.gov.vn/l/7K3M9QXZ?le=" + "A" * 240
    return LabelArt("7K3M9QXZ", url, product, 1234, 253)


@pytest.mark.parametrize(
    "product",
    ["Gạo", PRODUCT, "Gạo thơm ST25 đặc sản vùng lúa tôm Sóc Trăng, túi 5 kg, vụ Đông Xuân"],
)
def test_every_line_stays_on_the_label(product: str) -> None:
    for item in artwork_items(art(product)):
        if isinstance(item, Text):
            assert item.width <= WIDTH_MM - 4 + 1e-9
            assert item.x - item.width / 2 >= 0 and item.x + item.width / 2 <= WIDTH_MM
            assert item.size <= item.y <= HEIGHT_MM


def test_long_names_shrink_then_end_in_an_ellipsis() -> None:
    assert layout.fitted("Gạo", 3.0, 36) == ("Gạo", 3.0)
    text, size = layout.fitted("Gạo trắng ST25 Sóc Trăng túi 5 kg", 3.0, 36, bold=True)
    assert text == "Gạo trắng ST25 Sóc Trăng túi 5 kg" and 1.8 <= size < 3.0
    text, size = layout.fitted("Gạo thơm " * 10, 3.0, 36)
    assert text.endswith("…") and size == pytest.approx(1.8)
    assert layout.text_width(text, size) <= 36


def test_decomposed_vietnamese_is_drawn_precomposed() -> None:
    """Text typed on some keyboards arrives decomposed (a + combining marks)."""
    decomposed = "Ga\u0323o tra\u0306\u0301ng"
    assert layout.fitted(decomposed, 3.0, 36)[0] == "Gạo trắng"


def test_numbers_read_the_vietnamese_way() -> None:
    assert layout.intensity(1234) == "1.234 g CO₂e/kg"
    assert layout.reduction(253) == "25,3%" and layout.reduction(100) == "10,0%"


def test_the_mark_is_a_titled_svg() -> None:
    root = ET.fromstring(mark_svg())
    assert root.get("viewBox") == "0 0 1 1"
    assert root.find(f"{SVG}title").text == "Phát thải thấp"  # type: ignore[union-attr]


def orchard_art(removals: float) -> LabelArt:
    url = "https://nhan.haiphong.gov.vn/l/7K3M9QXZ?le=" + "A" * 240
    return LabelArt("7K3M9QXZ", url, "Nhãn lồng Hưng Yên", 412, 187, removals)


def test_an_orchards_label_prints_the_trees_uptake_beside_the_emissions() -> None:
    """The uptake is its own line under the reduction, never netted into the intensity,
    and the smaller QR still reads back at 300 dpi."""
    art = orchard_art(1.2345)
    assert svg_texts(artwork_svg(art)) == [
        "PHÁT THẢI THẤP",
        "Nhãn lồng Hưng Yên",
        "412 g CO₂e/kg",
        "Giảm 18,7% so với 2020",
        "Cây hấp thụ 1,234 kg CO₂/kg",
        "Số sê-ri 7K3M9QXZ",
    ]
    assert qr_texts(Image.open(io.BytesIO(artwork_png(art)))) == [art.url]


def test_an_orchards_lines_stay_above_its_qr() -> None:
    items = artwork_items(orchard_art(12_345.678))
    (code,) = [i for i in items if isinstance(i, Code)]
    texts = [i for i in items if isinstance(i, Text)]
    above = [t for t in texts if t.y < code.y + code.side]  # all but the serial
    assert len(above) == len(texts) - 1
    for text in texts:
        assert text.width <= WIDTH_MM - 4 + 1e-9
    for text in above:
        assert text.y <= code.y + 0.5  # a baseline may sit in the QR's white quiet zone
