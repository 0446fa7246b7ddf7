"""Demo fields with complete seasons: each HTX has a 2020 baseline season (continuous
flooding, straw incorporated shortly before sowing, straw burned, more urea) and 2026
seasons under the programme's practice (AWD drainage, straw off the field for mushrooms,
less nitrogen; organic fertiliser only on the certified organic fields TL-03 and DS-02), one of them
still in progress. Diaries go through the same validation and service as a person's
entries, so the demo log holds them too; some entries carry photos (registry/demo/photos.py)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, Protocol

from sqlalchemy import select

from registry.accounts.models import Organisation, User
from registry.db import Db
from registry.demo import photos
from registry.demo.accounts import USERS
from registry.trace import service
from registry.trace.evidence import EvidenceStore
from registry.trace.models import Field
from registry.trace.schemas import DiaryEntryIn, FieldIn, SeasonIn


@dataclass(frozen=True)
class Practice:
    drainages: tuple[tuple[int, int], ...]  # (days after sowing, days kept dry)
    straw_incorporated_t_ha: float  # previous crop's straw, worked in before sowing
    urea_kg_ha: float
    npk_kg_ha: float  # NPK 20-20-15
    after_harvest: str  # what happens to this crop's straw
    yield_kg_ha: float
    diesel_l_ha: float
    organic_kg_ha: float = 0.0  # organic fertiliser, 3 % N


BASELINE = Practice((), 3.0, 230, 150, "burned", 6200, 18)
AWD = ((22, 6), (38, 7), (60, 8))
LOW_EMISSION = Practice(AWD, 0.0, 165, 120, "mushroom", 6600, 12)
ORGANIC = Practice(AWD, 0.0, 0, 0, "mushroom", 5400, 12, organic_kg_ha=2000)


Entry = tuple[date, str, dict[str, Any]]  # a diary entry: date, kind, data


class Plan(Protocol):
    """A season to open on a demo field and the diary its growers keep."""

    @property
    def season_type(self) -> str: ...

    @property
    def year(self) -> int: ...

    def opening(self) -> dict[str, Any]:
        """`SeasonIn` values besides the field."""
        ...

    def diary(self, area_ha: float) -> list[Entry]:
        """The entries in date order, amounts for the whole field."""
        ...


@dataclass(frozen=True)
class DemoSeason:
    """A rice season."""

    season_type: str
    year: int
    sowing: date
    days: int
    practice: Practice

    def opening(self) -> dict[str, Any]:
        return {
            "season_type": self.season_type,
            "year": self.year,
            "sowing_date": self.sowing.isoformat(),
        }

    def diary(self, area_ha: float) -> list[Entry]:
        return _diary(self, area_ha)


@dataclass(frozen=True)
class DemoField:
    code: str
    name: str
    area_ha: float
    lon: float
    lat: float
    household: str
    seasons: tuple[Plan, ...]
    polygon: bool = True


MEKONG = (
    DemoSeason("dong_xuan", 2020, date(2019, 12, 5), 96, BASELINE),
    DemoSeason("dong_xuan", 2026, date(2025, 12, 8), 95, LOW_EMISSION),
    DemoSeason("he_thu", 2026, date(2026, 4, 15), 92, LOW_EMISSION),
    DemoSeason("thu_dong", 2026, date(2026, 8, 12), 95, LOW_EMISSION),
)
RED_RIVER = (
    DemoSeason("dong_xuan", 2020, date(2020, 2, 1), 125, BASELINE),
    DemoSeason("dong_xuan", 2026, date(2026, 2, 3), 125, LOW_EMISSION),
    DemoSeason("vu_mua", 2026, date(2026, 7, 5), 102, LOW_EMISSION),
)

FARMS: dict[str, tuple[DemoField, ...]] = {
    "HTX-THOILAI": (
        DemoField("TL-01", "Ruộng Kênh Ngang", 1.2, 105.5612, 10.0731, "Hộ ông Lê Văn Tư", MEKONG),
        DemoField("TL-02", "Ruộng Bờ Tre", 0.8, 105.5655, 10.0702, "Hộ bà Trần Thị Năm", MEKONG),
        DemoField(
            "TL-03",
            "Ruộng Cây Dừa",
            2.0,
            105.5703,
            10.0766,
            "Hộ ông Huỳnh Văn Sáu",
            (MEKONG[0], replace(MEKONG[1], practice=ORGANIC)),
            polygon=False,
        ),
    ),
    "HTX-DOSON": (
        DemoField(
            "DS-01", "Ruộng Đồng Cao", 1.0, 106.7802, 20.7105, "Hộ ông Nguyễn Văn Ba", RED_RIVER
        ),
        DemoField(
            "DS-02",
            "Ruộng Cửa Đình",
            0.6,
            106.7841,
            20.7079,
            "Hộ bà Phạm Thị Bảy",
            (RED_RIVER[0], *(replace(s, practice=ORGANIC) for s in RED_RIVER[1:])),
        ),
    ),
}


def load_farms(
    session: Db, store: EvidenceStore, farms: dict[str, tuple[DemoField, ...]] = FARMS
) -> int:
    """Create the demo fields that are missing, with their seasons and diaries; `store`
    keeps the diaries' photos."""
    created = 0
    staff = {code: email for code, email, _, _ in USERS}
    for org_code, farm in farms.items():
        org = session.scalar(select(Organisation).where(Organisation.code == org_code))
        user = session.scalar(select(User).where(User.email == staff[org_code]))
        assert org is not None and user is not None, "load the demo accounts first"
        for demo in farm:
            if session.scalar(
                select(Field.id).where(Field.organisation_id == org.id, Field.code == demo.code)
            ):
                continue
            created += _load_field(session, Author(org, user, store), demo)
    return created


