"""What only the local folder backend does (tests/storage/test_backends.py has the rest):
no temporary file left or listed, no signed URLs, a folder made or refused at start-up."""

from __future__ import annotations

import threading
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


def folders(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir())


def test_a_folder_goes_with_the_last_object_in_it(tmp_path: Path) -> None:
    """Folders are made for keys and removed with them, up to the store's own folder; a
    folder with another object stays."""
    store = LocalStore(tmp_path / "files")
    store.put("log/tile/0/002.p/5", b"p5")
    store.put("log/tile/0/002.p/6", b"p6")
    store.put("log/tile/0/001", b"full")
    store.delete("log/tile/0/002.p/5")
    assert folders(store.root) == ["log", "log/tile", "log/tile/0", "log/tile/0/002.p"]
    store.delete("log/tile/0/002.p/6")  # tile 002 is full now: its partials go
    assert folders(store.root) == ["log", "log/tile", "log/tile/0"]
    store.delete("log/tile/0/001")
    store.delete("log/tile/0/001")  # absent: nothing happens
    assert folders(store.root) == [] and store.root.is_dir()
    store.put("log/tile/0/001", b"again")  # the folders are made again
    assert store.get("log/tile/0/001") == b"again"


def test_writes_and_deletes_under_one_folder_at_once_lose_no_write(tmp_path: Path) -> None:
    """A delete that empties a folder while another thread writes into it: the write makes
    the folder again and is kept, and no empty folder is left once all is deleted."""
    store = LocalStore(tmp_path)
    errors: list[BaseException] = []

    def churn(name: str) -> None:
        try:
            for n in range(200):
                key = f"a/b/{n % 3}/{name}"
                store.put(key, name.encode())
                assert store.get(key) == name.encode()
                store.delete(key)
        except BaseException as exc:  # reported by the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=churn, args=(f"k{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert list(store.keys()) == [] and folders(tmp_path) == []
