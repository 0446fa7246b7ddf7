"""S3-compatible object storage (AWS S3, MinIO, Ceph, the Vietnamese clouds' object
storage) through boto3, chosen by `STORAGE_URL=s3://bucket/prefix`.

Credentials and region come from boto3's usual chain (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_REGION, a profile or an instance role); `STORAGE_S3_ENDPOINT`
names a server other than AWS, which is then addressed path-style (`endpoint/bucket/key`,
what MinIO and Ceph expect out of the box). Requests carry a Content-MD5 rather than the
newer CRC checksums that boto3 adds by default and some S3-compatible servers refuse, so the
server still checks that every upload arrived whole."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import IO, Any, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as EndpointUnreachable

from registry.storage import Blob, Missing, StorageUnavailable, check_key

_NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
# Failures worth trying again later: the store unreachable or the connection dropped or timed
# out (a job that hits one is retried with back-off), on either backend.
TRANSIENT: tuple[type[BaseException], ...] = (
    EndpointUnreachable,
    HTTPClientError,
    TimeoutError,
    ConnectionError,
)


def client(endpoint: str | None = None, addressing: str | None = None) -> Any:
    """A client with short connect timeouts and a few retries with back-off, so that an
    unreachable endpoint is reported in seconds rather than minutes."""
    config = Config(
        signature_version="s3v4",
        connect_timeout=5,
        read_timeout=60,
        retries={"max_attempts": 3, "mode": "standard"},
        s3={"addressing_style": addressing or ("path" if endpoint else "auto")},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.client("s3", endpoint_url=endpoint or None, config=config)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3Store:
    """Objects under `prefix/` of one bucket; keys are the store's keys below the prefix."""

    def __init__(self, bucket: str, prefix: str = "", *, s3: Any = None) -> None:
        self.bucket = bucket
        self.prefix = check_key(prefix.strip("/")) + "/" if prefix.strip("/") else ""
        self.s3 = s3 if s3 is not None else client()

    def name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        cache_control: str | None = None,
    ) -> None:
        md5 = hashlib.md5(data, usedforsecurity=False).digest()
        extra = {"CacheControl": cache_control} if cache_control else {}
        self.s3.put_object(
            Bucket=self.bucket,
            Key=self.name(key),
            Body=data,
            ContentType=content_type,
            ContentMD5=base64.b64encode(md5).decode(),
            **extra,
        )

    def get(self, key: str) -> bytes:
        blob = self.open(key)
        try:
            return blob.file.read()
        finally:
            blob.file.close()

    def open(self, key: str) -> Blob:
        try:
            found = self.s3.get_object(Bucket=self.bucket, Key=self.name(key))
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                raise Missing(key) from exc
            raise
        return Blob(cast(IO[bytes], found["Body"]), int(found["ContentLength"]))

    def exists(self, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=self.bucket, Key=self.name(key))
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=self.name(key))

    def url(self, key: str, expires: int = 300) -> str | None:
        params = {"Bucket": self.bucket, "Key": self.name(key)}
        url: str = self.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)
        return url

    def keys(self, prefix: str = "") -> Iterator[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        for page in pages:
            for found in page.get("Contents", []):
                yield found["Key"][len(self.prefix) :]

    def check(self) -> None:
        """The bucket exists and these credentials may use it (one HEAD request)."""
        where = f"bucket {self.bucket!r} at {self.s3.meta.endpoint_url}"
        try:
            self.s3.head_bucket(Bucket=self.bucket)
        except NoCredentialsError as exc:
            raise StorageUnavailable(
                f"{where}: no credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
            ) from exc
        except ClientError as exc:
            raise StorageUnavailable(f"{where}: {_refusal(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"{where}: unreachable ({exc})") from exc


def _refusal(exc: ClientError) -> str:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if _code(exc) in _NOT_FOUND:
        return "no such bucket (create it, or correct STORAGE_URL)"
    if status == 403:
        return "access refused (check the credentials and the bucket's policy)"
    if status in (301, 400):
        return "the bucket is in another region (set AWS_REGION)"
    return f"refused: {_code(exc) or status}"
