"""The log as static tiles (DESIGN.md §6b, C2SP tlog-tiles): names, shapes and bytes. No I/O.

A hash tile of level ``L`` holds 256 consecutive hashes of tree level ``8·L``: level 0 the
leaf hashes, level 1 the roots of complete 256-leaf subtrees, and so on. Hash ``j`` of
tile ``(L, N)`` is the stored node ``(8·L, 256·N + j)`` of ``registry.ledger.tree``, so
every tile is read straight from ``log_nodes``. An entry bundle holds the same 256
positions' entries, each as a big-endian uint16 length and the entry's bytes.

A tree of ``size`` leaves has, on each level, the full tiles that its complete hashes
fill, and at most one partial tile ``.p/<W>`` holding the ``W`` (1-255) hashes left over
at the right edge. Full tiles never change once the tree reaches them; a partial tile's
bytes never change either (they are the first ``W`` of the tile that later replaces it),
only whether it is still kept::

    level 2  [2/000.p/1]                              size >> 16 = 1 hash
    level 1  [1/000: 256 hashes ][1/001.p/5]          size >> 8  = 261 hashes
    level 0  [0/000][0/001] ... [0/260][0/261.p/44]   size = 66,860 leaf hashes
    entries  [entries/000] ...  [entries/261.p/44]    the same positions' entries

Paths write the tile index in groups of three digits, every group but the last prefixed
with ``x``: tile 1,234,067 of level 0 is ``tile/0/x001/x234/067``. ``ENTRIES`` (``-1``)
stands for the entry bundles' "level", as in Go's golang.org/x/mod/sumdb/tlog.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from registry.ledger.rfc9162 import HASH_SIZE

HEIGHT = 8
"""Tree levels one tile spans."""

WIDTH = 1 << HEIGHT
"""Hashes (or entries) in a full tile: 256."""

ENTRIES = -1
"""The level of entry bundles (``tile/entries/...``)."""

MAX_ENTRY = 0xFFFF
"""The longest entry an entry bundle can hold: its length is a uint16."""

MAX_LEVEL = 63 // HEIGHT
"""Levels a 63-bit tree can have: tree level ``8·L`` must stay below 64."""

MAX_INDEX = (1 << 63) // WIDTH - 1
"""The largest tile index whose positions fit in a signed 64-bit (BIGINT) index."""

PATH_FORM = "<level>/<index>[.p/<width>], e.g. 0/x001/234, 1/005.p/17, entries/000"
"""How a tile path is written, for error messages."""

_LEVEL = r"(?P<level>entries|0|[1-9][0-9]*)"
_INDEX = r"(?P<index>(?:x[0-9]{3}/)*[0-9]{3})"
_WIDTH = r"(?:\.p/(?P<width>[1-9][0-9]*))?"
_PATH = re.compile(f"{_LEVEL}/{_INDEX}{_WIDTH}")


@dataclass(frozen=True, order=True)
class Tile:
    """One tile: ``level`` (``ENTRIES`` for an entry bundle), ``index`` and ``width``
    (``WIDTH`` for a full tile, 1-255 for a partial one)."""

    level: int
    index: int
    width: int = WIDTH

    def __post_init__(self) -> None:
        if not ENTRIES <= self.level <= MAX_LEVEL:
            raise ValueError(f"tile level {self.level} is not entries or 0..{MAX_LEVEL}")
        if not 0 <= self.index <= MAX_INDEX:
            raise ValueError(f"tile index {self.index} is out of range")
        if not 1 <= self.width <= WIDTH:
            raise ValueError(f"tile width {self.width} is not 1..{WIDTH}")

    @property
    def full(self) -> bool:
        return self.width == WIDTH

    @property
    def start(self) -> int:
        """Position (leaf index, or index on tree level ``8·level``) of its first item."""
        return self.index * WIDTH

    @property
    def end(self) -> int:
        """Position just after its last item."""
        return self.start + self.width

    @property
    def tree_level(self) -> int:
        """The level of ``log_nodes`` its hashes come from (entry bundles: the leaves)."""
        return HEIGHT * max(self.level, 0)

    @property
    def path(self) -> str:
        """``tile/<L>/<N>[.p/<W>]`` relative to the log's prefix."""
        level = "entries" if self.level == ENTRIES else str(self.level)
        tail = "" if self.full else f".p/{self.width}"
        return f"tile/{level}/{index_path(self.index)}{tail}"


def index_path(index: int) -> str:
    """``1234067`` → ``x001/x234/067``: three-digit groups, all but the last ``x``-prefixed."""
    groups = []
    while True:
        index, group = divmod(index, 1000)
        groups.append(f"{group:03d}")
        if not index:
            break
    *upper, last = reversed(groups)
    return "".join(f"x{group}/" for group in upper) + last