@dataclass(frozen=True)
class Author:
    """Who keeps the diary, and where its photos go."""

    org: Organisation
    user: User
    store: EvidenceStore


def _load_field(session: Db, author: Author, demo: DemoField) -> int:
    org = author.org
    service.register_field(
        session,
        org,
        FieldIn().load(
            {
                "code": demo.code,
                "name": demo.name,
                "area_ha": demo.area_ha,
                "province": org.province,
                "commune": org.commune,
                "household": demo.household,
                "location": _square(demo)
                if demo.polygon
                else {"type": "Point", "coordinates": [demo.lon, demo.lat]},
            }
        ),
    )
    created = 1
    for plan in demo.seasons:
        season = service.open_season(
            session,
            org,
            SeasonIn().load({"field": demo.code, **plan.opening()}),
        )
        created += 1 + _keep_diary(session, author, demo, plan, season.code)
    return created


def _keep_diary(session: Db, author: Author, demo: DemoField, plan: Plan, season: str) -> int:
    """Record the season's diary up to today, with its photos; returns the records added."""
    created = 0
    waiting = photos.of_season(demo.code, plan.season_type, plan.year)
    for on, kind, data in plan.diary(demo.area_ha):
        if on > service.today_in_vietnam():
            break
        evidence = []
        if photo := photos.take(waiting, kind, data):
            shot = photos.upload(session, author.org, author.store, photo, (demo.lon, demo.lat), on)
            evidence, created = [shot.sha256], created + 1
        service.record_entry(
            session,
            author.org,
            author.user,
            DiaryEntryIn().load(
                {
                    "season": season,
                    "kind": kind,
                    "date": on.isoformat(),
                    "data": data,
                    "evidence": evidence,
                }
            ),
        )
        created += 1
    return created


def _square(demo: DemoField) -> dict[str, Any]:
    """A square of the field's area around its centre (real boundaries come from phones)."""
    half = math.sqrt(demo.area_ha * 10_000) / 2
    dlat = half / 111_320
    dlon = half / (111_320 * math.cos(math.radians(demo.lat)))
    w, e, s, n = demo.lon - dlon, demo.lon + dlon, demo.lat - dlat, demo.lat + dlat
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def _diary(plan: DemoSeason, area: float) -> list[Entry]:
    """The season's diary in date order, as an HTX would keep it."""
    p, sow = plan.practice, plan.sowing

    def day(n: int) -> date:
        return sow + timedelta(days=n)

    entries: list[tuple[date, str, dict[str, Any]]] = []
    if p.straw_incorporated_t_ha:
        entries.append(
            (day(-20), "amendment", {"material": "straw", "t_ha": p.straw_incorporated_t_ha})
        )
    entries.append((day(-4), "water", {"event": "flooding"}))
    entries.append(
        (
            day(-2),
            "energy",
            {
                "source": "diesel",
                "amount": round(p.diesel_l_ha * area, 1),
                "purpose": "land_preparation",
            },
        )
    )
    entries.extend(_fertilisers(p, area, day))
    for start, dry in p.drainages:
        entries.append(
            (day(start), "water", {"event": "drainage", "end_date": day(start + dry).isoformat()})
        )
    entries.append(
        (
            day(50),
            "pesticide",
            {
                "product": "Beam 75WP",
                "amount": round(0.3 * area, 2),
                "unit": "kg",
                "active_ingredient": "Tricyclazole",
            },
        )
    )
    harvested = round(p.yield_kg_ha * area)
    entries.append((day(plan.days), "harvest", {"kg": harvested, "moisture_pct": 24}))
    straw_t = round(harvested / 1000 * 0.9, 1)  # straw-to-grain ratio about 0.9 (dry matter)
    entries.append((day(plan.days + 3), "straw", {"practice": p.after_harvest, "tonnes": straw_t}))
    return sorted(entries, key=lambda e: e[0])


def _fertilisers(
    p: Practice, area: float, day: Callable[[int], date]
) -> list[tuple[date, str, dict[str, Any]]]:
    """Basal NPK and two urea top dressings, or organic fertiliser alone."""
    entries: list[tuple[date, str, dict[str, Any]]] = []
    if p.organic_kg_ha:
        organic = {"product": "Phân hữu cơ vi sinh", "n_pct": 3, "organic": True}
        entries.append((day(-3), "fertiliser", {**organic, "kg": round(p.organic_kg_ha * area)}))
    if p.npk_kg_ha:
        npk = {"product": "NPK 20-20-15", "n_pct": 20, "kg": round(p.npk_kg_ha * area, 1)}
        entries.append((day(1), "fertiliser", npk))
    for n, share in ((15, 0.45), (40, 0.55)) if p.urea_kg_ha else ():
        urea = {"product": "Urê Phú Mỹ", "urea": True}
        entries.append(
            (day(n), "fertiliser", {**urea, "kg": round(p.urea_kg_ha * share * area, 1)})
        )
    return entries
