"""Fixtures of the ledger's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from registry.storage import EXTENSION
from registry.storage.local import LocalStore


@pytest.fixture
def app_store(app: Flask, tmp_path: Path) -> Iterator[LocalStore]:
    """The app's file store, a fresh folder for this test (the session's app keeps one
    folder for all tests, and the log's tiles must match this test's log)."""
    saved = app.extensions[EXTENSION]
    app.extensions[EXTENSION] = fresh = LocalStore(tmp_path / "app-files")
    yield fresh
    app.extensions[EXTENSION] = saved
