from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from registry.accounts.models import Organisation, OrgKind, User
from registry.db import db
from registry.errors import Conflict
from registry.ledger import service as ledger
from registry.trace import service
from registry.trace.models import Field, SeasonStatus
from registry.trace.schemas import DiaryEntryIn
from tests.conftest import Factory
from tests.trace.conftest import SQUARE, field_values, season_values

Htx = tuple[Organisation, User]


def entry(kind: str, on: str, data: dict, **extra: object) -> dict:
    return DiaryEntryIn().load(
        {"season": "DS-01-2026-DX", "kind": kind, "date": on, "data": data, **extra}
    )


def test_a_field_is_registered_and_logged_without_the_household(htx: Htx) -> None:
    org, _ = htx
    field = service.register_field(db.session, org, field_values())
    db.session.commit()
    assert field.drawn_area_ha == pytest.approx(1.0, rel=0.02)
    logged = ledger.entry(db.session, field.log_index).decode()
    assert '"type":"field.registered"' in logged and "DS-01" in logged
    assert "Nguyễn Văn Ba" not in logged and "Hộ" not in logged


def test_duplicate_codes_and_bad_locations_write_nothing(htx: Htx) -> None:
    org, _ = htx
    service.register_field(db.session, org, field_values())
    db.session.commit()
    size = ledger.size(db.session)
    with pytest.raises(Conflict):
        service.register_field(db.session, org, field_values())
    db.session.rollback()
    with pytest.raises(service.InvalidEntry) as caught:
        service.register_field(db.session, org, field_values(code="DS-02", area_ha=9.0))
    db.session.rollback()
    assert "location" in caught.value.errors
    assert db.session.scalar(select(func.count()).select_from(Field)) == 1
    assert ledger.size(db.session) == size


def test_another_htx_may_reuse_a_code_but_not_see_the_field(htx: Htx, make: Factory) -> None:
    org, _ = htx
    other = db.session.get(Organisation, make.org(kind=OrgKind.PRODUCER).id)
    assert other is not None
    service.register_field(db.session, org, field_values())
    service.register_field(db.session, other, field_values())
    db.session.commit()
    with pytest.raises(service.FieldNotFound):
        service.field_by_code(db.session, other.id + 1000, "DS-01")
    assert [f.organisation_id for f in service.fields_of(db.session, other.id)] == [other.id]


def test_seasons_are_unique_per_field_and_type_and_year(htx: Htx) -> None:
    org, _ = htx
    service.register_field(db.session, org, field_values())
    season = service.open_season(db.session, org, season_values())
    db.session.commit()
    assert season.code == "DS-01-2026-DX" and season.status is SeasonStatus.OPEN
    with pytest.raises(Conflict):
        service.open_season(db.session, org, season_values(sowing_date=date(2026, 1, 20)))


def test_a_diary_is_append_only_and_corrections_supersede(htx: Htx) -> None:
    org, user = htx
    service.register_field(db.session, org, field_values())
    season = service.open_season(db.session, org, season_values())
    first = service.record_entry(
        db.session,
        org,
        user,
        entry("fertiliser", "2026-01-25", {"product": "Urê Phú Mỹ", "kg": 50, "urea": True}),
    )
    db.session.commit()
    assert first.data["n_pct"] == 46.0
    fixed = service.record_entry(
        db.session,
        org,
        user,
        entry(
            "fertiliser",
            "2026-01-25",
            {"product": "Urê Phú Mỹ", "kg": 40, "urea": True},
            supersedes=first.id,
            reason="Cân lại bao phân",
        ),
    )
    db.session.commit()
    assert service.current_entries(season) == [fixed]
    assert [e.id for e in season.entries] == [first.id, fixed.id]
    with pytest.raises(Conflict):
        service.record_entry(
            db.session,
            org,
            user,
            entry(
                "fertiliser",
                "2026-01-25",
                {"product": "x", "kg": 1, "urea": True},
                supersedes=first.id,
                reason="lần nữa",
            ),
        )
    db.session.rollback()
    with pytest.raises(service.InvalidEntry):
        service.record_entry(
            db.session,
            org,
            user,
            entry("note", "2026-01-25", {"text": "khác loại"}, supersedes=fixed.id, reason="x"),
        )


def test_harvest_updates_the_season_and_cannot_precede_sowing(htx: Htx) -> None:
    org, user = htx
    service.register_field(db.session, org, field_values())
    season = service.open_season(db.session, org, season_values())
    db.session.commit()
    with pytest.raises(service.InvalidEntry) as caught:
        service.record_entry(db.session, org, user, entry("harvest", "2026-01-05", {"kg": 6000}))
    assert "date" in caught.value.errors
    db.session.rollback()
    service.record_entry(db.session, org, user, entry("harvest", "2026-04-28", {"kg": 6400}))
    db.session.commit()
    assert season.harvested_kg == 6400 and season.harvest_date == date(2026, 4, 28)
    assert season.status is SeasonStatus.HARVESTED


def test_future_and_far_early_dates_are_refused(htx: Htx) -> None:
    org, user = htx
    service.register_field(db.session, org, field_values())
    service.open_season(db.session, org, season_values())
    tomorrow = (service.today_in_vietnam() + timedelta(days=1)).isoformat()
    for on in (tomorrow, "2025-08-01"):
        with pytest.raises(service.InvalidEntry):
            service.record_entry(db.session, org, user, entry("note", on, {"text": "x"}))


def test_diary_entries_are_logged_with_code_and_digest_only(htx: Htx) -> None:
    org, user = htx
    service.register_field(db.session, org, field_values())
    service.open_season(db.session, org, season_values())
    recorded = service.record_entry(
        db.session, org, user, entry("note", "2026-01-12", {"text": "Ông Ba gọi 0912345678"})
    )
    db.session.commit()
    logged = ledger.entry(db.session, recorded.log_index).decode()
    assert recorded.digest in logged and "0912345678" not in logged


def test_evidence_must_belong_to_the_organisation(htx: Htx) -> None:
    org, user = htx
    service.register_field(db.session, org, field_values())
    service.open_season(db.session, org, season_values())
    with pytest.raises(service.InvalidEntry) as caught:
        service.record_entry(
            db.session, org, user, entry("note", "2026-01-12", {"text": "ảnh"}, evidence=["a" * 64])
        )
    assert "evidence" in caught.value.errors
    assert SQUARE["type"] == "Polygon"
