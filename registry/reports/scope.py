"""Who may see which figures. The authority sees the whole registry and narrows it with
filters; a commune office sees its own commune and nothing else (asking for another
is refused, not silently answered with its own); nobody else sees the dashboard."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.accounts.models import Organisation, OrgKind
from registry.db import Db
from registry.errors import DomainError, Forbidden
from registry.reports.figures import Area
from registry.reports.models import FieldCell

READERS = (OrgKind.AUTHORITY, OrgKind.COMMUNE_OFFICE)


class OutsideCommune(Forbidden):
    title = _l("A commune office sees only its own commune's figures.")


class FilterRefused(DomainError):
    title = _l("Some filters are not valid.")


def area_for(
    session: Db,
    viewer: Organisation,
    *,
    province: str | None = None,
    commune: str | None = None,
    htx: str | None = None,
    crop: str | None = None,
) -> Area:
    """The area `viewer` asked for, as far as it may see it."""
    if viewer.kind is OrgKind.COMMUNE_OFFICE:
        if province not in (None, viewer.province) or commune not in (None, viewer.commune):
            raise OutsideCommune()
        province, commune = viewer.province, viewer.commune
    elif viewer.kind is not OrgKind.AUTHORITY:
        raise Forbidden()
    if commune is not None and province is None:
        province = _province_of(session, commune)
    organisation_id = None
    if htx is not None:
        organisation_id = session.scalar(
            select(Organisation.id).where(
                Organisation.code == htx.upper(), Organisation.kind == OrgKind.PRODUCER
            )
        )
        if organisation_id is None:
            raise FilterRefused(errors={"htx": [_l("No cooperative has this code.")]})
    return Area(province, commune, organisation_id, crop)


def sees(viewer: Organisation, province: str | None, commune: str | None) -> bool:
    """May `viewer` read a report or confirmation about this area?"""
    if viewer.kind is OrgKind.AUTHORITY:
        return True
    return viewer.kind is OrgKind.COMMUNE_OFFICE and (province, commune) == (
        viewer.province,
        viewer.commune,
    )


def _province_of(session: Db, commune: str) -> str:
    """The province of a commune named without one, when only one province has it."""
    found = list(
        session.scalars(select(FieldCell.province).where(FieldCell.commune == commune).distinct())
    )
    if len(found) != 1:
        raise FilterRefused(errors={"province": [_l("Choose the commune's province too.")]})
    return found[0]
