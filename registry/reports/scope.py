"""Who may see which figures. The authority sees the whole registry and narrows it with
filters; a commune office sees its own commune and nothing else (asking for another
is refused, not silently answered with its own); an HTX sees its own figures on the pages
made for it too (progress to 2035); nobody else sees any. Views that are not for HTXs keep
them out with `kinds_required(*READERS)` (the dashboard, periodic reports)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.accounts.access import commune_of
from registry.accounts.models import Organisation, OrgKind
from registry.db import Db
from registry.errors import DomainError, Forbidden
from registry.reports.figures import Area
from registry.reports.models import FieldCell

READERS = (OrgKind.AUTHORITY, OrgKind.COMMUNE_OFFICE)


class OutsideCommune(Forbidden):
    title = _l("A commune office sees only its own commune's figures.")


class OutsideOwn(Forbidden):
    title = _l("A cooperative sees only its own figures.")


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
    confined = commune_of(viewer)
    if confined is not None:
        if province not in (None, confined[0]) or commune not in (None, confined[1]):
            raise OutsideCommune()
        province, commune = confined
    elif viewer.kind not in (OrgKind.AUTHORITY, OrgKind.PRODUCER):
        raise Forbidden()
    if commune is not None and province is None:
        province = _province_of(session, commune)
    return Area(province, commune, _cooperative(session, viewer, htx), crop)


def _cooperative(session: Db, viewer: Organisation, htx: str | None) -> int | None:
    """The HTX the area narrows to: an HTX's own self, else the one `htx` names, if any."""
    if viewer.kind is OrgKind.PRODUCER:
        if htx is not None and htx.upper() != viewer.code.upper():
            raise OutsideOwn()
        return viewer.id
    if htx is None:
        return None
    found = session.scalar(
        select(Organisation.id).where(
            Organisation.code == htx.upper(), Organisation.kind == OrgKind.PRODUCER
        )
    )
    if found is None:
        raise FilterRefused(errors={"htx": [_l("No cooperative has this code.")]})
    return found


def sees(viewer: Organisation, province: str | None, commune: str | None) -> bool:
    """May `viewer` read a report or confirmation about this area?"""
    if viewer.kind is OrgKind.AUTHORITY:
        return True
    return commune_of(viewer) == (province, commune)


def _province_of(session: Db, commune: str) -> str:
    """The province of a commune named without one, when only one province has it."""
    found = list(
        session.scalars(select(FieldCell.province).where(FieldCell.commune == commune).distinct())
    )
    if len(found) != 1:
        raise FilterRefused(errors={"province": [_l("Choose the commune's province too.")]})
    return found[0]
