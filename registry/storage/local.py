"""The default backend: objects as files under one folder (a shared mount for several
machines). A write goes to a temporary file in the same folder first and is flushed to disk
and renamed into place, so a reader never sees half an object and a crash right after a
write loses nothing that was acknowledged. Temporary files start with `.`, which no key
part may (`check_key`), so they never show as objects.

Folders are made for a key's parts as it is written, and removed with the last object in
them, as on S3 where there are none: else every prefix ever used would stay as an empty
folder (each log tile's `NNN.p/` of partial tiles once the tile is full, `prints/`,
imports' folders). A write whose folder is removed at that moment makes it again."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from registry.storage import Blob, Missing, StorageUnavailable, check_key

_ABSENT = (FileNotFoundError, IsADirectoryError, NotADirectoryError)
_TRIES = 5  # a put whose new folder a delete removed at that moment tries this often


class LocalStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        cache_control: str | None = None,
    ) -> None:
        target = self.path(key)
        handle, temporary = self._temporary(target.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @staticmethod
    def _temporary(folder: Path) -> tuple[int, str]:
        """A new temporary file in `folder`, made with its parents if need be. Once the file
        is there the folder is not empty, so no delete removes it until the write is done."""
        tries = _TRIES
        while True:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                return tempfile.mkstemp(dir=folder, prefix=".part-")
            except (FileNotFoundError, FileExistsError):  # a delete removed a folder meanwhile
                tries -= 1
                if not tries:
                    raise

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except _ABSENT as exc:
            raise Missing(key) from exc

    def open(self, key: str) -> Blob:
        try:
            file = self.path(key).open("rb")
        except _ABSENT as exc:
            raise Missing(key) from exc
        return Blob(file, os.fstat(file.fileno()).st_size)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        target = self.path(key)
        target.unlink(missing_ok=True)
        self._remove_empty(target.parent)

    def _remove_empty(self, folder: Path) -> None:
        """Remove `folder` and the folders above it that are left empty, up to the root (which
        stays): the folders that puts made for keys now gone."""
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()
            except OSError:  # not empty (another object, a write under way) or gone already
                return
            folder = folder.parent

    def url(self, key: str, expires: int = 300) -> str | None:
        check_key(key)
        return None

    def keys(self, prefix: str = "") -> Iterator[str]:
        folder = self.root / prefix.rpartition("/")[0]
        found = (
            path.relative_to(self.root).as_posix()
            for path in folder.rglob("*")
            if path.is_file() and not path.name.startswith(".")
        )
        yield from sorted(key for key in found if key.startswith(prefix))

    def check(self) -> None:
        """The folder exists (it is made when it does not) and this process may write it."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"storage folder {self.root}: {exc.strerror}") from exc
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageUnavailable(f"storage folder {self.root}: not writable by this process")
