"""Files behind one interface: a local folder by default, S3-compatible storage where set.

Evidence photos, print sheets, generated reports and the log's tiles are kept as objects
named by keys such as `evidence/ab/abcd….jpg` or `log/tile/0/x001/234`: relative paths
of `/`-separated parts, none empty or starting with `.`. Every process of a deployment (web
servers and job workers on several machines) reads and writes the same store, so a file
written by a worker is served by any web server. `STORAGE_URL` chooses the backend
(`registry.storage.config`); `registry.storage.web.send` streams an object to a browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Protocol

from flask import current_app

EXTENSION = "registry.storage"
_PART = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")


class Missing(LookupError):
    """No object is stored under this key."""


class BadKey(ValueError):
    """A key that is not a plain relative path."""


class StorageUnavailable(RuntimeError):
    """The configured store cannot be used (no such bucket or folder, endpoint unreachable,
    credentials refused): raised when the app starts, not at the first upload."""


@dataclass(frozen=True)
class Blob:
    """An object opened for reading: `file` streams its `size` bytes. Whoever opens it
    closes it, or hands it to a response that does (`registry.storage.web.send`)."""

    file: IO[bytes]
    size: int


class Store(Protocol):
    """What every backend offers. Writes replace an object whole or not at all."""

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        cache_control: str | None = None,
    ) -> None: ...

    def get(self, key: str) -> bytes:
        """The object's bytes; raises `Missing`."""
        ...

    def open(self, key: str) -> Blob:
        """The object as a stream, for files too big to hold whole; raises `Missing`."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the object; nothing happens when it is absent."""
        ...

    def url(self, key: str, expires: int = 300) -> str | None:
        """A signed URL valid `expires` seconds where the backend has them, else None
        (the app then streams the object itself, after its own access checks)."""
        ...

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every key that starts with `prefix` (a plain string prefix), in sorted order."""
        ...

    def check(self) -> None:
        """Raise `StorageUnavailable` with the reason when the store cannot be used."""
        ...


def check_key(key: str) -> str:
    parts = key.split("/")
    if not key or any(not _PART.match(part) for part in parts):
        raise BadKey(f"not a storage key: {key!r}")
    return key


def store() -> Store:
    """The current app's store (set up by `registry.storage.config.init_app`)."""
    found: Store = current_app.extensions[EXTENSION]
    return found
