"""`PORT=8080 make demo`: the labels, QR codes, listing, linksets and resolver description
name the address the demo serves, never port 5000 beside it, and never the host a request
came by beside PUBLIC_BASE_URL; the shared label check passes on labels issued there."""

from __future__ import annotations

import io
import json
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from flask import Flask
from flask.testing import FlaskCliRunner
from PIL import Image
from sqlalchemy import select
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from registry import create_app
from registry.db import db, utcnow
from registry.labels.models import Label
from registry.labels.status import state
from tests.conftest import SHARED

ROOT = Path(__file__).resolve().parents[2]
CHECK = SHARED / "checks" / "label_check.py"
SETTINGS = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "KEYS_DIR", "LOG_ORIGIN")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def elsewhere(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Flask, str]]:
    """The registry as `PORT=… make demo` starts it: PUBLIC_BASE_URL from the environment
    naming the port it serves, here a free one, on the test database and keys."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("PUBLIC_BASE_URL", base)
    served = create_app({name: app.config[name] for name in SETTINGS} | {"RATE_LIMITS": False})
    server = make_server("127.0.0.1", port, served, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield served, base
    server.shutdown()
    with served.app_context():
        db.engine.dispose()


def label_check(url: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECK), url, *flags], capture_output=True, text=True, timeout=60
    )


def said(response: TestResponse) -> str:
    """Everything an answer says: its body and every header."""
    return response.get_data(as_text=True) + json.dumps(dict(response.headers))


def urls_in(text: str) -> set[str]:
    """The origins of the registry's own addresses in a text (vocabularies left out)."""
    found = re.findall(r"https?://[^/\"'<>\s]+", text)
    return {url for url in found if not re.search(r"gs1\.org|w3\.org|json-schema\.org", url)}


def test_the_demo_served_on_another_port_names_that_port_everywhere(
    elsewhere: tuple[Flask, str], runner: FlaskCliRunner
) -> None:
    served, base = elsewhere
    loaded = served.test_cli_runner().invoke(args=["demo"])
    assert loaded.exit_code == 0, loaded.output
    with served.app_context():
        labels = list(db.session.scalars(select(Label).where(Label.parent_id.is_(None))))
        unit = db.session.scalars(select(Label.url).where(Label.parent_id.is_not(None))).first()
    assert labels and unit and all(lb.url.startswith(f"{base}/") for lb in labels)
    client = served.test_client()  # its requests name the host "localhost"
    answers = {
        "listing": client.get("/api/v1/labels?limit=200"),
        "resolver": client.get("/.well-known/gs1resolver"),
    }
    for label in labels:
        answers[label.serial] = client.get(f"/api/v1/labels/{label.serial}")
        qr = client.get(f"/api/v1/labels/{label.serial}/qr.png").get_data()
        image = Image.open(io.BytesIO(qr)).convert("L")  # QR only: zxing can see an ITF in it
        (read,) = zxingcpp.read_barcodes(image, formats=zxingcpp.QRCode)
        assert read.text == label.url
        if label.gtin:
            path = f"/01/{label.gtin}/10/{label.lot}/21/{label.serial}"
            answers[f"linkset {label.serial}"] = client.get(path + "?linkType=linkset")
            answers[f"redirect {label.serial}"] = client.get(path)
            answers[f"product {label.serial}"] = client.get(f"/01/{label.gtin}")
    assert answers["resolver"].json["resolverRoot"] == base
    for name, answer in answers.items():
        assert answer.status_code in (200, 307), name
        assert urls_in(said(answer)) == {base}, name  # one host, the one served
    noted = runner.invoke(args=["demo"])  # the test app's own base is port 5000
    assert noted.exit_code == 0 and f"the demo labels name {base}" in noted.stderr
    if CHECK.exists():  # the shared outside check, over HTTP on the other port
        for url, flags in [(lb.url, _expected(lb)) for lb in labels] + [(unit, ())]:
            checked = label_check(url, *flags)
            assert checked.returncode == 0, checked.stdout + checked.stderr


def _expected(label: Label) -> tuple[str, ...]:
    """Revoked, suspended and expired demo labels must be refused."""
    return ("--expect-invalid",) if state(label, utcnow()).status != "valid" else ()


@pytest.mark.parametrize(
    ("args", "env", "base"),
    [
        (["PORT=8080"], {}, "http://127.0.0.1:8080"),
        ([], {"PORT": "8080"}, "http://127.0.0.1:8080"),
        ([], {}, "http://127.0.0.1:5000"),
        ([], {"PUBLIC_BASE_URL": "https://nhan.example.vn"}, "https://nhan.example.vn"),
    ],
)
def test_make_demo_loads_and_serves_with_the_address_it_serves(
    args: list[str], env: dict[str, str], base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    planned = subprocess.run(
        ["make", "--dry-run", "-C", str(ROOT), "demo", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    loading = [line for line in planned if "registry demo" in line]
    serving = [line for line in planned if "registry run" in line]
    assert loading == [f"PUBLIC_BASE_URL='{base}' .venv/bin/registry demo"]
    assert len(serving) == 1 and f"PUBLIC_BASE_URL='{base}' " in serving[0]
