"""Label QR images (DESIGN.md §5, §7), pure: the label URL as an ISO/IEC 18004 symbol in
byte mode at error correction level M with the standard 4-module quiet zone, drawn as PNG
or as a one-path SVG.

Byte mode holds the URL's ASCII bytes as one segment, rather than letting an encoder's mode
optimisation cut long digit runs of a token into numeric segments: the contract asks for
byte mode. The symbols come from `qrsymbol`, fast enough for print sheets of thousands:
zxing-cpp's `create_barcode` was measured beside it (bench/qr_bench.py) and is about twice
as slow, and it chooses the modes itself, so it cannot be held to byte mode."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

from PIL import Image, ImageOps

from registry.labels.qrsymbol import Symbol, encode

QUIET_ZONE = 4
_DARK_RUN = re.compile(rb"\x01+")
_TO_PIXELS = bytes.maketrans(b"\x00\x01", b"\xff\x00")  # light white, dark black


def qr_symbol(url: str) -> Symbol:
    """The URL's symbol without its quiet zone. Raises UnicodeEncodeError for a URL that is
    not ASCII (label URLs never need more)."""
    return encode(url.encode("ascii"))


def qr_matrix(url: str) -> list[list[bool]]:
    """The modules of the URL's symbol, quiet zone included, row by row (True = dark); the
    smallest version that holds the URL at level M."""
    symbol = qr_symbol(url)
    side = symbol.size + 2 * QUIET_ZONE
    blank = [[False] * side for _ in range(QUIET_ZONE)]
    margin = [False] * QUIET_ZONE
    rows = [[*margin, *map(bool, row), *margin] for row in symbol.rows()]
    return blank + rows + [[False] * side for _ in range(QUIET_ZONE)]


def qr_png(url: str, box_size: int = 10) -> bytes:
    """A black-on-white 1-bit PNG, `box_size` pixels per module."""
    symbol = qr_symbol(url)
    image = Image.frombytes("L", (symbol.size, symbol.size), symbol.modules.translate(_TO_PIXELS))
    image = ImageOps.expand(image, border=QUIET_ZONE, fill=255).convert("1")
    side = image.width * box_size
    out = io.BytesIO()
    image.resize((side, side), Image.Resampling.NEAREST).save(out, format="PNG", optimize=True)
    return out.getvalue()


def qr_svg(url: str) -> bytes:
    """A scalable SVG sized in modules (viewBox), a white square under one black path with
    a rectangle per horizontal run of dark modules; no text, no fonts, no width or height,
    so that a page or print sheet sets its size."""
    symbol = qr_symbol(url)
    size = symbol.size + 2 * QUIET_ZONE
    runs = "".join(
        f"M{x + QUIET_ZONE} {y + QUIET_ZONE}h{length}v1h-{length}z"
        for y, row in enumerate(symbol.rows())
        for x, length in dark_runs(row)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{runs}"/></svg>'
    ).encode()


def dark_runs(row: bytes) -> Iterator[tuple[int, int]]:
    """(first column, length) of each run of dark modules in a row of a `Symbol`."""
    for run in _DARK_RUN.finditer(row):
        yield run.start(), run.end() - run.start()
