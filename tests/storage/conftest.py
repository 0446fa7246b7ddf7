"""A real S3 API server for the storage tests: moto's standalone server, run as its own
process on a free port (what `pip install 'moto[server]'` provides), with one bucket. boto3
speaks HTTP to it exactly as to AWS, MinIO or Ceph; nothing in boto3 is patched.

`store` runs a test once on each backend: a local folder and a fresh prefix of the bucket."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from registry import create_app
from registry.db import db
from registry.storage import Store
from registry.storage.local import LocalStore
from registry.storage.s3 import S3Store, client

BUCKET = "registry-files"
APP_PREFIX = "registry"  # where `s3_app` keeps its files in the bucket
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test-key",
    "AWS_SECRET_ACCESS_KEY": "test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",  # nothing from this machine's ~/.aws
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not listen on {port}: {log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server's URL, with test credentials in the environment and the bucket made."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with pytest.MonkeyPatch.context() as env, log.open("wb") as out:
        for name, value in CREDENTIALS.items():
            env.setenv(name, value)
        env.delenv("AWS_PROFILE", raising=False)
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_for(port, process, log)
            endpoint = f"http://127.0.0.1:{port}"
            client(endpoint).create_bucket(Bucket=BUCKET)
            yield endpoint
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def s3(s3_endpoint: str) -> Any:
    """A boto3 client of the server, to look at the bucket beside the store."""
    return client(s3_endpoint)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "local":
        return LocalStore(tmp_path / "files")
    s3 = request.getfixturevalue("s3")
    return S3Store(BUCKET, f"tests/{uuid.uuid4().hex}", s3=s3)


@pytest.fixture(scope="session")
def s3_app(app: Flask, s3_endpoint: str) -> Iterator[Flask]:
    """A second app on the test database whose files go to the S3 API server, configured
    as an operator would: STORAGE_URL and STORAGE_S3_ENDPOINT."""
    shared = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "KEYS_DIR", "LOG_ORIGIN")
    settings = {name: app.config[name] for name in shared}
    flask_app = create_app(
        {
            **settings,
            "RATE_LIMITS": False,
            "STORAGE_URL": f"s3://{BUCKET}/{APP_PREFIX}",
            "STORAGE_S3_ENDPOINT": s3_endpoint,
        }
    )
    yield flask_app
    with flask_app.app_context():
        db.engine.dispose()
