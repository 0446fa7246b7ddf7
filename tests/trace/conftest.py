"""Trace fixtures: an HTX with a user, a second HTX, and ready-made valid values."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from registry.accounts.models import Organisation, OrgKind, User
from registry.db import db
from tests.conftest import Factory

# A 100 m x 100 m square in Đồ Sơn ward, Hải Phòng (about 1 ha).
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [
            [106.7800, 20.7100],
            [106.780959, 20.7100],
            [106.780959, 20.710899],
            [106.7800, 20.710899],
            [106.7800, 20.7100],
        ]
    ],
}


def field_values(**overrides: Any) -> dict[str, Any]:
    return {
        "code": "DS-01",
        "name": "Ruộng Đồng Cao",
        "area_ha": 1.0,
        "province": "Hải Phòng",
        "commune": "phường Đồ Sơn",
        "household": "Hộ ông Nguyễn Văn Ba",
        "location": SQUARE,
        "planting_area_code": None,
        **overrides,
    }


def season_values(**overrides: Any) -> dict[str, Any]:
    return {
        "field": "DS-01",
        "crop": "rice",
        "season_type": "dong_xuan",
        "year": 2026,
        "sowing_date": date(2026, 1, 10),
        **overrides,
    }


@pytest.fixture
def htx(ctx: None, make: Factory) -> tuple[Organisation, User]:
    org = make.org(kind=OrgKind.PRODUCER, code="HTX-DOSON")
    user = make.user(org)
    return db.session.get(Organisation, org.id), db.session.get(User, user.id)  # type: ignore[return-value]
