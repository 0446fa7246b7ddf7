"""Seasons with emission results written straight into the tables (the MRV engine has its
own tests), so that the reports can be checked on many random registries quickly."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from registry import crops
from registry.accounts.models import Organisation, OrgKind
from registry.db import Db
from registry.labels.models import Label, LabelStatus
from registry.ledger import service as ledger
from registry.ledger.models import LogHead
from registry.trace.models import (
    Batch,
    Certification,
    Field,
    Scheme,
    Season,
)
from registry.verify.models import EmissionResult, MrvReport, ReportSeason, ReportStatus

PLACES = (
    ("Hải Phòng", "phường Đồ Sơn"),
    ("Hải Phòng", "xã Kiến Thụy"),
    ("Cần Thơ", "xã Thới Lai"),
)

COUNTER = itertools.count(1)  # codes unique across builders


@dataclass(frozen=True)
class Planted:
    """One season as a test means it: where, when, and its newest result's figures."""

    place: int  # index in PLACES
    htx: int  # 0..2
    harvest: date
    area_ha: float
    total_kg_co2e: float
    yield_kg: float
    baseline: tuple[float, float, float] | None  # area, kg CO2e, kg paddy of its 2020 season
    awd: bool = False
    verified: bool = False
    vietgap: bool = False
    organic: bool = False
    superseded: bool = False  # an older result of the same season exists too
    crop: str = "rice"  # a code of the crop catalogue
    removals_kg_co2: float = 0.0  # an orchard's trees' uptake (§10b)


