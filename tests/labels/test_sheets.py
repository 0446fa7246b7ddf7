"""Print sheets: page counts and sizes, every unit's QR read back from the rendered pages
in order, Vietnamese text extracted from the PDF, progress by page."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
import zxingcpp
from reportlab.lib.units import mm

from registry.db import db
from registry.labels import issuance
from registry.labels.artwork import LabelArt
from registry.labels.layout import Text
from registry.labels.models import Label
from registry.labels.sheets import SIZES, render_sheet, unit_items
from tests.labels.conftest import TODAY

PRODUCT = "Gạo trắng"
DPI = 300


@pytest.fixture
def units(packed, authority, issuer) -> list[Label]:
    """40 unit labels of 0.5 kg on the packed batch."""
    request = issuance.request_label(db.session, packed.organisation, packed.id, 40, 0.5)
    label = issuance.issue(db.session, authority, request.id, issuer, TODAY)
    db.session.commit()
    return list(issuance.units_of(db.session, label.id))


def arts(labels: list[Label]) -> list[LabelArt]:
    return [LabelArt.of(unit, PRODUCT) for unit in labels]


def read_page(page: pdfium.PdfPage) -> tuple[set[str], str]:
    """The QR texts on a page rendered at 300 dpi, and the page's extracted text."""
    image = page.render(scale=DPI / 72).to_pil().convert("L")
    found = {f.text for f in zxingcpp.read_barcodes(image, formats=zxingcpp.QRCode)}
    return found, page.get_textpage().get_text_range()


def test_a4_sheet_has_32_labels_a_page_each_reading_back(units: list[Label]) -> None:
    pages: list[tuple[int, int]] = []
    pdf = pdfium.PdfDocument(
        render_sheet(arts(units), "a4", progress=lambda done, total: pages.append((done, total)))
    )
    assert pages == [(1, 2), (2, 2)] and len(pdf) == 2
    assert pdf[0].get_size() == pytest.approx((210 * mm, 297 * mm), abs=0.01)
    for number, chunk in enumerate((units[:32], units[32:])):
        codes, text = read_page(pdf[number])
        assert codes == {u.url for u in chunk}
        assert f"Trang {number + 1}/2 · cắt theo đường chấm" in text
        assert text.count("PHÁT THẢI THẤP") == len(chunk)
        assert all(u.serial in text for u in chunk)
        for words in ("g CO₂e/kg", "so với 2020", PRODUCT):
            assert words in text


@pytest.mark.parametrize("name", ["40x30", "50x30", "60x40"])
def test_roll_sheets_print_one_label_a_page_in_order(units: list[Label], name: str) -> None:
    size = SIZES[name]
    pdf = pdfium.PdfDocument(render_sheet(arts(units[:3]), size))
    assert len(pdf) == 3
    for page, unit in zip(pdf, units[:3], strict=True):
        assert page.get_size() == pytest.approx((size.page[0] * mm, size.page[1] * mm), abs=0.01)
        codes, text = read_page(page)
        assert codes == {unit.url}
        assert unit.serial in text and "PHÁT THẢI THẤP" in text
        assert f"−{unit.reduction_permille / 10:.1f}%".replace(".", ",") in text


@pytest.mark.parametrize("name", sorted(SIZES))
def test_text_stays_on_every_label_size(name: str) -> None:
    width, height = SIZES[name].label
    url = "https://nhan.haiphong.gov.vn/l/7K3M9QXZ?le=" + "A" * 240
    long_name = LabelArt("7K3M9QXZ", url, "Gạo thơm ST25 đặc sản Sóc Trăng túi 5 kg", 12345, 999)
    for item in unit_items(long_name, width, height):
        if isinstance(item, Text):
            left = item.x - (item.width / 2 if item.anchor == "middle" else 0)
            assert 0 <= left and left + item.width <= width + 1e-9
            assert item.size <= item.y <= height


def test_nothing_to_print_or_no_such_size() -> None:
    with pytest.raises(ValueError):
        render_sheet([], "a4")
    url = "https://nhan.haiphong.gov.vn/l/7K3M9QXZ?le=AAAA"
    with pytest.raises(KeyError):
        render_sheet([LabelArt("7K3M9QXZ", url, PRODUCT, 1, 1)], "a3")


@pytest.mark.parametrize("name", sorted(SIZES))
def test_an_orchards_unit_label_adds_the_trees_uptake_and_stays_on_the_label(name: str) -> None:
    width, height = SIZES[name].label
    url = "https://nhan.haiphong.gov.vn/l/7K3M9QXZ?le=" + "A" * 240
    longan = LabelArt("7K3M9QXZ", url, "Nhãn lồng Hưng Yên túi 1 kg", 412, 187, 1_234.5678)
    texts = [item for item in unit_items(longan, width, height) if isinstance(item, Text)]
    shown = [t.text for t in texts]
    assert shown[shown.index("Cây hấp thụ") + 1] == "1.234,568 kg CO₂/kg"
    serial = texts[-1]
    for item in texts:
        left = item.x - (item.width / 2 if item.anchor == "middle" else 0)
        assert 0 <= left and left + item.width <= width + 1e-9
        assert item.size <= item.y <= height
        assert item is serial or item.y < serial.y - serial.size  # above the serial
