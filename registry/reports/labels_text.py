"""Words the report files and pages share: titles of reports, periods and areas, and days
and times as people write them."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import format_date, format_datetime, to_user_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registry.i18n import DAY  # the day as every page writes it: a four-digit year
from registry.reports.periods import Deadline

CROPS = {"rice": _l("Rice")}


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
    return str(CROPS.get(crop, crop))
