"""What only the S3 backend does: object headers, signed URLs, the start-up check and
STORAGE_URL, against moto's S3 API server (tests/storage/conftest.py)."""

from __future__ import annotations

import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from registry import create_app
from registry.storage import StorageUnavailable
from registry.storage.config import from_url
from registry.storage.s3 import S3Store, client
from tests.storage.conftest import BUCKET, free_port


@pytest.fixture
def store(s3: Any) -> S3Store:
    return S3Store(BUCKET, f"tests/{uuid.uuid4().hex}", s3=s3)


def test_put_sets_the_content_type_and_cache_control(store: S3Store, s3: Any) -> None:
    store.put(
        "log/tile/0/000",
        b"tile",
        content_type="application/octet-stream",
        cache_control="public, max-age=31536000, immutable",
    )
    store.put("prints/1.pdf", b"%PDF-", content_type="application/pdf")
    tile = s3.head_object(Bucket=BUCKET, Key=store.prefix + "log/tile/0/000")
    assert (tile["ContentType"], tile["CacheControl"]) == (
        "application/octet-stream",
        "public, max-age=31536000, immutable",
    )
    sheet = s3.head_object(Bucket=BUCKET, Key=store.prefix + "prints/1.pdf")
    assert sheet["ContentType"] == "application/pdf" and "CacheControl" not in sheet


def test_url_is_a_signed_get_that_anyone_holding_it_can_use(store: S3Store) -> None:
    store.put("evidence/ab/photo", b"\xff\xd8 photo", content_type="image/jpeg")
    url = store.url("evidence/ab/photo", expires=120)
    assert url is not None and "X-Amz-Signature=" in url and "X-Amz-Expires=120" in url
    with urllib.request.urlopen(url, timeout=10) as got:
        assert (got.read(), got.headers["Content-Type"]) == (b"\xff\xd8 photo", "image/jpeg")
    # (moto's server does not check signatures, so a forged or expired URL is not tested.)


def test_check_names_a_missing_bucket(s3: Any) -> None:
    with pytest.raises(StorageUnavailable, match=r"'no-such-bucket'.*no such bucket"):
        S3Store("no-such-bucket", s3=s3).check()


def test_check_names_an_unreachable_endpoint() -> None:
    nobody = f"http://127.0.0.1:{free_port()}"  # a port where nothing listens
    with pytest.raises(StorageUnavailable, match=f"{nobody}: unreachable"):
        S3Store(BUCKET, s3=client(nobody)).check()


def test_storage_url_chooses_the_backend(s3_endpoint: str, tmp_path: Path) -> None:
    chosen = from_url(f"s3://{BUCKET}/registry/prod/", tmp_path, s3_endpoint)
    assert isinstance(chosen, S3Store)
    assert (chosen.bucket, chosen.prefix) == (BUCKET, "registry/prod/")
    assert chosen.s3.meta.endpoint_url == s3_endpoint
    assert from_url(f"s3://{BUCKET}", tmp_path, s3_endpoint).prefix == ""  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        from_url("ftp://host/files", tmp_path)


def test_the_app_does_not_start_on_a_bucket_that_is_not_there(
    s3_endpoint: str, tmp_path: Path
) -> None:
    settings = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.db'}",
        "SECRET_KEY": "test",
        "STORAGE_URL": "s3://registry-typo/files",
        "STORAGE_S3_ENDPOINT": s3_endpoint,
    }
    with pytest.raises(StorageUnavailable, match=r"'registry-typo'.*no such bucket"):
        create_app(settings)
