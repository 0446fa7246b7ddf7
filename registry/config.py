"""Settings read from the environment, with safe defaults for a laptop demo.

`DATABASE_URL` defaults to a SQLite file under `instance/`; `SECRET_KEY` is generated into
`instance/secret_key` on first run so that sessions survive restarts without the key ever
being committed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def instance_path() -> Path:
    """Where runtime files live (database, secret key); never tracked by git."""
    return Path(os.environ.get("REGISTRY_INSTANCE", PROJECT_ROOT / "instance"))


def _secret_key(folder: Path) -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = folder / "secret_key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url(folder: Path) -> str:
    """`DATABASE_URL`, with `postgresql://` mapped to the psycopg 3 driver."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'registry.db'}"
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def from_environment() -> dict[str, Any]:
    """The configuration mapping `create_app` starts from."""
    folder = instance_path()
    port = int(os.environ.get("PORT", "5000"))
    # The address labels, QR codes and links name; by default where a laptop demo serves.
    public_base = (os.environ.get("PUBLIC_BASE_URL") or f"http://127.0.0.1:{port}").rstrip("/")
    registry_id = os.environ.get("REGISTRY_ID", "PTT-DEMO")  # short: it is in every QR
    return {
        "SECRET_KEY": _secret_key(folder),
        "SQLALCHEMY_DATABASE_URI": database_url(folder),
        # Pooled connections idle this long are pinged before use (registry/db.py,
        # ping_when_idle): pool_pre_ping's round trip on every checkout, without the cost.
        "DB_PING_IDLE_SECONDS": float(os.environ.get("DB_PING_IDLE_SECONDS", "2")),
        "PUBLIC_BASE_URL": public_base,
        "REGISTRY_ID": registry_id,
        "KEYS_DIR": os.environ.get("REGISTRY_KEYS_DIR", str(folder / "keys")),
        # The plans' target: emissions this much below 2020 by 2035 (10–15 %).
        "REDUCTION_TARGET_PCT": float(os.environ.get("REDUCTION_TARGET_PCT", "10")),
        # Report pages rebuild their sums at most this often (registry/reports/rollup.py).
        "REPORTS_MAX_AGE_SECONDS": int(os.environ.get("REPORTS_MAX_AGE_SECONDS", "300")),
        "EVIDENCE_DIR": os.environ.get("REGISTRY_EVIDENCE_DIR", str(folder / "evidence")),
        # Where files go (registry/storage): unset for {instance}/files, file:///folder, or
        # s3://bucket/prefix for S3-compatible object storage.
        "STORAGE_URL": os.environ.get("STORAGE_URL", ""),
        # Background jobs (registry/jobs): a worker beats this often; one silent this long
        # has its jobs retried (checked on this cron); transient failures wait 2, 4, 8…
        # seconds (this base) between tries.
        "JOBS_HEARTBEAT_SECONDS": float(os.environ.get("JOBS_HEARTBEAT_SECONDS", "10")),
        "JOBS_STALLED_SECONDS": float(os.environ.get("JOBS_STALLED_SECONDS", "30")),
        "JOBS_STALLED_CRON": os.environ.get("JOBS_STALLED_CRON", "* * * * *"),
        "JOBS_RETRY_WAIT_SECONDS": int(os.environ.get("JOBS_RETRY_WAIT_SECONDS", "2")),
        # A label request of more unit labels than this is issued by a background job (the
        # API answers 202 with the job) instead of while the page or the caller waits.
        "LABELS_ISSUE_JOB_ABOVE_UNITS": int(os.environ.get("LABELS_ISSUE_JOB_ABOVE_UNITS", "5000")),
        # Print sheets (and their jobs) are removed this many days after they were made
        # (registry/labels/printing.py `prune`, nightly); one still being made stays.
        "PRINT_SHEETS_KEEP_DAYS": int(os.environ.get("PRINT_SHEETS_KEEP_DAYS", "30")),
        # The S3 API server for s3:// when it is not AWS (MinIO, Ceph, a Vietnamese cloud);
        # credentials and region: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION.
        "STORAGE_S3_ENDPOINT": os.environ.get("STORAGE_S3_ENDPOINT") or None,
        # C2SP origin of the transparency log: a schema-less URL naming this log.
        "LOG_ORIGIN": os.environ.get("LOG_ORIGIN", "demo.phatthaithap.vn/log"),
        # The request header in which the reverse proxy passes the visitor's ISO 3166-2
        # subdivision (e.g. "VN-CT"), for scan statistics by province; unset: not counted.
        "SCAN_REGION_HEADER": os.environ.get("SCAN_REGION_HEADER") or None,
        # The field map's basemap (registry/trace/maps.py, docs/maps.md): an XYZ raster
        # template or a raster PMTiles file (local path or URL), with its credit; unset: a
        # plain background that needs no network.
        "MAP_TILE_URL": os.environ.get("MAP_TILE_URL") or None,
        "MAP_PMTILES": os.environ.get("MAP_PMTILES") or None,
        "MAP_TILE_ATTRIBUTION": os.environ.get("MAP_TILE_ATTRIBUTION") or None,
        "MAP_TILE_MAX_ZOOM": os.environ.get("MAP_TILE_MAX_ZOOM") or None,
        "PORT": port,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": public_base.startswith("https://"),
        "REMEMBER_COOKIE_SECURE": public_base.startswith("https://"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": ["vi", "en"],
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "API_TITLE": "Low-Emission Label Registry API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }
