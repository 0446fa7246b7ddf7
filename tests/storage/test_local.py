"""What only the local folder backend does (tests/storage/test_backends.py has the rest):
no temporary file left or listed, no signed URLs, a folder made or refused at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.storage import Missing, StorageUnavailable
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


def test_local_store_has_no_signed_urls(tmp_path: Path) -> None:
    assert LocalStore(tmp_path).url("prints/1.pdf") is None


def test_temporary_files_are_not_listed(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put("prints/1.pdf", b"%PDF-")
    (tmp_path / "prints" / ".part-abc").write_bytes(b"half")  # an interrupted write
    assert list(store.keys()) == ["prints/1.pdf"]


def test_check_makes_the_folder_or_says_why_it_cannot(tmp_path: Path) -> None:
    LocalStore(tmp_path / "new" / "files").check()
    assert (tmp_path / "new" / "files").is_dir()
    (tmp_path / "taken").write_bytes(b"a file where the folder should be")
    with pytest.raises(StorageUnavailable, match="taken"):
        LocalStore(tmp_path / "taken" / "files").check()
