"""Label QR images read back by a real decoder (zxing-cpp), also at print size."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from registry.labels.qr import QUIET_ZONE, qr_matrix, qr_png, qr_svg

BASE = "https://nhan.haiphong.gov.vn"
SHORT_URL = f"{BASE}/l/PTT-0000123?le=0oRNogEnBEjLewJGzaI7xKBYYqQBZlZOLVBUVAQabdsMAAYa"
# The longest URL a label may hold (330 characters, §5), with a 40-digit run that mode
# optimisation would have put in a numeric segment.
_GS1_PREFIX = f"{BASE}/01/08936221043064/10/HT26-07/21/PTT-0000123?le="
_TOKEN_CHARACTERS = "0" * 40 + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_" * 6
LONGEST_URL = _GS1_PREFIX + _TOKEN_CHARACTERS[: 330 - len(_GS1_PREFIX)]
PRINT_WIDTH_PX = 236  # 2 cm at 300 dpi


def decode(image: Image.Image) -> list[tuple[str, str, str]]:
    return [
        (found.text, found.format.name, found.ec_level)
        for found in zxingcpp.read_barcodes(image.convert("L"))
    ]


def test_longest_url_is_330_characters() -> None:
    assert len(LONGEST_URL) == 330


@pytest.mark.parametrize("url", [SHORT_URL, LONGEST_URL])
def test_png_reads_back_as_the_url_at_level_m(url: str) -> None:
    image = Image.open(io.BytesIO(qr_png(url)))
    assert image.format == "PNG" and image.mode == "1"
    assert decode(image) == [(url, "QRCode", "M")]


def test_png_size_is_modules_times_box() -> None:
    modules = len(qr_matrix(SHORT_URL))
    assert Image.open(io.BytesIO(qr_png(SHORT_URL, box_size=3))).size == (3 * modules,) * 2


def test_longest_url_fits_version_13_with_its_quiet_zone() -> None:
    matrix = qr_matrix(LONGEST_URL)
    assert len(matrix) == 17 + 4 * 13 + 2 * QUIET_ZONE
    border = matrix[:QUIET_ZONE] + matrix[-QUIET_ZONE:]
    border += [row[:QUIET_ZONE] + row[-QUIET_ZONE:] for row in matrix]
    assert not any(any(row) for row in border)


@pytest.mark.parametrize("resample", [Image.Resampling.NEAREST, Image.Resampling.LANCZOS])
def test_reads_at_two_centimetres_and_300_dpi(resample: Image.Resampling) -> None:
    """About 3 pixels per module for a version-13 symbol: what a 2 cm label printed at
    300 dpi gives a phone camera at best."""
    image = Image.open(io.BytesIO(qr_png(LONGEST_URL)))
    small = image.convert("L").resize((PRINT_WIDTH_PX, PRINT_WIDTH_PX), resample)
    assert decode(small) == [(LONGEST_URL, "QRCode", "M")]


def rasterise(svg: str, scale: int) -> Image.Image:
    """Draw the SVG's white square and its `M x y h n v1 h-n z` runs with Pillow."""
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))  # type: ignore[union-attr]
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    (path,) = re.findall(r'<path fill="#000" d="([^"]*)"/>', svg)
    for x, y, length in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", path):
        left, top = int(x) * scale, int(y) * scale
        draw.rectangle((left, top, left + int(length) * scale - 1, top + scale - 1), fill=0)
    return image


@pytest.mark.parametrize("url", [SHORT_URL, LONGEST_URL])
def test_svg_is_one_path_that_reads_back(url: str) -> None:
    svg = qr_svg(url).decode()
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert svg.count("<path") == 1
    assert not re.search(r"<text|font|<image|<style|href", svg)
    (path,) = re.findall(r'd="([^"]*)"', svg)
    assert re.fullmatch(r"(M\d+ \d+h(\d+)v1h-\2z)+", path)
    assert decode(rasterise(svg, scale=4)) == [(url, "QRCode", "M")]


def test_svg_and_png_draw_the_same_modules() -> None:
    matrix = qr_matrix(SHORT_URL)
    drawn = rasterise(qr_svg(SHORT_URL).decode(), scale=1)
    png = Image.open(io.BytesIO(qr_png(SHORT_URL, box_size=1))).convert("L")
    assert drawn.tobytes() == png.tobytes()
    assert drawn.tobytes() == bytes(0 if dark else 255 for row in matrix for dark in row)


def test_byte_mode_even_for_long_digit_runs() -> None:
    """83 bytes need version 5 at level M in byte mode (84 bytes); with the 60 digits as a
    numeric segment, as the encoder's optimisation would do, they fit version 4."""
    url = "https://x.vn/l/A?le=" + "0" * 60 + "abc"
    assert len(url) == 83
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(url))).convert("L"))
    extra: dict[str, object] = found.extra  # type: ignore[assignment]
    assert (found.text, extra["Version"]) == (url, "5")


def test_urls_are_ascii() -> None:
    with pytest.raises(UnicodeEncodeError):
        qr_png(f"{BASE}/l/PTT-1?le=é")
