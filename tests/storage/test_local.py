"""The local folder backend: whole-object writes, missing keys, keys that are not paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.storage import BadKey, Missing
from registry.storage.local import LocalStore


def test_put_get_replace_delete(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put("log/tile/0/000", b"first")
    store.put("log/tile/0/000", b"second")
    assert store.get("log/tile/0/000") == b"second"
    assert store.exists("log/tile/0/000")
    assert [p.name for p in (tmp_path / "log/tile/0").iterdir()] == ["000"]  # no temp left
    store.delete("log/tile/0/000")
    store.delete("log/tile/0/000")
    assert not store.exists("log/tile/0/000")
    with pytest.raises(Missing):
        store.get("log/tile/0/000")


@pytest.mark.parametrize("key", ["", "/abs", "a//b", "a/../b", "..", "a/./b", "a b", "a\\b"])
def test_keys_that_are_not_relative_paths_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(BadKey):
        LocalStore(tmp_path).put(key, b"x")


def test_local_store_has_no_signed_urls(tmp_path: Path) -> None:
    assert LocalStore(tmp_path).url("prints/1.pdf") is None
