"""The migration that counts scans by province keeps every count, both ways."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from registry import create_app
from registry.db import db

BEFORE, AFTER = "ce0b2a30d08e", "67b301986592"


def rows() -> list[tuple[object, ...]]:
    return [
        tuple(r) for r in db.session.execute(text("SELECT * FROM label_scan_days ORDER BY 1, 2, 3"))
    ]


def test_counts_survive_the_province_column_coming_and_going(tmp_path: Path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}",
        }
    )
    with app.app_context():
        upgrade(revision=BEFORE)
        db.session.execute(
            text(
                "INSERT INTO label_scan_days (label_id, day, locale, count)"
                " VALUES (1, '2026-11-01', 'vi', 4)"
            )
        )
        db.session.commit()
        upgrade(revision=AFTER)
        assert rows() == [(1, "2026-11-01", "vi", 4, "")]  # counted before: province unknown
        db.session.execute(
            text(
                "INSERT INTO label_scan_days (label_id, day, locale, province, count) VALUES"
                " (1, '2026-11-01', 'vi', 'Cần Thơ', 2), (1, '2026-11-01', 'vi', 'Hà Nội', 3),"
                " (1, '2026-11-02', 'en', 'abroad', 1)"
            )
        )
        db.session.commit()
        downgrade(revision=BEFORE)
        assert rows() == [(1, "2026-11-01", "vi", 4 + 2 + 3), (1, "2026-11-02", "en", 1)]
        db.session.remove()
