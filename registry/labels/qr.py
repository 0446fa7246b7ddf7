"""Label QR images (DESIGN.md §5, §7), pure: the label URL as an ISO/IEC 18004 symbol in
byte mode at error correction level M with the standard 4-module quiet zone, drawn as PNG
or as a one-path SVG.

Byte mode is forced rather than left to the encoder's mode optimisation, which would cut
long digit runs of a token into numeric segments: the contract asks for byte mode, and the
symbol then holds the URL's ASCII bytes as one segment."""

from __future__ import annotations

import io
from collections.abc import Iterator
from itertools import groupby

import qrcode
import qrcode.constants
import qrcode.util
from PIL import Image

QUIET_ZONE = 4
_DARK, _LIGHT = 0, 255


def qr_matrix(url: str) -> list[list[bool]]:
    """The modules of the URL's symbol, quiet zone included, row by row (True = dark); the
    smallest version that holds the URL at level M."""
    symbol = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE)
    symbol.add_data(qrcode.util.QRData(url.encode("ascii"), mode=qrcode.util.MODE_8BIT_BYTE))
    symbol.make(fit=True)
    matrix: list[list[bool]] = symbol.get_matrix()
    return matrix


def qr_png(url: str, box_size: int = 10) -> bytes:
    """A black-on-white 1-bit PNG, `box_size` pixels per module."""
    matrix = qr_matrix(url)
    modules = len(matrix)
    pixels = bytes(_DARK if dark else _LIGHT for row in matrix for dark in row)
    image = Image.frombytes("L", (modules, modules), pixels).convert("1")
    side = modules * box_size
    out = io.BytesIO()
    image.resize((side, side), Image.Resampling.NEAREST).save(out, format="PNG", optimize=True)
    return out.getvalue()


def qr_svg(url: str) -> bytes:
    """A scalable SVG sized in modules (viewBox), a white square under one black path with
    a rectangle per horizontal run of dark modules; no text, no fonts, no width or height,
    so that a page or print sheet sets its size."""
    matrix = qr_matrix(url)
    size = len(matrix)
    runs = "".join(
        f"M{x} {y}h{length}v1h-{length}z"
        for y, row in enumerate(matrix)
        for x, length in _dark_runs(row)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{runs}"/></svg>'
    ).encode()


def _dark_runs(row: list[bool]) -> Iterator[tuple[int, int]]:
    """(first column, length) of each run of dark modules in a row."""
    column = 0
    for dark, modules in groupby(row):
        length = sum(1 for _ in modules)
        if dark:
            yield column, length
        column += length