def parse(path: str) -> Tile:
    """The tile that ``<L>/<N>[.p/<W>]`` (the part after ``tile/``) names.

    Only the one canonical spelling of each tile is accepted (no ``x000/`` lead group,
    no leading zeros in ``L`` or ``W``, no ``.p/256``), so a cache never holds a tile
    under two names. Raises ``ValueError``.
    """
    found = _PATH.fullmatch(path)
    if not found:
        raise ValueError(f"{path!r} is not <level>/<index>[.p/<width>]")
    groups = found["index"].split("/")
    if len(groups) > 1 and groups[0] == "x000":
        raise ValueError(f"{path!r}: the index has a leading zero group")
    if len(groups) > 7:
        raise ValueError(f"{path!r}: the index is out of range")
    index = int("".join(group.lstrip("x") for group in groups))
    width = int(found["width"] or WIDTH)
    if found["width"] and width >= WIDTH:
        raise ValueError(f"{path!r}: a partial tile holds 1 to {WIDTH - 1} items")
    level = ENTRIES if found["level"] == "entries" else int(found["level"])
    return Tile(level, index, width)


# ---------------------------------------------------------------- which tiles a tree has
def count(level: int, size: int) -> int:
    """Items a tree of ``size`` leaves has complete on tile level ``level``."""
    _check_size(size)
    return size >> (HEIGHT * max(level, 0))


def levels(size: int) -> list[int]:
    """The levels a tree of ``size`` leaves has tiles on: entries first, then 0, 1, ..."""
    found = [ENTRIES] if size else []
    level = 0
    while level <= MAX_LEVEL and count(level, size):
        found.append(level)
        level += 1
    return found


def partial(level: int, size: int) -> Tile | None:
    """The partial tile of ``level`` in a tree of ``size`` leaves, if it has one."""
    index, width = divmod(count(level, size), WIDTH)
    return Tile(level, index, width) if width else None


def tiles(size: int) -> list[Tile]:
    """Every tile a tree of ``size`` leaves has: full and partial, all levels."""
    return new_tiles(0, size)


def new_tiles(old: int, new: int) -> list[Tile]:
    """Tiles a tree of ``new`` leaves has that one of ``old`` leaves did not: the full
    tiles completed since, and ``new``'s partial tiles (unless ``old`` had the same)."""
    if old > new:
        raise ValueError(f"a log only grows: {old} > {new}")
    found = []
    for level in levels(new):
        first, last = count(level, old) // WIDTH, count(level, new) // WIDTH
        found += [Tile(level, index) for index in range(first, last)]
        edge = partial(level, new)
        if edge and edge != partial(level, old):
            found.append(edge)
    return found


def partials(size: int) -> set[Tile]:
    """The partial tiles of a tree of ``size`` leaves (one per level at most)."""
    return {edge for level in levels(size) if (edge := partial(level, size))}


def within(tile: Tile, size: int) -> bool:
    """Whether every item of ``tile`` is complete in a tree of ``size`` leaves (older,
    narrower partials included: their bytes are the first items of today's tile)."""
    return tile.end <= count(tile.level, size)


# ---------------------------------------------------------------- bytes
def encode_hashes(hashes: Iterable[bytes]) -> bytes:
    """A hash tile: the hashes concatenated."""
    items = list(hashes)
    if any(len(item) != HASH_SIZE for item in items):
        raise ValueError(f"a hash tile holds {HASH_SIZE}-byte hashes")
    return b"".join(items)


def decode_hashes(data: bytes) -> list[bytes]:
    if len(data) % HASH_SIZE:
        raise ValueError(f"a hash tile is a multiple of {HASH_SIZE} bytes, not {len(data)}")
    return [data[at : at + HASH_SIZE] for at in range(0, len(data), HASH_SIZE)]


def encode_bundle(entries: Iterable[bytes]) -> bytes:
    """An entry bundle: each entry as a big-endian uint16 length and its bytes."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY:
            raise ValueError(f"an entry of {len(entry)} bytes does not fit an entry bundle")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    return list(_split_bundle(data))


def _split_bundle(data: bytes) -> Iterator[bytes]:
    at = 0
    while at < len(data):
        if at + 2 > len(data):
            raise ValueError("the entry bundle ends inside a length")
        end = at + 2 + int.from_bytes(data[at : at + 2], "big")
        if end > len(data):
            raise ValueError("the entry bundle ends inside an entry")
        yield data[at + 2 : end]
        at = end


def _check_size(size: int) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"size must be a non-negative integer, got {size!r}")
