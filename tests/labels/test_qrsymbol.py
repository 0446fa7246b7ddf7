"""The fast QR encoder against segno, a well-kept independent one, and a real decoder."""

from __future__ import annotations

import random

import pytest
import segno
import zxingcpp
from PIL import Image, ImageOps
from segno import encoder as segno_encoder

from registry.labels import qrsymbol
from registry.labels.qrsymbol import MAX_VERSION, encode

URL_CHARACTERS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_/:?=."


def filling(version: int) -> int:
    """Bytes that fill the version's data codewords: terminator, no pad codewords."""
    return qrsymbol._data_capacity(version) - (2 if version <= 9 else 3)


def segno_modules(data: bytes) -> tuple[int, bytes]:
    symbol = segno.make_qr(data, error="m", mode="byte", boost_error=False)
    return symbol.version, b"".join(bytes(row) for row in symbol.matrix)


def random_data(rnd: random.Random, length: int) -> bytes:
    return bytes(rnd.choice(URL_CHARACTERS) for _ in range(length))


@pytest.mark.parametrize("version", range(1, MAX_VERSION + 1))
def test_every_version_is_module_for_module_segnos_symbol(version: int) -> None:
    """Data that fill the symbol leave no pad codewords, where segno pads otherwise
    (heuer/segno#148); then everything else must agree, the mask chosen included."""
    data = random_data(random.Random(version), filling(version))
    symbol = encode(data)
    assert symbol.version == version and symbol.size == 17 + 4 * version
    assert (symbol.version, symbol.modules) == segno_modules(data)


@pytest.mark.parametrize("seed", range(40))
def test_label_sized_symbols_choose_segnos_mask(seed: int) -> None:
    rnd = random.Random(seed)
    data = random_data(rnd, filling(rnd.randint(9, 13)))
    assert (encode(data).version, encode(data).modules) == segno_modules(data)


def test_padding_follows_the_standard() -> None:
    """§7.4.10: terminator, zero bits to the byte, then 0xEC and 0x11 alternately."""
    codewords = qrsymbol._data_codewords(b"hello", 1)
    assert codewords == bytes.fromhex("40568656c6c6f0") + b"\xec\x11" * 4 + b"\xec"


def layout(matrix: list[bytearray], size: int) -> int:
    """A matrix in the penalty layout: rows then columns, each after a light gap."""
    gap = "0" * qrsymbol._GAP
    lines = ["".join(map(str, row)) for row in matrix]
    lines += ["".join(str(row[j]) for row in matrix) for j in range(size)]
    return int(gap + gap.join(lines) + gap, 2)


def patterned_matrix(rnd: random.Random, size: int) -> list[bytearray]:
    """Random rows built from runs, finder-like patterns (overlapping ones too) and
    light stretches, so that every penalty rule scores."""
    pieces = ["1011101", "10111011101", "1011101011101", "0000", "11111", "00000000", "1", "0"]
    rows = []
    for _ in range(size):
        text = ""
        while len(text) < size:
            text += rnd.choice(pieces) if rnd.random() < 0.5 else str(rnd.randint(0, 1))
        rows.append(bytearray(int(c) for c in text[:size]))
    if rnd.random() < 0.5:  # the same patterns down the columns
        rows = [bytearray(row[i] for row in rows) for i in range(size)]
    return rows


@pytest.mark.parametrize("version", [1, 2, 7])
def test_penalty_is_segnos_score(version: int) -> None:
    plan = qrsymbol._plan(version)
    rnd = random.Random(version)
    for _ in range(60):
        matrix = patterned_matrix(rnd, plan.size)
        expected = segno_encoder.evaluate_mask(matrix, plan.size, plan.size)
        assert qrsymbol._penalty(layout(matrix, plan.size), plan) == expected


def decode(data: bytes) -> list[tuple[str, str, str]]:
    symbol = encode(data)
    pixels = symbol.modules.translate(bytes.maketrans(b"\x00\x01", b"\xff\x00"))
    image = Image.frombytes("L", (symbol.size, symbol.size), pixels)
    image = ImageOps.expand(image, border=4, fill=255)
    image = image.resize((image.width * 3, image.height * 3), Image.Resampling.NEAREST)
    return [
        (f.text, f.format.name, f.ec_level)
        for f in zxingcpp.read_barcodes(image, formats=zxingcpp.QRCode)
    ]


def test_every_label_length_reads_back() -> None:
    """Each length a label URL may have, in the smallest version at level M."""
    rnd = random.Random(330)
    for length in range(1, 331):
        data = random_data(rnd, length)
        assert decode(data) == [(data.decode(), "QRCode", "M")], length


def test_smallest_version_that_holds_the_data() -> None:
    for version in (1, 9, 10, 13, 40):
        assert encode(bytes(filling(version))).version == version
        if version < MAX_VERSION:
            assert encode(bytes(filling(version) + 1)).version == version + 1
    with pytest.raises(ValueError):
        encode(bytes(filling(MAX_VERSION) + 1))
