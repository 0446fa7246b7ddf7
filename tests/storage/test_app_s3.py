"""The registry with STORAGE_URL=s3://…: evidence uploaded through the API lands in the
bucket under its SHA-256 and comes back through the page, behind the same access checks."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from flask import Flask

from registry.accounts.models import OrgKind
from tests.accounts.test_api import bearer
from tests.conftest import Factory, login
from tests.storage.conftest import APP_PREFIX, BUCKET
from tests.trace.test_evidence import TINY_PDF, photo


def upload(s3_app: Flask, headers: dict[str, str], body: bytes, name: str) -> str:
    sent = s3_app.test_client().post(
        "/api/v1/evidence",
        headers=headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(body), name)},
    )
    assert sent.status_code == 201, sent.json
    sha: str = sent.json["sha256"]
    return sha


def test_evidence_is_kept_in_the_bucket_and_served_by_the_app(
    app: Flask, s3_app: Flask, make: Factory, s3: Any
) -> None:
    user = make.user(make.org(kind=OrgKind.PRODUCER))
    headers = bearer(app, user, scopes=("read", "write"))
    sha = upload(s3_app, headers, photo(), "ruộng lúa.jpg")
    kept = s3.get_object(Bucket=BUCKET, Key=f"{APP_PREFIX}/evidence/{sha[:2]}/{sha}")
    assert hashlib.sha256(kept["Body"].read()).hexdigest() == sha
    assert (kept["ContentType"], kept["CacheControl"]) == (
        "image/jpeg",
        "private, max-age=86400, immutable",
    )
    client = s3_app.test_client()
    login(client, user)
    shown = client.get(f"/evidence/{sha}")
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    assert hashlib.sha256(shown.data).hexdigest() == sha
    assert shown.content_length == len(shown.data)
    assert shown.headers["ETag"] == f'"{sha}"' and "Content-Disposition" in shown.headers
    cached = client.get(f"/evidence/{sha}", headers={"If-None-Match": f'"{sha}"'})
    assert cached.status_code == 304 and cached.data == b""


def test_a_pdf_downloads_under_its_name_and_only_for_its_owner(
    app: Flask, s3_app: Flask, make: Factory, s3: Any
) -> None:
    user = make.user(make.org(kind=OrgKind.PRODUCER))
    sha = upload(s3_app, bearer(app, user, scopes=("read", "write")), TINY_PDF, "hoá đơn.pdf")
    client = s3_app.test_client()
    login(client, user)
    got = client.get(f"/evidence/{sha}")
    assert got.status_code == 200 and got.data == TINY_PDF
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''ho%C3%A1%20%C4%91%C6%A1n.pdf" in got.headers["Content-Disposition"]
    stranger = s3_app.test_client()
    login(stranger, make.user(make.org(kind=OrgKind.PRODUCER)))
    assert stranger.get(f"/evidence/{sha}").status_code == 404
    s3.delete_object(Bucket=BUCKET, Key=f"{APP_PREFIX}/evidence/{sha[:2]}/{sha}")
    assert client.get(f"/evidence/{sha}").status_code == 404  # gone from the bucket: not a 500
