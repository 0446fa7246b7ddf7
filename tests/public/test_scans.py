"""Scan statistics: coarse locales and provinces only, counts by day, and unit labels
scanned in patterns no single package shows, flagged for their holder and the authority
only."""

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
from registry.places import PROVINCES, province_of_region
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


def test_provinces_come_from_iso_codes_of_vietnam_only() -> None:
    assert scans.coarse_province("VN-CT") == "Cần Thơ"
    assert scans.coarse_province(" vn-hp ") == "Hải Phòng"
    assert scans.coarse_province("VN-61") == "Hải Phòng"  # Hải Dương, merged in 2025
    assert scans.coarse_province("VN-SG") == "Thành phố Hồ Chí Minh"
    assert scans.coarse_province("US-CT") == scans.ABROAD  # Connecticut, not Cần Thơ
    assert scans.coarse_province("KH-12") == scans.ABROAD
    for odd in (None, "", "CT", "VN", "VN-99", "VN-", "Cần Thơ", "VN-CT, VN-HP", "1.2.3.4"):
        assert scans.coarse_province(odd) == scans.UNKNOWN


def test_every_old_province_code_lands_in_one_of_the_34_provinces() -> None:
    old = [f"{n:02d}" for n in range(1, 74)] + ["CT", "DN", "HN", "HP", "SG"]
    found = {code: province_of_region(f"VN-{code}") for code in old}
    known = {code: p for code, p in found.items() if p is not None}
    assert set(known.values()) == set(PROVINCES)
    assert len(known) == 63 + 5  # 58 provinces, 5 cities, and the cities' older numbers


@given(st.text(max_size=40))
def test_a_province_is_a_known_name_whatever_the_header(header: str) -> None:
    assert scans.coarse_province(header) in {scans.UNKNOWN, scans.ABROAD, *PROVINCES}


@given(st.integers(0, 500), st.integers(0, 400), st.integers(0, 20), st.integers(0, 34))
def test_more_scans_never_look_less_suspicious(
    total: int, days: int, locales: int, provinces: int
) -> None:
    found = set(scans.reasons(total, days, locales, provinces))
    assert found <= set(scans.reasons(total + 1, days + 1, locales + 1, provinces + 1))
    assert (found == set()) == (
        total <= scans.MAX_SCANS
        and days <= scans.MAX_DAYS
        and locales <= scans.MAX_LOCALES
        and provinces <= scans.MAX_PROVINCES
    )


def scanned(
    unit: Label, days: int, per_day: int = 1, locale: str = "vi-VN", province: str = ""
) -> None:
    today = today_in_vietnam()
    for d in range(days):
        key = (unit.id, today - timedelta(days=d), locale, province)
        scans.record(db.session, {key: per_day})
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
    assert scans.reasons(busy_total := found[busy.serial].total, 1, 1, 0) == ["many_scans"]
    assert busy_total == scans.MAX_SCANS + 1
    assert scans.flagged(db.session, "SOMEONE-ELSE", today_in_vietnam()) == []
    days = scans.by_day(db.session, label, today_in_vietnam())
    assert days[0] == (today_in_vietnam(), 1 + 1 + 2 + scans.MAX_SCANS + 1)
    assert dict(scans.by_locale(db.session, label, today_in_vietnam()))["en"] == scans.MAX_SCANS + 1


def test_a_unit_opened_in_many_provinces_is_flagged(label: Label) -> None:
    travelled, moved, unknown = issuance.units_of(db.session, label.id)
    for province in ("Cần Thơ", "Hà Nội", "Hải Phòng"):
        scanned(travelled, 1, province=province)
    scanned(moved, 1, province="Cần Thơ")
    scanned(moved, 1, province="Thành phố Hồ Chí Minh", locale="vi")  # bought here, eaten there
    scanned(unknown, 1, province=scans.UNKNOWN)
    scanned(unknown, 1, province="Cần Thơ", locale="en")  # unknown is not a second province
    found = {p.serial: p for p in scans.flagged(db.session, None, today_in_vietnam())}
    assert set(found) == {travelled.serial}
    assert found[travelled.serial].provinces == 3
    assert scans.reasons(3, 1, 1, found[travelled.serial].provinces) == ["many_provinces"]
    assert scans.by_province(db.session, label, today_in_vietnam()) == [
        ("Cần Thơ", 3),
        ("", 1),
        ("Hà Nội", 1),
        ("Hải Phòng", 1),
        ("Thành phố Hồ Chí Minh", 1),
    ]


def test_the_label_scans_page_shows_provinces(
    app: Flask, make: Factory, label: Label, monkeypatch: pytest.MonkeyPatch
) -> None:
    scanned(label, 1, province="Cần Thơ")
    scanned(label, 1, province=scans.ABROAD, locale="en")
    holder = db.session.get(Organisation, label.batch.organisation_id)
    assert holder is not None
    person = app.test_client()
    login(person, make.user(holder))
    page = person.get(f"/scans/{label.serial}").get_data(as_text=True)
    assert "Theo tỉnh" in page and "Cần Thơ: 1" in page and "Nước ngoài: 1" in page
    assert "SCAN_REGION_HEADER" in page  # tells why every scan is "unknown" until set
    monkeypatch.setitem(app.config, "SCAN_REGION_HEADER", "X-Viewer-Region")
    assert "SCAN_REGION_HEADER" not in person.get(f"/scans/{label.serial}").get_data(as_text=True)
    overview = person.get("/scans").get_data(as_text=True)
    assert "Theo tỉnh trong 30 ngày qua" in overview and "Cần Thơ: 1" in overview


def test_provinces_of_a_holder_count_only_its_labels_of_the_last_30_days(label: Label) -> None:
    unit = issuance.units_of(db.session, label.id)[0]
    today = today_in_vietnam()
    scans.record(
        db.session,
        {
            (label.id, today, "vi", "Cần Thơ"): 2,
            (unit.id, today - timedelta(days=3), "vi", "Cần Thơ"): 1,
            (unit.id, today, "en", scans.ABROAD): 4,
            (unit.id, today - timedelta(days=31), "vi", "Hà Nội"): 9,  # too old
        },
    )
    db.session.commit()
    expected = [(scans.ABROAD, 4), ("Cần Thơ", 3)]
    assert scans.by_province_of(db.session, None, today) == expected
    assert scans.by_province_of(db.session, label.organisation, today) == expected
    assert scans.by_province_of(db.session, "SOMEONE-ELSE", today) == []


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
    old = (label.id, date(2020, 1, 1), "vi", "")
    scans.record(db.session, {old: 2})
    scans.record(db.session, {old: 3})
    db.session.commit()
    assert db.session.scalar(select(ScanDay.count)) == 5
    assert scans.by_day(db.session, label, today_in_vietnam()) == []


def test_the_tally_writes_only_when_due(label: Label, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scans, "TALLY", scans.Tally())
    today = today_in_vietnam()
    for _ in range(3):
        scans.count(db.session, (label.id, today, "vi", ""), every=3600)
    assert db.session.scalar(select(func.count()).select_from(ScanDay)) == 0
    scans.count(db.session, (label.id, today, "en", ""), every=0)  # due: the whole tally goes
    db.session.commit()
    rows = {r.locale: r.count for r in db.session.scalars(select(ScanDay))}
    assert rows == {"vi": 3, "en": 1}
