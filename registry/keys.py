"""The registry's own Ed25519 signing keys: the transparency-log key and the label key.

Private keys are PKCS#8 PEM files in a folder outside the repository (`REGISTRY_KEYS_DIR`,
default `instance/keys/`), written owner-read-only by `registry keys generate` and never
stored in the database. Rotating a key keeps the retired key's *public* half (and when it
was in use) under `retired/`, so that everything it signed stays verifiable.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from registry.db import utcnow
from registry.errors import DomainError

T = TypeVar("T")
#: KeyStore.derived's answers: (folder, purpose, make) -> (the files' stats, the answer).
_DERIVED: dict[
    tuple[Path, str, Callable[..., Any]], tuple[tuple[tuple[str, int, int], ...], Any]
] = {}

PURPOSES = ("log", "label")


class KeyMissing(DomainError):
    """The key has not been generated: run `registry keys generate`."""

    status = 503
    title = _l("The registry's signing key is not configured yet.")


@dataclass(frozen=True)
class PublicKeyInfo:
    """A published key: current (`retired is None`) or retired."""

    purpose: str
    public_key: Ed25519PublicKey
    created: datetime
    retired: datetime | None
    compromised: datetime | None = None

    @property
    def raw(self) -> bytes:
        return self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def kid(self) -> str:
        """16 hex characters of SHA-256 of the SubjectPublicKeyInfo (DESIGN.md §5)."""
        spki = self.public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        return hashlib.sha256(spki).digest()[:8].hex()


class KeyStore:
    """Reads and writes the key files of one folder; caches the loaded private keys."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cache: dict[str, tuple[float, Ed25519PrivateKey]] = {}

    def _pem(self, purpose: str) -> Path:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown key purpose {purpose!r}")
        return self.folder / f"{purpose}.pem"

    def exists(self, purpose: str) -> bool:
        return self._pem(purpose).exists()

    def generate(self, purpose: str) -> Ed25519PrivateKey:
        """A new current key; refuses to overwrite one (rotate instead)."""
        if self.exists(purpose):
            raise FileExistsError(f"{self._pem(purpose)} exists; use rotate")
        key = Ed25519PrivateKey.generate()
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        fd = os.open(self._pem(purpose), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        self._meta(purpose).write_text(json.dumps({"created": utcnow().isoformat()}))
        return key

    def rotate(self, purpose: str) -> Ed25519PrivateKey:
        """Retire the current key (keeping its public half) and generate a new one."""
        old = self.current(purpose)
        retired_dir = self.folder / "retired"
        retired_dir.mkdir(exist_ok=True, mode=0o700)
        record = {
            "public_key": base64.b64encode(old.raw).decode(),
            "created": old.created.isoformat(),
            "retired": utcnow().isoformat(),
        }
        name = f"{purpose}-{old.raw.hex()[:16]}.json"
        (retired_dir / name).write_text(json.dumps(record))
        self._pem(purpose).unlink()
        self._cache.pop(purpose, None)
        return self.generate(purpose)

    def mark_compromised(self, purpose: str, kid: str) -> PublicKeyInfo:
        """Record that a key leaked; the current key is rotated out first. Everything it
        signed stops being trusted (the trust list says `compromised`)."""
        if self.exists(purpose) and self.current(purpose).kid == kid:
            self.rotate(purpose)
        for path in (self.folder / "retired").glob(f"{purpose}-*.json"):
            record = json.loads(path.read_text())
            info = self._retired(purpose, record)
            if info.kid == kid:
                record.setdefault("compromised", utcnow().isoformat())
                path.write_text(json.dumps(record))
                return self._retired(purpose, record)
        raise KeyError(f"no {purpose} key with kid {kid}")

    def private(self, purpose: str) -> Ed25519PrivateKey:
        path = self._pem(purpose)
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            raise KeyMissing(
                f"no {purpose} key in {self.folder}: run `registry keys generate`"
            ) from None
        cached = self._cache.get(purpose)
        if cached and cached[0] == mtime:
            return cached[1]
        key = load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyMissing(f"{path} is not an Ed25519 private key")
        self._cache[purpose] = (mtime, key)
        return key

    def current(self, purpose: str) -> PublicKeyInfo:
        created = json.loads(self._meta(purpose).read_text())["created"]
        return PublicKeyInfo(
            purpose, self.private(purpose).public_key(), datetime.fromisoformat(created), None
        )

    def published(self, purpose: str) -> list[PublicKeyInfo]:
        """The current key first, then retired ones, newest first."""
        keys = [self.current(purpose)] if self.exists(purpose) else []
        retired = [
            self._retired(purpose, json.loads(path.read_text()))
            for path in (self.folder / "retired").glob(f"{purpose}-*.json")
        ]
        return keys + sorted(retired, key=lambda k: k.retired or k.created, reverse=True)

    def derived(self, purpose: str, make: Callable[[list[PublicKeyInfo]], T]) -> T:
        """`make(self.published(purpose))`, kept per folder until a key file of `purpose`
        appears, goes or changes (a rotation, a key marked compromised): reading and
        parsing the files costs more than a label status read or a label page's verdict,
        a few stat calls do not."""
        files = self._files(purpose)
        key = (self.folder, purpose, make)
        known = _DERIVED.get(key)
        if known is None or known[0] != files:
            known = files, make(self.published(purpose))
            _DERIVED[key] = known
        return cast(T, known[1])

    def _files(self, purpose: str) -> tuple[tuple[str, int, int], ...]:
        """(path, mtime, size) of the key files of `purpose`, current and retired."""
        found = []
        for directory in (self.folder, self.folder / "retired"):
            try:
                with os.scandir(directory) as entries:
                    for entry in entries:
                        if entry.name.startswith(purpose):
                            stat = entry.stat()
                            found.append((entry.path, stat.st_mtime_ns, stat.st_size))
            except FileNotFoundError:
                continue
        return tuple(sorted(found))

    @staticmethod
    def _retired(purpose: str, record: dict[str, str]) -> PublicKeyInfo:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(record["public_key"]))
        compromised = record.get("compromised")
        return PublicKeyInfo(
            purpose,
            public,
            datetime.fromisoformat(record["created"]),
            datetime.fromisoformat(record["retired"]),
            datetime.fromisoformat(compromised) if compromised else None,
        )

    def _meta(self, purpose: str) -> Path:
        return self.folder / f"{purpose}.json"


def init_app(app: Flask) -> None:
    app.extensions["registry.keys"] = KeyStore(Path(app.config["KEYS_DIR"]))


def keystore() -> KeyStore:
    store: KeyStore = current_app.extensions["registry.keys"]
    return store
