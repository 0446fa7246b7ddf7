"""Tile names, shapes and bytes (registry/ledger/tiles.py), against the contract's examples,
hand-worked trees, the shared checker, and the ledger's own stored nodes."""

from __future__ import annotations

import importlib.util
import pathlib
import sys
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.ledger import tiles, tree
from registry.ledger.rfc9162 import leaf_hash
from registry.ledger.tiles import ENTRIES, WIDTH, Tile

SHARED = pathlib.Path(__file__).resolve().parents[2].parent / "shared"


def _load_checker() -> ModuleType:
    path = SHARED / "checks" / "tiles_check.py"
    spec = importlib.util.spec_from_file_location("tiles_check", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("tiles_check", module)
    spec.loader.exec_module(module)
    return module


CHECKER = _load_checker()

levels = st.integers(min_value=ENTRIES, max_value=tiles.MAX_LEVEL)
indices = st.integers(min_value=0, max_value=tiles.MAX_INDEX)
widths = st.integers(min_value=1, max_value=WIDTH)
any_tile = st.builds(Tile, levels, indices, widths)


def checker_level(level: int) -> int | str:
    return "entries" if level == ENTRIES else level


def names(found: list[Tile]) -> list[str]:
    return [tile.path for tile in found]


# ---------------------------------------------------------------- paths
def test_the_contracts_examples() -> None:
    assert Tile(0, 1234067).path == "tile/0/x001/x234/067"
    assert Tile(1, 5, 17).path == "tile/1/005.p/17"
    assert Tile(ENTRIES, 0, 3).path == "tile/entries/000.p/3"
    assert tiles.index_path(0) == "000"
    assert tiles.index_path(999) == "999"
    assert tiles.index_path(1000) == "x001/000"
    assert tiles.index_path(1000000) == "x001/x000/000"


@given(any_tile)
def test_paths_are_the_checkers_and_parse_back(tile: Tile) -> None:
    assert tile.path == CHECKER.tile_path(checker_level(tile.level), tile.index, tile.width)
    assert tiles.parse(tile.path.removeprefix("tile/")) == tile


@pytest.mark.parametrize(
    "path",
    [
        "",
        "0",
        "0/1",  # not three digits
        "0/0001",
        "00/000",  # a level with a leading zero
        "0/x000/001",  # a leading zero group: 001 has one name only
        "0/x001",  # no last group
        "0/001/002",  # an inner group without x
        "0/000/",
        "0/000.p/0",
        "0/000.p/007",
        "0/000.p/256",  # 256 hashes make a full tile, named without .p
        "0/000.p/",
        "0/000.p/5/6",
        "8/000",  # tree level 64 does not exist
        "-1/000",
        "entry/000",
        "entries/000.p/300",
        "0/x999/x999/x999/x999/x999/x999/999",  # beyond a 63-bit tree
    ],
)
def test_malformed_paths_are_refused(path: str) -> None:
    with pytest.raises(ValueError):
        tiles.parse(path)


def test_tiles_out_of_range_cannot_be_made() -> None:
    for level, index, width in [(8, 0, 1), (-2, 0, 1), (0, -1, 1), (0, 0, 0), (0, 0, 257)]:
        with pytest.raises(ValueError):
            Tile(level, index, width)


# ---------------------------------------------------------------- which tiles a size has
def test_hand_worked_sizes() -> None:
    assert tiles.tiles(0) == []
    assert names(tiles.tiles(1)) == ["tile/entries/000.p/1", "tile/0/000.p/1"]
    assert names(tiles.tiles(255)) == ["tile/entries/000.p/255", "tile/0/000.p/255"]
    assert names(tiles.tiles(256)) == ["tile/entries/000", "tile/0/000", "tile/1/000.p/1"]
    assert names(tiles.tiles(257)) == [
        "tile/entries/000",
        "tile/entries/001.p/1",
        "tile/0/000",
        "tile/0/001.p/1",
        "tile/1/000.p/1",
    ]
    at_65536 = tiles.tiles(65536)
    assert len(at_65536) == 256 + 256 + 1 + 1
    assert names(at_65536[-3:]) == ["tile/0/255", "tile/1/000", "tile/2/000.p/1"]
    at_65537 = names(tiles.tiles(65537))
    assert "tile/entries/256.p/1" in at_65537 and "tile/0/256.p/1" in at_65537
    assert at_65537[-2:] == ["tile/1/000", "tile/2/000.p/1"]
    assert names(tiles.tiles(66860))[-3:] == ["tile/1/000", "tile/1/001.p/5", "tile/2/000.p/1"]


def test_growth_writes_only_what_changed() -> None:
    assert tiles.new_tiles(300, 300) == []
    assert names(tiles.new_tiles(300, 400)) == ["tile/entries/001.p/144", "tile/0/001.p/144"]
    assert names(tiles.new_tiles(300, 512)) == [
        "tile/entries/001",
        "tile/0/001",
        "tile/1/000.p/2",
    ]
    with pytest.raises(ValueError):
        tiles.new_tiles(2, 1)


@given(st.integers(0, 1 << 20), st.integers(0, 1 << 20))
def test_new_tiles_complete_the_older_trees_full_tiles(a: int, b: int) -> None:
    old, new = min(a, b), max(a, b)
    fresh = set(tiles.new_tiles(old, new))
    kept_full = {tile for tile in tiles.tiles(old) if tile.full}
    assert fresh <= set(tiles.tiles(new))
    assert set(tiles.tiles(new)) <= fresh | kept_full | tiles.partials(old)
    assert not fresh & kept_full  # a full tile is written once
    assert all(tiles.within(tile, new) for tile in tiles.tiles(new))
    for edge in tiles.partials(new):
        assert not tiles.within(Tile(edge.level, edge.index, edge.width + 1), new)


def test_older_partials_are_within_a_larger_tree() -> None:
    assert tiles.within(Tile(0, 1, 3), 300) and tiles.within(Tile(0, 0, 5), 300)
    assert not tiles.within(Tile(0, 1, 45), 300)
    assert not tiles.within(Tile(0, 2, 1), 300) and not tiles.within(Tile(0, 1), 300)
    assert tiles.within(Tile(1, 0, 1), 300) and not tiles.within(Tile(2, 0, 1), 65535)


# ---------------------------------------------------------------- bytes
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_bundles_round_trip_and_match_the_checker(entries: list[bytes]) -> None:
    data = tiles.encode_bundle(entries)
    assert tiles.decode_bundle(data) == entries == CHECKER.split_bundle(data)


def test_bundle_lengths_are_big_endian_uint16() -> None:
    assert tiles.encode_bundle([b"ab", b""]) == b"\x00\x02ab\x00\x00"
    assert tiles.encode_bundle([b"x" * 0xFFFF])[:2] == b"\xff\xff"
    with pytest.raises(ValueError):
        tiles.encode_bundle([b"x" * 0x10000])
    for broken in (b"\x00", b"\x00\x03ab"):
        with pytest.raises(ValueError):
            tiles.decode_bundle(broken)


def test_hash_tiles_are_concatenated_hashes() -> None:
    hashes = [leaf_hash(b"%d" % i) for i in range(3)]
    assert tiles.decode_hashes(tiles.encode_hashes(hashes)) == hashes
    with pytest.raises(ValueError):
        tiles.encode_hashes([b"short"])
    with pytest.raises(ValueError):
        tiles.decode_hashes(b"x" * 33)


# ---------------------------------------------------------------- tiles from the ledger's nodes
def ledger(entries: list[bytes]) -> tree.Nodes:
    """The node rows the ledger stores for these entries, appended in two batches."""
    half = len(entries) // 2
    nodes: dict[tree.Key, bytes] = {}
    for first, batch in ((0, entries[:half]), (half, entries[half:])):
        fetched = {key: nodes[key] for key in tree.extend_needs(first)}
        rows = tree.extended_nodes(first, [leaf_hash(e) for e in batch], fetched)
        nodes.update(((level, index), digest) for level, index, digest in rows)
    return nodes


def files(entries: list[bytes], nodes: tree.Nodes) -> dict[str, bytes]:
    """Every tile of the tree, made as the publisher makes them: hash ``j`` of tile
    ``(L, N)`` is the stored node ``(8·L, 256·N + j)``."""
    found = {}
    for tile in tiles.tiles(len(entries)):
        if tile.level == ENTRIES:
            found[tile.path] = tiles.encode_bundle(entries[tile.start : tile.end])
        else:
            positions = range(tile.start, tile.end)
            found[tile.path] = tiles.encode_hashes(nodes[(tile.tree_level, i)] for i in positions)
    return found


def check(entries: list[bytes]) -> None:
    nodes = ledger(entries)
    root = tree.root(len(entries), nodes)
    served = CHECKER.Tiles(files(entries, nodes).__getitem__)
    assert CHECKER.check_tree(served, len(entries), root) == entries


@given(st.integers(1, 2600))
def test_the_root_rebuilt_from_tiles_is_the_ledgers(size: int) -> None:
    check([b'{"i":%d}' % i for i in range(size)])


def test_levels_8_and_16_of_the_ledger_are_the_hashes_of_the_tiles_below() -> None:
    check([b"%d" % i for i in range(65537)])
