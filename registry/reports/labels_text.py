"""Words the report files and pages share: titles of reports, periods and areas, and days
and times as people write them."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import format_date, format_datetime, to_user_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registry import crops
from registry.i18n import DAY  # the day as every page writes it: a four-digit year
from registry.reports.periods import Deadline

RICE_KIND = "rice"  # the kind of kinds.json whose fields are flooded (DESIGN.md §10b)

# What a crop's periods are called, by the period of its kind in the catalogue (kinds.json)
PERIODS = {
    "season": _l("Seasons"),
    "crop_cycle": _l("Crop cycles"),
    "growing_year": _l("Growing years"),
}


def day(iso: str) -> str:
    """A date of the report data (ISO 8601) as people write it."""
    return str(format_date(date.fromisoformat(iso), DAY))


def local_time(rfc3339: str) -> str:
    """A UTC time of the report data (RFC 3339) on the reader's clock: flask-babel's time
    zone (BABEL_DEFAULT_TIMEZONE, Vietnam), with the offset so nobody takes it for UTC."""
    return str(format_datetime(datetime.fromisoformat(rfc3339), f"{DAY} HH:mm 'UTC'xxx"))


def local_clock(rfc3339: str) -> datetime:
    """The same time as a naive datetime on the reader's clock, for a spreadsheet cell
    (Excel keeps no time zone)."""
    return to_user_timezone(datetime.fromisoformat(rfc3339)).replace(tzinfo=None)


def period_name(key: str) -> str:
    year, _sep, half = key.partition("-")
    if half == "H1":
        return _("first half of %(year)s (January–June)", year=year)
    if half == "H2":
        return _("second half of %(year)s (July–December)", year=year)
    return _("year %(year)s", year=year)


def report_title(kind: str, key: str) -> str:
    if kind == "half":
        return _("6-month report: %(period)s", period=period_name(key))
    return _("Annual report %(year)s", year=key)


def area_name(province: str | None, commune: str | None) -> str:
    if commune:
        return f"{commune}, {province}"
    return province or _("the whole registry")


def deadline_title(deadline: Deadline) -> str:
    period = period_name(deadline.period.key)
    if deadline.what == "confirmation":
        return _("Confirm the commune's reduction for the %(period)s", period=period)
    if deadline.whose == "province":
        return _("The province's report for the %(period)s", period=period)
    return _("The department's report for the %(period)s", period=period)


def crop_label(crop: str) -> str:
    """The crop's name in the reader's language, from the catalogue (the code itself for a
    crop the catalogue no longer holds, as an old report may name)."""
    found = crops.catalogue().get(crop)
    return found.name if found is not None else crop


def crop_product(crop: str) -> str:
    """What the crop's harvest is (its figures per kg are per kg of it), from the catalogue."""
    found = crops.catalogue().get(crop)
    return found.product if found is not None else crop


def crop_periods(crop: str) -> str:
    """What the crop's periods are called: seasons, crop cycles or growing years."""
    found = crops.catalogue().get(crop)
    return str(PERIODS.get(found.kind.period if found else "season", PERIODS["season"]))


def flooded(crop: str) -> bool:
    """Whether the crop is grown in flooded fields (the catalogue's rice kind), where
    alternate wetting and drying is the practice the reports count."""
    found = crops.catalogue().get(crop)
    return found is not None and found.kind.code == RICE_KIND
