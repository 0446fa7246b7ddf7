"""An HTX with a field, a 2020 baseline season and a 2026 AWD season, diaries complete."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.accounts.models import Organisation, OrgKind, User
from registry.db import db
from registry.trace import service
from registry.trace.models import Season
from registry.trace.schemas import DiaryEntryIn, SeasonIn
from registry.verify import approvals, signing
from tests.conftest import Factory
from tests.trace.conftest import field_values

Farm = tuple[Organisation, User, Season, Season]

BASELINE_DIARY = [
    ("amendment", "2019-11-15", {"material": "straw", "t_ha": 3}),
    ("water", "2019-12-01", {"event": "flooding"}),
    ("fertiliser", "2019-12-20", {"product": "Urê", "urea": True, "kg": 230}),
    ("harvest", "2020-03-10", {"kg": 6200}),
    ("straw", "2020-03-13", {"practice": "burned", "tonnes": 5.6}),
]
AWD_DIARY = [
    ("water", "2025-12-04", {"event": "flooding"}),
    ("fertiliser", "2025-12-20", {"product": "Urê", "urea": True, "kg": 165}),
    ("water", "2025-12-30", {"event": "drainage", "end_date": "2026-01-05"}),
    ("water", "2026-01-20", {"event": "drainage", "end_date": "2026-01-27"}),
    ("harvest", "2026-03-12", {"kg": 6600}),
    ("straw", "2026-03-15", {"practice": "mushroom", "tonnes": 5.9}),
]


def keep(
    org: Organisation, user: User, season: Season, diary: list[tuple[str, str, dict[str, Any]]]
) -> None:
    for kind, on, data in diary:
        service.record_entry(
            db.session,
            org,
            user,
            DiaryEntryIn().load({"season": season.code, "kind": kind, "date": on, "data": data}),
        )


@pytest.fixture
def farm(ctx: None, make: Factory) -> Farm:
    made = make.org(
        kind=OrgKind.PRODUCER, code="HTX-THOILAI", province="Cần Thơ", commune="xã Thới Lai"
    )
    org, user = db.session.get(Organisation, made.id), db.session.get(User, make.user(made).id)
    assert org is not None and user is not None
    service.register_field(db.session, org, field_values(province="Cần Thơ", commune="xã Thới Lai"))
    base = service.open_season(
        db.session,
        org,
        SeasonIn().load(
            {
                "field": "DS-01",
                "season_type": "dong_xuan",
                "year": 2020,
                "sowing_date": "2019-12-05",
            }
        ),
    )
    awd = service.open_season(
        db.session,
        org,
        SeasonIn().load(
            {
                "field": "DS-01",
                "season_type": "dong_xuan",
                "year": 2026,
                "sowing_date": "2025-12-08",
            }
        ),
    )
    keep(org, user, base, BASELINE_DIARY)
    keep(org, user, awd, AWD_DIARY)
    db.session.commit()
    assert date(2026, 3, 12) == awd.harvest_date
    return org, user, base, awd


@pytest.fixture
def verifier(farm: Farm, make: Factory) -> tuple[Organisation, Ed25519PrivateKey, str]:
    org = db.session.get(Organisation, make.org(kind=OrgKind.VERIFIER, code="VER-1").id)
    authority = db.session.get(Organisation, make.org(kind=OrgKind.AUTHORITY).id)
    assert org is not None and authority is not None
    approvals.accredit(
        db.session,
        org,
        authority,
        crops=["rice"],
        provinces=["Cần Thơ"],
        valid_from=date(2025, 1, 1),
        valid_until=date(2027, 12, 31),
    )
    key = Ed25519PrivateKey.generate()
    kid = approvals.register_key(
        db.session, org, signing.b64url(signing.raw(key.public_key())), "laptop"
    ).kid
    db.session.commit()
    return org, key, kid
