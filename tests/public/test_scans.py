"""Scan statistics: coarse locales only, counts by day, and unit labels scanned in
patterns no single package shows, flagged for their holder and the authority only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from registry.accounts.models import Organisation
from registry.db import db
from registry.labels import issuance
from registry.labels.models import Label
from registry.public import scans
from registry.public.models import ScanDay
from registry.trace.service import today_in_vietnam
from tests.conftest import Factory, login
from tests.public.conftest import label  # noqa: F401


def test_coarse_locales_keep_only_the_first_language_tag() -> None:
    assert scans.coarse_locale("vi-VN,vi;q=0.9,en-US;q=0.8") == "vi-VN"
    assert scans.coarse_locale("EN-gb") == "en-GB"
    assert scans.coarse_locale("zh") == "zh"
    for odd in (None, "", "*", "x-klingon", "vi-VN-u-nu-latn", "12-34", "vi_VN"):
        assert scans.coarse_locale(odd) == "other"


@given(st.text(max_size=60))
def test_a_coarse_locale_is_short_whatever_the_header(header: str) -> None:
    found = scans.coarse_locale(header)
    assert found == "other" or (len(found) <= 6 and found.replace("-", "").isalpha())


@given(st.integers(0, 500), st.integers(0, 400), st.integers(0, 20))
def test_more_scans_never_look_less_suspicious(total: int, days: int, locales: int) -> None:
    found = set(scans.reasons(total, days, locales))
    assert found <= set(scans.reasons(total + 1, days + 1, locales + 1))
    assert (found == set()) == (
        total <= scans.MAX_SCANS and days <= scans.MAX_DAYS and locales <= scans.MAX_LOCALES
    )


def scanned(unit: Label, days: int, per_day: int = 1, locale: str = "vi-VN") -> None:
    today = today_in_vietnam()
    for d in range(days):
        scans.record(db.session, {(unit.id, today - timedelta(days=d), locale): per_day})
    db.session.commit()


def test_a_unit_scanned_on_many_days_is_flagged_a_normal_one_is_not(label: Label) -> None:
    copied, normal, busy = issuance.units_of(db.session, label.id)
    scanned(copied, scans.MAX_DAYS + 3)
    scanned(normal, 2, per_day=2)
    scanned(busy, 1, per_day=scans.MAX_SCANS + 1, locale="en")
    scanned(label, 40)  # a batch label on a shop shelf is scanned every day: not a copy
    found = {p.serial: p for p in scans.flagged(db.session, None, today_in_vietnam())}
    assert set(found) == {copied.serial, busy.serial}
    assert found[copied.serial].days == scans.MAX_DAYS + 3
    assert found[copied.serial].batch_serial == label.serial
    assert scans.reasons(busy_total := found[busy.serial].total, 1, 1) == ["many_scans"]
    assert busy_total == scans.MAX_SCANS + 1
    assert scans.flagged(db.session, "SOMEONE-ELSE", today_in_vietnam()) == []
    days = scans.by_day(db.session, label, today_in_vietnam())
    assert days[0] == (today_in_vietnam(), 1 + 1 + 2 + scans.MAX_SCANS + 1)
    assert dict(scans.by_locale(db.session, label, today_in_vietnam()))["en"] == scans.MAX_SCANS + 1


def test_the_holder_and_the_authority_see_the_flags_others_do_not(
    app: Flask, make: Factory, label: Label, authority: Organisation
) -> None:
    copied = issuance.units_of(db.session, label.id)[0]
    scanned(copied, scans.MAX_DAYS + 1)
    holder = db.session.get(Organisation, label.batch.organisation_id)
    assert holder is not None
    for org in (holder, authority, make.org(code="HTX-KHAC")):
        user = make.user(org)
        with app.app_context():  # a fresh `g` per person: Flask-WTF keeps its token there
            person = app.test_client()
            login(person, user)
            overview = person.get("/scans").get_data(as_text=True)
            detail = person.get(f"/scans/{label.serial}")
        if org.code == "HTX-KHAC":
            assert copied.serial not in overview and detail.status_code == 404
        else:
            assert copied.serial in overview and "Có thể bị sao chép" in overview
            assert detail.status_code == 200 and copied.serial in detail.get_data(as_text=True)


def test_scans_need_signing_in(client: FlaskClient) -> None:
    assert client.get("/scans").status_code == 302


def test_counts_add_up_and_old_days_fall_out_of_the_window(label: Label) -> None:
    old = (label.id, date(2020, 1, 1), "vi")
    scans.record(db.session, {old: 2})
    scans.record(db.session, {old: 3})
    db.session.commit()
    assert db.session.scalar(select(ScanDay.count)) == 5
    assert scans.by_day(db.session, label, today_in_vietnam()) == []


def test_the_tally_writes_only_when_due(label: Label, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scans, "TALLY", scans.Tally())
    today = today_in_vietnam()
    for _ in range(3):
        scans.count(db.session, label.id, today, "vi", every=3600)
    assert db.session.scalar(select(func.count()).select_from(ScanDay)) == 0
    scans.count(db.session, label.id, today, "en", every=0)  # due: the whole tally goes
    db.session.commit()
    rows = {r.locale: r.count for r in db.session.scalars(select(ScanDay))}
    assert rows == {"vi": 3, "en": 1}
