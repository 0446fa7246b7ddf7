"""Choosing the backend from `STORAGE_URL`.

- unset or `file:///path`: a local folder (default `{instance}/files`);
- `s3://bucket/prefix`: S3-compatible storage (added by the S3 backend's module).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from registry.storage import EXTENSION, Store
from registry.storage.local import LocalStore


def from_url(url: str, instance: str | Path) -> Store:
    parts = urlsplit(url)
    if not url:
        return LocalStore(Path(instance) / "files")
    if parts.scheme == "file":
        return LocalStore(parts.path)
    raise ValueError(f"STORAGE_URL {url!r}: use file:///folder or s3://bucket/prefix")


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = from_url(app.config.get("STORAGE_URL", ""), app.instance_path)
