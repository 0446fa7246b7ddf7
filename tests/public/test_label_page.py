"""The label page at the QR's URL: the verdict first, carried as data-verdict, then the
chain; every verdict of DESIGN.md §7; nothing private on it; few queries."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy import Connection, select, update

from registry.accounts.models import Organisation, OrgKind, User
from registry.db import db, utcnow
from registry.keys import KeyStore
from registry.labels import issuance, status
from registry.labels import token as ptt1
from registry.labels.models import Label, LabelStatus
from registry.public import label_page
from registry.public.fragments import Fragments
from registry.public.models import ScanDay
from registry.trace.models import Batch
from tests.conftest import Factory, login, statements_run
from tests.public.conftest import HOUSEHOLD, issue_on, label, path_of  # noqa: F401


def verdicts(html: str) -> list[str]:
    return re.findall(r'data-verdict="([a-z]+)"', html)


def page(client: FlaskClient, url: str, **headers: str) -> tuple[int, str]:
    response = client.get(path_of(url), headers=headers)
    return response.status_code, response.get_data(as_text=True)


def test_a_valid_label_shows_its_verdict_then_its_chain(client: FlaskClient, label: Label) -> None:
    code, html = page(client, label.url)
    assert code == 200
    assert verdicts(html) == ["valid"]
    assert html.index('data-verdict="valid"') < html.index("DS-01")  # the verdict comes first
    assert "Nhãn còn hiệu lực" in html and '<html lang="vi">' in html
    assert "xã Thới Lai" in html and "HTX-THOILAI" in html  # the HTX and its commune
    assert "DS-01" in html and "<svg" in html  # the field, its outline and the chart
    assert "tưới ướt khô xen kẽ, 2 lần rút nước" in html  # AWD from the diary
    assert "Trồng nấm" in html and "kg N/ha" in html  # straw and fertiliser N
    assert "thấp hơn 2020" in html and "VER-1" in html  # MRV result and verifier
    assert "Xay xát" in html and "Đóng gói" in html  # processing steps
    assert f"/log/entries/{label.log_index}" in html and "/log/proof/inclusion?" in html
    assert label.kid in html


def named(code: str) -> str:
    name = db.session.scalar(select(Organisation.name).where(Organisation.code == code))
    assert name is not None
    return name


def test_the_holder_is_shown_by_its_name_with_the_code_aside(
    client: FlaskClient, label: Label
) -> None:
    _, html = page(client, label.url)
    holder = re.search(r"<dt>Đơn vị giữ nhãn</dt><dd><a [^>]+>([^<]+)</a>(.*?)</dd>", html)
    assert holder, "no holder shown"
    assert holder.group(1) == named(label.organisation) != label.organisation
    assert f"<code>{label.organisation}</code>" in holder.group(2)  # for auditors


def test_english_on_request(client: FlaskClient, label: Label) -> None:
    client.set_cookie("lang", "en")
    refresh()  # the fixtures' app context would otherwise keep the Vietnamese it chose
    _, html = page(client, label.url)
    assert '<html lang="en">' in html and "Valid label" in html and "below 2020" in html


def test_the_short_form_serves_the_same_page(
    app: Flask, client: FlaskClient, packed: Batch, authority: Organisation
) -> None:
    paddy = packed.inputs[0].parent.inputs[0].parent  # type: ignore[union-attr]
    assert paddy is not None and paddy.gtin is None
    short = issue_on(app, paddy, authority)
    assert "/l/" in short.url
    code, html = page(client, short.url)
    assert code == 200 and verdicts(html) == ["valid"]
    no_token = client.get(f"/l/{short.serial}")
    assert no_token.status_code == 307
    assert no_token.location.endswith(f"/register/labels/{short.serial}")


def test_a_unit_label_names_its_batch_label(client: FlaskClient, label: Label) -> None:
    unit = issuance.units_of(db.session, label.id)[0]
    code, html = page(client, unit.url)
    assert code == 200 and verdicts(html) == ["valid"] and label.serial in html


def test_tampered_and_swapped_labels_are_invalid(client: FlaskClient, label: Label) -> None:
    token = label.url.split("le=")[1]
    flipped = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    for url in (
        label.url.replace(token, flipped),  # a changed signature or payload
        label.url.replace(f"/21/{label.serial}", "/21/AAAAAAAA"),  # another serial
        label.url.replace("/10/TUI-1/", "/10/TUI-2/"),  # another lot
    ):
        code, html = page(client, url)
        assert (code, verdicts(html)) == (400, ["invalid"]), url
        assert "Nhãn không hợp lệ" in html and "DS-01" not in html  # no chain for a fake


def test_another_labels_token_on_this_serial_is_invalid(client: FlaskClient, label: Label) -> None:
    unit = issuance.units_of(db.session, label.id)[0]
    swapped = label.url.split("?")[0] + "?le=" + unit.token
    assert verdicts(page(client, swapped)[1]) == ["invalid"]


def test_revoked_and_suspended_labels_say_so_with_the_reason(
    client: FlaskClient, label: Label, authority: Organisation
) -> None:
    status.change(db.session, authority, label.serial, LabelStatus.SUSPENDED, "under_review")
    db.session.commit()
    code, html = page(client, label.url)
    assert (code, verdicts(html)) == (200, ["suspended"])
    assert "tạm đình chỉ" in html
    status.change(db.session, authority, label.serial, LabelStatus.REVOKED, "fraud")
    db.session.commit()
    unit = issuance.units_of(db.session, label.id)[1]
    for url in (label.url, unit.url):
        code, html = page(client, url)
        assert (code, verdicts(html)) == (200, ["revoked"])
        assert "Nhãn đã bị thu hồi" in html and str(status.REASONS["fraud"]) in html


def test_an_expired_label(client: FlaskClient, label: Label) -> None:
    db.session.execute(
        update(Label).where(Label.id == label.id).values(expires_at=utcnow() - timedelta(days=1))
    )
    db.session.commit()
    assert verdicts(page(client, label.url)[1]) == ["expired"]


def test_a_genuine_token_for_a_serial_the_registry_lacks_is_unknown(
    app: Flask, client: FlaskClient, label: Label
) -> None:
    claims = ptt1.LabelClaims(
        serial="ZZZZ0000", lot="TUI-1", gtin=label.gtin, g_co2e_per_kg=1, reduction_permille=1,
        methodology="ipcc2019-t1-rice", verifier="VER-1", log_index=0, iss="PTT-DEMO",
        iat=int(utcnow().timestamp()) - 60, exp=int(utcnow().timestamp()) + 3600,
    )  # fmt: skip
    signed = ptt1.sign(claims, label_page.keystore().private("label"))
    url = ptt1.label_url("http://x.example", "ZZZZ0000", signed, label.gtin, "TUI-1")
    code, html = page(client, url)
    assert (code, verdicts(html)) == (404, ["unknown"])
    future = replace(claims, serial=label.serial, iat=claims.exp - 10)
    late = ptt1.sign(future, label_page.keystore().private("label"))
    url = ptt1.label_url("http://x.example", label.serial, late, label.gtin, "TUI-1")
    assert verdicts(page(client, url)[1]) == ["invalid"]  # issued in the future


def test_a_compromised_key_is_not_trusted(
    app: Flask,
    client: FlaskClient,
    packed: Batch,
    authority: Organisation,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = KeyStore(tmp_path / "keys")
    store.generate("label")
    monkeypatch.setattr(label_page, "keystore", lambda: store)
    request = issuance.request_label(db.session, packed.organisation, packed.id)
    issuer = issuance.Issuer("PTT-DEMO", "http://127.0.0.1:5000", store.private("label"))
    signed = issuance.issue(db.session, authority, request.id, issuer, utcnow().date())
    db.session.commit()
    assert verdicts(page(client, signed.url)[1]) == ["valid"]
    store.mark_compromised("label", issuer.kid)
    code, html = page(client, signed.url)
    assert (code, verdicts(html)) == (400, ["invalid"])
    assert "không tin cậy" in html


def test_nothing_private_reaches_the_page(client: FlaskClient, label: Label, packed: Batch) -> None:
    users = db.session.scalars(select(User)).all()
    assert users
    response = client.get(path_of(label.url))
    html = response.get_data(as_text=True)
    assert HOUSEHOLD not in html and "Nguyễn Văn Ba" not in html
    for user in users:
        assert user.email not in html and user.name not in html
    assert not re.search(r"\+?84\d{9}|0\d{9}\b", html)  # no phone numbers
    assert "Set-Cookie" not in response.headers  # a scan leaves no trace on the phone either
    assert "Trang này không đặt cookie" in html  # and says so
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from other sites


def test_each_opening_is_counted_by_day_coarse_locale_and_province_only(
    app: Flask, client: FlaskClient, label: Label, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SCAN_REGION_HEADER", "X-Viewer-Region")
    client.get(path_of(label.url), headers={"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"})
    client.get(path_of(label.url), headers={"Accept-Language": "vi-vn", "X-Viewer-Region": "VN-52"})
    client.get(
        path_of(label.url), headers={"Accept-Language": "en-US,en", "X-Viewer-Region": "US-CT"}
    )
    client.get(path_of(label.url), environ_base={"REMOTE_ADDR": "203.0.113.7"})
    rows = db.session.scalars(select(ScanDay).order_by(ScanDay.locale, ScanDay.province)).all()
    assert [(r.label_id, r.locale, r.province, r.count) for r in rows] == [
        (label.id, "en-US", "abroad", 1),
        (label.id, "other", "", 1),
        (label.id, "vi-VN", "", 1),
        (label.id, "vi-VN", "Cần Thơ", 1),  # VN-52 was Sóc Trăng, part of Cần Thơ since 2025
    ]
    assert {"label_id", "day", "locale", "province", "count"} == set(
        ScanDay.__table__.columns.keys()
    )


def test_without_a_region_header_setting_no_header_is_believed(
    client: FlaskClient, label: Label
) -> None:
    """A visitor cannot choose the province by sending the header themselves unless the
    proxy is configured to set (and so overwrite) it."""
    client.get(path_of(label.url), headers={"X-Viewer-Region": "VN-HP"})
    assert db.session.scalar(select(ScanDay.province)) == ""


def test_the_page_takes_a_few_queries_whatever_the_chain(
    app: Flask, client: FlaskClient, label: Label
) -> None:
    url = path_of(label.url)
    client.get(url)  # warm caches (templates, keys)
    with statements_run(app) as statements:
        client.get(url)
    # the label, the chain (8), the log size, the scan count: however many labels exist
    assert len(statements) <= 11, statements


def test_the_chain_is_rendered_once_per_batch_the_verdict_every_time(
    app: Flask,
    client: FlaskClient,
    label: Label,
    authority: Organisation,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "LABEL_PAGE_CACHE_SECONDS", 60)
    monkeypatch.setattr(label_page, "CHAIN_PARTS", Fragments(8))
    monkeypatch.setattr(label_page, "SHAPES", Fragments(8))
    made: list[int] = []
    render = label_page._render_chain

    def counted(reads: Connection, batch_id: int) -> label_page.ChainPart:
        made.append(batch_id)
        return render(reads, batch_id)

    monkeypatch.setattr(label_page, "_render_chain", counted)
    units = issuance.units_of(db.session, label.id)
    pages = [page(client, lb.url)[1] for lb in (label, *units)]
    assert len(made) == 1 and all("DS-01" in html for html in pages)
    assert label.serial in pages[1]  # a unit names its batch label, from the shared part
    status.change(db.session, authority, label.serial, LabelStatus.REVOKED, "fraud")
    db.session.commit()
    assert verdicts(page(client, units[0].url)[1]) == ["revoked"]  # at once
    assert len(made) == 1


def test_chart_figures_are_grouped_the_readers_way(app: Flask) -> None:
    with app.test_request_context():  # Vietnamese unless the reader chose English
        assert label_page.whole(1234.4) == "1.234"
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert label_page.whole(1234567.6) == "1,234,568"


def _unknown_urls(label: Label) -> dict[str, str]:
    """Both forms, with and without a token, of serials the registry does not hold; the
    tokens are genuine (signed with the registry's key), so only the serial is unknown."""
    now = int(utcnow().timestamp())
    claims = ptt1.LabelClaims(
        serial="ZZZZ0000", lot="TUI-1", gtin=label.gtin, g_co2e_per_kg=1, reduction_permille=1,
        methodology="ipcc2019-t1-rice", verifier="VER-1", log_index=0, iss="PTT-DEMO",
        iat=now - 60, exp=now + 3600,
    )  # fmt: skip
    key = label_page.keystore().private("label")
    gs1 = ptt1.label_url(
        "http://x.example", "ZZZZ0000", ptt1.sign(claims, key), label.gtin, "TUI-1"
    )
    short = ptt1.label_url(
        "http://x.example", "ZZZZ0000", ptt1.sign(replace(claims, gtin=None), key)
    )
    return {
        "short, typed": "/l/ZZZZZZZZ",
        "short, scanned": path_of(short),
        "GS1, typed": f"/01/{label.gtin}/10/TUI-1/21/ZZZZZZZZ",
        "GS1, scanned": path_of(gs1),
        "GS1, typed, another GTIN": f"/01/09506000134352/21/{label.serial}",
        "register record": "/register/labels/ZZZZZZZZ",
    }


def _light(html: str) -> bool:
    """The public layout: its one stylesheet, no menu of the signed-in pages, no script."""
    return (
        "public.css" in html
        and "app.css" not in html
        and "/logout" not in html
        and "<script" not in html
        and len(html.encode()) < 60_000
    )


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_an_unknown_serial_gets_the_label_page_with_or_without_a_token(
    client: FlaskClient, label: Label, locale: str
) -> None:
    client.set_cookie("lang", locale)
    refresh()
    words = {
        "vi": ("Không tìm thấy nhãn", "Sổ đăng ký không có nhãn nào mang số sê-ri này"),
        "en": ("Label not found", "The registry holds no label with this serial"),
    }[locale]
    for form, url in _unknown_urls(label).items():
        code, html = page(client, url)
        assert (code, verdicts(html)) == (404, ["unknown"]), form
        assert f'<html lang="{locale}">' in html and all(w in html for w in words), form
        assert _light(html), form
        signed = "scanned" in form
        assert ("label_check.py" in html) is signed, form  # a typed serial has nothing to check
        assert ("signed by this registry" in html) is (signed and locale == "en"), form


def test_a_signed_in_visitor_gets_the_same_light_page(
    client: FlaskClient, label: Label, make: Factory
) -> None:
    login(client, make.user(make.org(kind=OrgKind.COMMUNE_OFFICE)))
    for form, url in _unknown_urls(label).items():
        code, html = page(client, url)
        assert (code, verdicts(html)) == (404, ["unknown"]) and _light(html), form
    known = client.get(f"/l/{label.serial}")  # a serial the registry holds: its record
    assert known.status_code == 307 and known.location.endswith(f"/register/labels/{label.serial}")
    gs1 = client.get(f"/01/{label.gtin}/10/TUI-1/21/{label.serial}")
    assert gs1.status_code == 307 and f"/register/labels/{label.serial}" in gs1.location
