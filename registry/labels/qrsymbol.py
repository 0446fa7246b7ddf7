"""QR Code symbols (ISO/IEC 18004:2015) for label URLs, pure and fast: byte mode, error
correction level M, the smallest version that holds the data.

Why not a library: `qrcode` and `segno`, the well-kept pure-Python encoders, spend 15–20 ms
on a version-13 symbol, 85 % of it trying the eight data masks module by module; a print
sheet of 1,000 unit labels needs well under 5 ms each. This encoder does the same work on
whole symbols at once: Reed–Solomon remainders as integer shifts over a per-factor table,
codeword placement as one gather through an index precomputed per version, and each mask's
penalty (§7.8.3) on all rows and columns at once, laid end to end as the bits of one integer
so that a shift and an AND test every module of the symbol together.

Its output is module for module the symbol `segno` makes for the same bytes
(`segno.make_qr(data, error="m", mode="byte", boost_error=False)`), mask choice included:
masks are scored as segno scores them, before the format and version information are drawn,
counting a 1:1:3:1:1 pattern the way segno's scan of each line meets it. The one difference
is segno's known padding slip (heuer/segno#148: a zero byte after the terminator when it
ends on a codeword boundary, as byte mode always does); this encoder pads as §7.4.10 says,
so the two agree on data that fill their symbol, which tests/labels/test_qrsymbol.py checks
for every version."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from operator import itemgetter

MAX_VERSION = 40
_MODE_BYTE = 0b0100
_LEVEL_M = 0b00  # format information bits of error correction level M
_FORMAT_MASK = 0x5412
_FORMAT_GENERATOR = 0x537
_VERSION_GENERATOR = 0x1F25
_PAD = b"\xec\x11"
# Level M, by version (ISO/IEC 18004 Table 9): error correction codewords in each block,
# and the number of blocks.
_ECC_PER_BLOCK = (0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26,
                  26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
                  28, 28, 28)  # fmt: skip
_BLOCKS = (0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20,
           21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49)  # fmt: skip
_MASKS = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
)
_GAP = 4  # light modules before the first line and after each in the penalty layout
_TO_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
_FROM_DIGITS = bytes.maketrans(b"01", b"\x00\x01")
_BITS = tuple(bytes((byte >> (7 - k)) & 1 for k in range(8)) for byte in range(256))


@dataclass(frozen=True, slots=True)
class Symbol:
    """A QR symbol without its quiet zone: `modules` holds `size` rows of `size` bytes,
    1 for a dark module and 0 for a light one."""

    version: int
    size: int
    modules: bytes

    def rows(self) -> list[bytes]:
        size = self.size
        return [self.modules[i : i + size] for i in range(0, size * size, size)]


def encode(data: bytes) -> Symbol:
    """The level-M symbol of `data` in one byte-mode segment, in the smallest version that
    holds it. Raises ValueError when the data exceed version 40."""
    version = _version_for(len(data))
    plan = _plan(version)
    codewords = _with_error_correction(_data_codewords(data, version), version)
    bits = b"".join(map(_BITS.__getitem__, codewords))
    bits += bytes(plan.data_modules - len(bits))  # remainder bits
    unmasked = _bits(bytes(plan.gather(plan.template + bits + b"\x00")))
    best = min(range(8), key=lambda k: _penalty(unmasked ^ plan.masks[k], plan))
    chosen = format(unmasked ^ plan.masks[best], f"0{plan.length}b").encode()
    size, stride = plan.size, plan.size + _GAP
    rows = b"".join(chosen[_GAP + i : _GAP + i + size] for i in range(0, size * stride, stride))
    drawn = format(int(rows, 2) | plan.information[best], f"0{size * size}b")
    return Symbol(version, size, drawn.encode().translate(_FROM_DIGITS))


# ---------------------------------------------------------------- data and error correction
def _count_bits(version: int) -> int:
    return 8 if version <= 9 else 16


def _data_capacity(version: int) -> int:
    """Data codewords of the version at level M."""
    return _raw_modules(version) // 8 - _ECC_PER_BLOCK[version] * _BLOCKS[version]


def _version_for(length: int) -> int:
    for version in range(1, MAX_VERSION + 1):
        if 4 + _count_bits(version) + 8 * length <= 8 * _data_capacity(version):
            return version
    raise ValueError(f"{length} bytes do not fit a QR symbol at level M")


def _data_codewords(data: bytes, version: int) -> bytes:
    """Mode, character count, data, terminator, padding to a byte, pad codewords (§7.4)."""
    capacity = _data_capacity(version)
    count = _count_bits(version)
    value = ((_MODE_BYTE << count | len(data)) << 8 * len(data)) | int.from_bytes(data)
    length = 4 + count + 8 * len(data)
    tail = min(4, 8 * capacity - length)  # terminator
    tail += -(length + tail) % 8
    value, length = value << tail, length + tail
    head = value.to_bytes(length // 8)
    return head + (_PAD * capacity)[: capacity - len(head)]


def _with_error_correction(data: bytes, version: int) -> bytes:
    """Data split into blocks, each with its Reed–Solomon codewords, interleaved (§7.6)."""
    ecc, blocks = _ECC_PER_BLOCK[version], _BLOCKS[version]
    total = _raw_modules(version) // 8
    short = total // blocks - ecc  # data codewords in a short block; long ones have one more
    shorts = blocks - total % blocks
    parts, start = [], 0
    for b in range(blocks):
        end = start + short + (b >= shorts)
        parts.append(data[start:end])
        start = end
    remainders = [_rs_remainder(part, ecc) for part in parts]
    interleaved = bytearray(part[i] for i in range(short + 1) for part in parts if i < len(part))
    interleaved += bytes(rem[i] for i in range(ecc) for rem in remainders)
    return bytes(interleaved)


def _gf_tables() -> tuple[list[int], list[int]]:
    exp, log, value = [0] * 512, [0] * 256, 1
    for power in range(255):
        exp[power] = exp[power + 255] = value
        log[value] = power
        value <<= 1
        if value & 0x100:
            value ^= 0x11D
    return exp, log


_EXP, _LOG = _gf_tables()


def _gf_mul(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else _EXP[_LOG[a] + _LOG[b]]


@cache
def _rs_table(degree: int) -> tuple[int, ...]:
    """For each factor, the generator polynomial (leading 1 dropped) times the factor, as
    an integer of `degree` bytes, highest coefficient first."""
    divisor = [0] * (degree - 1) + [1]
    root = 1
    for _ in range(degree):
        for j in range(degree):
            divisor[j] = _gf_mul(divisor[j], root)
            if j + 1 < degree:
                divisor[j] ^= divisor[j + 1]
        root = _gf_mul(root, 2)
    return tuple(
        int.from_bytes(bytes(_gf_mul(c, factor) for c in divisor)) for factor in range(256)
    )


def _rs_remainder(block: bytes, degree: int) -> bytes:
    """The polynomial division as a shift register held in one integer."""
    table, top, full = _rs_table(degree), 8 * (degree - 1), (1 << 8 * degree) - 1
    remainder = 0
    for byte in block:
        remainder = ((remainder << 8) & full) ^ table[byte ^ (remainder >> top)]
    return remainder.to_bytes(degree)


# ---------------------------------------------------------------- masks and their penalty
def _penalty(dark: int, plan: _Plan) -> int:
    """The §7.8.3 penalty of a masked symbol as segno scores it (format and version areas
    light). `dark` holds the symbol's rows then its columns, one bit per module, the first
    line's first module highest, each line after a gap of light bits that ends runs and
    stands for the light surroundings; a right shift by k lines each module up with the
    one k places before it in its line."""
    light = dark ^ plan.modules
    score = 0
    for x in (dark, light):
        ends = x & x >> 1 & x >> 2 & x >> 3 & x >> 4  # N1: last module of five alike
        score += ends.bit_count() + 2 * (ends & ~(ends >> 1)).bit_count()  # 3 + (length − 5)
        stride = plan.size + _GAP  # N2: 2×2 blocks of one colour, by their lower right
        score += 3 * (x & x >> 1 & x >> stride & x >> (stride + 1) & plan.rows).bit_count()
    # N3: 1:1:3:1:1 ending here, with four light modules (or the edge) before or after.
    clear = dark ^ plan.everything
    clear4 = clear & clear >> 1 & clear >> 2 & clear >> 3
    found = dark & light >> 1 & dark >> 2 & dark >> 3 & dark >> 4 & light >> 5 & dark >> 6
    found &= clear4 >> 7 | clear4 << 4
    # segno's scan resumes 7 modules after a pattern it counts and so passes over one that
    # overlaps it (4 or 6 modules later); a pattern passed over does not hide the next.
    counted = found
    while True:
        again = found & ~(counted >> 4 | counted >> 6)
        if again == counted:
            break
        counted = again
    score += 40 * counted.bit_count()
    percent = float((dark & plan.rows).bit_count()) / plan.size**2
    return score + 10 * int(abs(percent * 100 - 50) / 5)  # N4


# ---------------------------------------------------------------- per-version layout
def _raw_modules(version: int) -> int:
    """Modules left for codewords and remainder bits once function patterns are drawn."""
    result = (16 * version + 128) * version + 64
    if version >= 2:
        aligned = version // 7 + 2
        result -= (25 * aligned - 10) * aligned - 55
        if version >= 7:
            result -= 36
    return result


def _alignment_centres(version: int) -> list[int]:
    if version == 1:
        return []
    count = version // 7 + 2
    step = (version * 8 + count * 3 + 5) // (count * 4 - 4) * 2
    size = 17 + 4 * version
    return [6, *reversed([size - 7 - k * step for k in range(count - 1)])]


def _bch(value: int, bits: int, generator: int) -> int:
    """`value` followed by its BCH remainder of `bits` bits."""
    remainder = value
    for _ in range(bits):
        remainder = (remainder << 1) ^ ((remainder >> (bits - 1)) * generator)
    return value << bits | remainder


@dataclass(frozen=True)
class _Plan:
    """What every symbol of one version shares."""

    size: int
    data_modules: int
    template: bytes  # function patterns, format and version areas light, a byte per module
    # template + data bits + a light byte → the penalty layout, a byte per bit
    gather: Callable[[bytes], tuple[int, ...]]
    length: int  # bits in the penalty layout
    masks: tuple[int, ...]  # per mask: the modules it flips, in the penalty layout
    modules: int  # the symbol's modules (not the gaps) in the penalty layout
    rows: int  # the modules of the rows (not the columns) in the penalty layout
    everything: int  # all bits of the penalty layout
    information: tuple[int, ...]  # per mask: its dark format and version modules, row by row


@cache
def _plan(version: int) -> _Plan:
    size = 17 + 4 * version
    value, fixed = bytearray(size * size), bytearray(size * size)

    def put(i: int, j: int, dark: bool) -> None:
        value[i * size + j], fixed[i * size + j] = dark, 1

    for k in range(size):  # timing patterns (the finders overwrite their ends)
        put(6, k, k % 2 == 0)
        put(k, 6, k % 2 == 0)
    for ci, cj in ((3, 3), (3, size - 4), (size - 4, 3)):  # finders and their separators
        for i in range(max(ci - 4, 0), min(ci + 5, size)):
            for j in range(max(cj - 4, 0), min(cj + 5, size)):
                put(i, j, max(abs(i - ci), abs(j - cj)) not in (2, 4))
    centres = _alignment_centres(version)
    corners = {(6, 6), (6, size - 7), (size - 7, 6)}
    for ci in centres:
        for cj in centres:
            if (ci, cj) not in corners:
                for i in range(ci - 2, ci + 3):
                    for j in range(cj - 2, cj + 3):
                        put(i, j, max(abs(i - ci), abs(j - cj)) != 1)
    for position, _ in _information_modules(version, size)[0]:
        value[position], fixed[position] = 0, 1
    order = _placement(size, fixed)
    index = list(range(size * size))
    for n, position in enumerate(order):
        index[position] = size * size + n
    gap = size * size + len(order)  # the light byte after the data bits
    lines = [[i * size + j for j in range(size)] for i in range(size)]
    lines += [[i * size + j for i in range(size)] for j in range(size)]
    layout = [gap] * _GAP
    for line in lines:
        layout += [index[n] for n in line] + [gap] * _GAP
    gather = itemgetter(*layout)
    masks = []
    for mask in _MASKS:  # in the gather's source: no flips in the template or the gap
        flips = bytes(size * size) + bytes(mask(p // size, p % size) for p in order) + b"\x00"
        masks.append(_bits(bytes(gather(flips))))
    modules = bytes(n != gap for n in layout)
    half = _GAP + size * (size + _GAP)
    information = []
    for k in range(8):
        drawn = bytearray(size * size)
        for position, dark in _information_modules(version, size)[k]:
            drawn[position] = dark
        information.append(_bits(drawn))
    return _Plan(
        size=size,
        data_modules=len(order),
        template=bytes(value),
        gather=gather,
        length=len(layout),
        masks=tuple(masks),
        modules=_bits(modules),
        rows=_bits(modules[:half] + bytes(len(layout) - half)),
        everything=(1 << len(layout)) - 1,
        information=tuple(information),
    )


def _bits(modules: bytes | bytearray) -> int:
    """One bit per byte, the first byte highest."""
    return int(bytes(modules).translate(_TO_DIGITS), 2)


def _information_modules(version: int, size: int) -> list[list[tuple[int, bool]]]:
    """Per mask: (position, dark) of each format module, the dark module and (from version
    7) each version module (§7.9, §7.10)."""
    version_bits = _bch(version, 12, _VERSION_GENERATOR) if version >= 7 else None
    result = []
    for mask in range(8):
        bits = _bch(_LEVEL_M << 3 | mask, 10, _FORMAT_GENERATOR) ^ _FORMAT_MASK
        modules = []
        for k in range(15):
            dark = bits >> k & 1
            if k < 6:
                first = (k, 8)
            elif k < 8:
                first = (k + 1, 8)
            elif k == 8:
                first = (8, 7)
            else:
                first = (8, 14 - k)
            second = (8, size - 1 - k) if k < 8 else (size - 15 + k, 8)
            modules += [(first, dark), (second, dark)]
        modules.append(((size - 8, 8), 1))
        if version_bits is not None:
            for k in range(18):
                dark = version_bits >> k & 1
                a, b = size - 11 + k % 3, k // 3
                modules += [((b, a), dark), ((a, b), dark)]
        result.append([(i * size + j, bool(dark)) for (i, j), dark in modules])
    return result


def _placement(size: int, fixed: bytearray) -> list[int]:
    """Positions of the codeword bits, in order: two-module columns from the right,
    alternately upwards and downwards, skipping function modules and the timing column."""
    order = []
    for right in range(size - 1, 0, -2):
        if right <= 6:
            right -= 1
        upwards = ((right + 1) & 2) == 0
        for vertical in range(size):
            i = size - 1 - vertical if upwards else vertical
            for j in (right, right - 1):
                if not fixed[i * size + j]:
                    order.append(i * size + j)
    return order
