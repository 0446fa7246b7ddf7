"""Choosing the backend from `STORAGE_URL`, and checking it when the app starts.

- unset or `file:///path`: a local folder (default `{instance}/files`);
- `s3://bucket/prefix`: S3-compatible storage (`registry.storage.s3`), with
  `STORAGE_S3_ENDPOINT` for a server other than AWS.

Every process (web server, worker, command) checks its store as it starts, so a missing
bucket or an unreachable endpoint stops a deployment at once with the reason, instead of
failing the first farmer's photo upload.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from registry.storage import EXTENSION, Store
from registry.storage.local import LocalStore


def from_url(url: str, instance: str | Path, endpoint: str | None = None) -> Store:
    parts = urlsplit(url)
    if not url:
        return LocalStore(Path(instance) / "files")
    if parts.scheme == "file":
        return LocalStore(parts.path)
    if parts.scheme == "s3" and parts.netloc:
        from registry.storage import s3  # boto3 loads only where it is used

        return s3.S3Store(parts.netloc, parts.path, s3=s3.client(endpoint))
    raise ValueError(f"STORAGE_URL {url!r}: use file:///folder or s3://bucket/prefix")


def init_app(app: Flask) -> None:
    from registry.storage.cli import storage_group

    found = from_url(
        app.config.get("STORAGE_URL", ""),
        app.instance_path,
        app.config.get("STORAGE_S3_ENDPOINT"),
    )
    found.check()
    app.extensions[EXTENSION] = found
    app.cli.add_command(storage_group)