class Builder:
    """Writes organisations, fields, seasons and results for `Planted` seasons."""

    def __init__(self, session: Db) -> None:
        self.session = session
        self.counter = COUNTER
        self.orgs: dict[tuple[int, int], Organisation] = {}
        self.user_id: int | None = None

    def htx(self, place: int, htx: int) -> Organisation:
        key = (place, htx)
        found = self.session.scalar(
            select(Organisation).where(Organisation.code == f"HTX-{place}{htx}")
        )
        if found is not None:
            self.orgs[key] = found
        if key not in self.orgs:
            province, commune = PLACES[place]
            org = Organisation(
                code=f"HTX-{place}{htx}",
                name=f"HTX Nông nghiệp số {place}{htx}",
                kind=OrgKind.PRODUCER,
                province=province,
                commune=commune,
            )
            self.session.add(org)
            self.orgs[key] = org
        return self.orgs[key]

    def plant(self, planted: Planted) -> Season:
        n = next(self.counter)
        province, commune = PLACES[planted.place]
        field = Field(
            organisation=self.htx(planted.place, planted.htx),
            code=f"F-{n}",
            name=f"Ruộng {n}",
            area_ha=planted.area_ha,
            province=province,
            commune=commune,
            household="Hộ bà Nguyễn Thị Riêng",
            geometry={"type": "Point", "coordinates": [106.7, 20.7]},
            log_index=bump_log(self.session),
        )
        season = Season(
            field=field,
            code=f"S-{n}",
            crop=planted.crop,
            season_type=crops.get(planted.crop).kind.season_types[0],
            year=planted.harvest.year,
            sowing_date=planted.harvest - timedelta(days=100),
            harvest_date=planted.harvest,
            harvested_kg=planted.yield_kg,
        )
        self.session.add(season)
        if planted.superseded:
            self.session.add(self._result(season, planted, factor=3.0))
        result = self._result(season, planted)
        self.session.add(result)
        for scheme, wanted in (
            (Scheme.VIETGAP, planted.vietgap),
            (Scheme.ORGANIC, planted.organic),
        ):
            if wanted:
                self.session.add(
                    Certification(
                        field=field,
                        scheme=scheme,
                        number=f"C-{n}",
                        issuer="Trung tâm chứng nhận",
                        valid_from=planted.harvest - timedelta(days=200),
                        valid_until=planted.harvest + timedelta(days=200),
                    )
                )
        if planted.verified:
            self.session.flush()
            report = MrvReport(
                organisation=field.organisation,
                period_start=planted.harvest,
                period_end=planted.harvest,
                status=ReportStatus.APPROVED,
                created_by_id=self._user(),
            )
            report.seasons.append(ReportSeason(season=season, result=result))
            self.session.add(report)
        self.session.flush()
        return season

    def _result(self, season: Season, planted: Planted, factor: float = 1.0) -> EmissionResult:
        inputs: dict[str, Any] = {
            "area_ha": planted.area_ha,
            "water_regime": "multiple_drainage" if planted.awd else "continuous",
        }
        if planted.baseline:
            inputs["baseline"] = {"area_ha": planted.baseline[0]}
        total = planted.total_kg_co2e * factor
        return EmissionResult(
            season=season,
            methodology="ipcc2019-t1-rice" if planted.crop == "rice" else "ipcc2019-t1-crops",
            version=1,
            inputs={**inputs, "crop": planted.crop},
            sources={},
            result={"crop": planted.crop, "removals_kg_co2": planted.removals_kg_co2 * factor},
            inputs_digest="0" * 64,
            area_ha=planted.area_ha,
            yield_kg=planted.yield_kg,
            total_kg_co2e=total,
            per_ha_kg_co2e=total / planted.area_ha,
            per_kg_product_g_co2e=1000 * total / planted.yield_kg if planted.yield_kg else None,
            baseline_total_kg_co2e=planted.baseline[1] if planted.baseline else None,
            baseline_yield_kg=planted.baseline[2] if planted.baseline else None,
        )

    def label(
        self,
        place: int,
        htx: int,
        issued_at: datetime,
        status: LabelStatus = LabelStatus.VALID,
        units: int = 0,
        product: str = "paddy",
        removals: float | None = None,
    ) -> Label:
        """A batch label (and `units` package labels under it) held by the HTX, on a batch
        of `product` whose orchard took up `removals` kg CO2 per kg (None: no trees)."""
        n = next(self.counter)
        org = self.htx(place, htx)
        batch = Batch(
            organisation=org,
            maker=org,
            lot_code=f"LOT-{n}",
            product=product,
            step="harvest",
            quantity_kg=1000,
            remaining_kg=1000,
            production_date=issued_at.date(),
            g_co2e_per_kg=400,
            removals_kg_co2_per_kg=removals,
            derivation={},
            log_index=0,
        )
        made = [self._label(batch, org, f"L{n}", issued_at, status, None, place)]
        made[0].log_index = bump_log(self.session)
        for unit in range(units):
            made.append(self._label(batch, org, f"L{n}U{unit}", issued_at, status, made[0], place))
            made[-1].log_index = made[0].log_index
        self.session.add_all(made)
        self.session.flush()
        return made[0]

    @staticmethod
    def _label(
        batch: Batch,
        org: Organisation,
        serial: str,
        issued_at: datetime,
        status: LabelStatus,
        parent: Label | None,
        place: int,
    ) -> Label:
        return Label(
            serial=serial,
            batch=batch,
            parent=parent,
            criteria_version=1,
            lot=batch.lot_code,
            g_co2e_per_kg=400,
            reduction_permille=300,
            methodology="ipcc2019-t1-rice",
            verifier="VER-1",
            kid="0" * 16,
            token="t",
            url=f"https://x/l/{serial}",
            issued_at=issued_at,
            expires_at=issued_at + timedelta(days=365),
            status=status,
            log_index=0,
            product=batch.product,
            organisation=org.code,
            commune=PLACES[place][1],
            crop=batch.crop,
            removals_kg_co2_per_kg=batch.removals_kg_co2_per_kg,
        )

    def _user(self) -> int:
        if self.user_id is None:
            from registry.accounts.models import User

            authority = Organisation(
                code="AUTH-T",
                name="Chi cục thử",
                kind=OrgKind.AUTHORITY,
                province="Hải Phòng",
                commune="phường Hồng Bàng",
            )
            user = User(
                organisation=authority, email="t@t.vn", name="T", password_hash="x", roles=[]
            )
            self.session.add(user)
            self.session.flush()
            self.user_id = user.id
        return self.user_id


def wipe(session: Db) -> None:
    """Every table emptied (for hypothesis examples, which share one test's fixtures)."""
    from registry.db import db

    session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        if table.name != LogHead.__tablename__:
            session.execute(delete(table))
    session.execute(update(LogHead).values(size=0))
    session.commit()


def bump_log(session: Db) -> int:
    """Log something, as the registry does with each record; returns the entry's index."""
    return ledger.append(session, "test.recorded", "TEST", "test", {})
