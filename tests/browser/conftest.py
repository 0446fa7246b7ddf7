"""Debian's chromium driven by Playwright, against the live server of tests/conftest.py.

The browser tests are skipped, saying why, on a machine without /usr/bin/chromium
(`apt-get install chromium`); Playwright never downloads a browser of its own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """Chromium for this folder's tests. Package-scoped: Playwright's sync API keeps an
    event loop running in the tests' thread while it is open, and procrastinate's sync
    calls (deferring and running jobs in later tests) refuse such a thread."""
    if not CHROMIUM.exists():
        pytest.skip(f"no chromium at {CHROMIUM}: apt-get install chromium to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def phone(browser: object, live_server: str) -> Iterator[object]:
    """A page in a 360 px wide phone viewport that records every host it requests."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740},  # type: ignore[attr-defined]
        base_url=live_server,
    )
    page = context.new_page()
    page.requested_hosts = set()
    page.on("request", lambda r: page.requested_hosts.add(r.url.split("/")[2]))
    yield page
    context.close()
