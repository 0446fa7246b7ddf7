from __future__ import annotations

from pathlib import Path

import pytest

from registry import config


def test_secret_key_is_generated_once_into_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("REGISTRY_INSTANCE", str(tmp_path))
    first = config.from_environment()["SECRET_KEY"]
    assert len(first) >= 48 and (tmp_path / "secret_key").read_text().strip() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert config.from_environment()["SECRET_KEY"] == first


def test_database_url_defaults_to_sqlite_and_maps_postgres_to_psycopg3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert config.database_url(tmp_path) == f"sqlite:///{tmp_path / 'registry.db'}"
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db:5432/registry")
    assert config.database_url(tmp_path) == "postgresql+psycopg://u@db:5432/registry"


def test_cookies_are_secure_behind_https(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_INSTANCE", str(tmp_path))
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://nhan.haiphong.gov.vn/")
    settings = config.from_environment()
    assert settings["SESSION_COOKIE_SECURE"] and settings["SESSION_COOKIE_HTTPONLY"]
    assert settings["PUBLIC_BASE_URL"] == "https://nhan.haiphong.gov.vn"


def test_the_public_base_defaults_to_the_port_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_INSTANCE", str(tmp_path))
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    assert config.from_environment()["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
    monkeypatch.setenv("PORT", "8080")
    assert config.from_environment()["PUBLIC_BASE_URL"] == "http://127.0.0.1:8080"
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://nhan.haiphong.gov.vn")
    assert config.from_environment()["PUBLIC_BASE_URL"] == "https://nhan.haiphong.gov.vn"
