"""Reports by crop (issue 20): every figure broken down by crop of the catalogue, each crop's
intensity per kg of its own product against its own 2020, orchards' uptake beside the
emissions and never netted; files that name each crop's product and no rice words where
there is no rice; the crop filter takes any catalogue crop and refuses others.

The figures below are worked by hand from these five seasons of 2026 (Hải Phòng):

    #  crop       commune        ha   kg CO2e  kg harvested  2020 (ha, kg CO2e, kg)  uptake
    1  rice       phường Đồ Sơn  1.0  3000     6000          (1.0, 9000, 5800)
    2  rice       xã Kiến Thụy   2.0  6000     12000         (2.0, 16000, 11000)
    3  vegetable  phường Đồ Sơn  0.5  800      10000         (0.5, 1000, 9000)
    4  vegetable  xã Kiến Thụy   0.5  700      8000          none
    5  longan     xã Kiến Thụy   2.0  4000     20000         (2.0, 5000, 18000)      9000

Rice: 9000 kg CO2e on 18000 kg of paddy = 500 g/kg; its 2020 25000 / 16800 = 1488.1 g/kg;
reduction 1 - 0.5 × 16800 / 25000 = 66.4 %; per ha 1 - 3000 / 8333.3 = 64 %.
Vegetables: 1500 / 18000 = 83.3 g/kg; compared (#3 only) 0.08 against 1000 / 9000:
reduction 1 - 0.72 = 28 %; per ha 1 - 1600 / 2000 = 20 %.
Longan: 4000 / 20000 = 200 g/kg; 1 - 0.2 / (5000 / 18000) = 28 %; per ha 20 %; uptake
9000 kg CO2, its emissions still 4000.
All crops: 5 periods, 6 ha, 14500 kg CO2e, no figure per kg. Reduction: each crop's
harvest at its own 2020 intensity: 18000 × 25000 / 16800 = 26785.714 (rice),
10000 × 1000 / 9000 = 1111.111 (vegetables), 20000 × 5000 / 18000 = 5555.556 (longan),
together 33452.381 against 13800 emitted: 1 - 13800 / 33452.381 = 58.747 %. Per ha:
25000 + 1000 + 5000 = 31000 against 13800: 55.484 %. (Adding kilograms of paddy, vegetables
and longan as if one product would say 1 - (13800 / 48000) / (31000 / 43800) = 59.38 %.)
"""

from __future__ import annotations

import io
import unicodedata
from datetime import UTC, date, datetime, timedelta

import pypdfium2 as pdfium
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from openpyxl import load_workbook

from registry.accounts.models import OrgKind
from registry.db import db
from registry.reports import figures, pdf, periodic, rollup, xlsx
from registry.reports.figures import Area
from registry.reports.models import ReportKind
from registry.reports.periods import Period
from tests.conftest import Factory, login
from tests.reports.conftest import Builder, Planted

YEAR = Period(2026)
HAI_PHONG = "Hải Phòng"
RICE_WORDS = ("thóc", "lúa", "gạo", "paddy", "rice", "AWD", "ướt khô")


def approx(value: float) -> object:
    return pytest.approx(value, abs=0.001)


@pytest.fixture
def five(app: Flask, ctx: None) -> None:
    builder = Builder(db.session)
    for planted in (
        Planted(0, 0, date(2026, 3, 10), 1.0, 3000, 6000, (1.0, 9000, 5800), verified=True),
        Planted(1, 1, date(2026, 7, 2), 2.0, 6000, 12000, (2.0, 16000, 11000)),
        Planted(0, 0, date(2026, 4, 15), 0.5, 800, 10000, (0.5, 1000, 9000), crop="vegetable"),
        Planted(1, 1, date(2026, 9, 20), 0.5, 700, 8000, None, crop="vegetable"),
        Planted(
            1, 2, date(2026, 8, 31), 2.0, 4000, 20000, (2.0, 5000, 18000), crop="longan",
            removals_kg_co2=9000,
        ),
    ):  # fmt: skip
        builder.plant(planted)
    db.session.commit()
    rollup.refresh(db.session, timedelta(0))
    db.session.commit()


def test_each_crop_is_summed_apart_against_its_own_2020(five: None) -> None:
    parts = figures.emissions_by_crop(db.session, Area(HAI_PHONG), YEAR)
    assert [p.key for p in parts] == ["rice", "vegetable", "longan"]  # the catalogue's order
    rice, vegetable, longan = (p.emissions for p in parts)
    assert (rice.seasons, rice.area_ha, rice.total_kg_co2e, rice.yield_kg) == (2, 3, 9000, 18000)
    assert rice.per_kg_g_co2e == approx(500)
    assert rice.baseline_per_kg_g_co2e == approx(1488.095)
    assert rice.reduction_pct == approx(66.4)
    assert rice.reduction_per_ha_pct == approx(64.0)
    assert (vegetable.seasons, vegetable.area_ha, vegetable.yield_kg) == (2, 1, 18000)
    assert vegetable.per_kg_g_co2e == approx(83.333)
    assert vegetable.reduction_pct == approx(28.0)
    assert vegetable.reduction_per_ha_pct == approx(20.0)
    assert (longan.total_kg_co2e, longan.removals_kg_co2) == (4000, 9000)  # never netted
    assert longan.per_kg_g_co2e == approx(200)
    assert longan.reduction_pct == approx(28.0)
    assert rice.removals_kg_co2 == vegetable.removals_kg_co2 == 0


def test_the_crops_together_weigh_each_harvest_at_its_own_2020_intensity(five: None) -> None:
    total = figures.emissions(db.session, Area(HAI_PHONG), YEAR)
    assert (total.seasons, total.area_ha, total.total_kg_co2e) == (5, 6, 14500)
    assert (total.removals_kg_co2, total.verified_seasons, total.crop) == (9000, 1, None)
    assert total.per_kg_g_co2e is None and total.baseline_per_kg_g_co2e is None
    assert total.reduction_pct == approx(58.747)
    assert total.reduction_pct != approx(59.375)  # not kilograms of different products added
    assert total.reduction_per_ha_pct == approx(55.484)
    assert total.per_ha_kg_co2e == approx(2416.667)
    # one crop asked for: its own figures, per kg of its product
    rice = figures.emissions(db.session, Area(HAI_PHONG, crop="rice"), YEAR)
    assert (rice.crop, rice.seasons, rice.reduction_pct) == ("rice", 2, approx(66.4))
    # a commune: Đồ Sơn has #1 and #3: 3000 and 800 against 6000 × 9000 / 5800 = 9310.345
    # and 1111.111: 1 - 3800 / 10421.456 = 63.537 %
    (kien_thuy, do_son) = figures.emissions_by(db.session, Area(HAI_PHONG), YEAR, "commune")
    assert (kien_thuy.key, kien_thuy.emissions.area_ha) == ("xã Kiến Thụy", 4.5)
    assert do_son.emissions.reduction_pct == approx(63.537)
    assert [c.crop for c in do_son.crops] == ["rice", "vegetable"]
    assert [c.crop for c in kien_thuy.crops] == ["rice", "vegetable", "longan"]
    # the trajectory's year is the same mix
    assert figures.emissions_by_year(db.session, Area(HAI_PHONG))[2026].reduction_pct == approx(
        58.747
    )


def authority_login(client: FlaskClient, make: Factory) -> None:
    org = make.org(kind=OrgKind.AUTHORITY, code="HP-CC", province=HAI_PHONG)
    login(client, make.user(org))


def test_the_dashboard_shows_each_crop_by_its_name_and_product(
    client: FlaskClient, make: Factory, five: None
) -> None:
    authority_login(client, make)
    html = unicodedata.normalize(
        "NFC", client.get(f"/reports?province={HAI_PHONG}&period=2026").get_data(as_text=True)
    )
    for code, name, product in (
        ("rice", "Lúa", "thóc"),
        ("vegetable", "Rau", "rau tươi"),
        ("longan", "Cây nhãn", "nhãn quả tươi"),
    ):
        row = html.split(f'data-crop="{code}"')[1].split("</tr>")[0]
        assert name in row and product in row, code
    vegetable = html.split('data-crop="vegetable"')[1].split("</tr>")[0]
    assert "2 chu kỳ cây trồng" in vegetable and "83" in vegetable and "28,0" in vegetable
    longan = html.split('data-crop="longan"')[1].split("</tr>")[0]
    assert "1 năm sinh trưởng" in longan and "data-removals>9" in longan
    assert 'data-kpi="reduction"' in html and "58,7" in html


def test_the_dashboard_api_gives_each_crop(
    app: Flask, client: FlaskClient, make: Factory, five: None
) -> None:
    from tests.accounts.test_api import bearer

    auth = bearer(app, make.user(make.org(kind=OrgKind.AUTHORITY, code="HP-API")), ("read",))
    body = client.get(
        f"/api/v1/reports/dashboard?province={HAI_PHONG}&period=2026", headers=auth
    ).json
    assert [c["crop"] for c in body["crops"]] == ["rice", "vegetable", "longan"]
    assert body["emissions"]["per_kg_g_co2e"] is None
    assert body["crops"][2]["removals_kg_co2"] == 9000
    veg = client.get(
        f"/api/v1/reports/dashboard?province={HAI_PHONG}&period=2026&crop=vegetable",
        headers=auth,
    ).json
    assert veg["emissions"]["crop"] == "vegetable" and veg["emissions"]["seasons"] == 2


@pytest.mark.parametrize("crop", ["banana", "RICE", "rice;drop"])
def test_a_crop_outside_the_catalogue_is_refused_naming_the_field(
    app: Flask, client: FlaskClient, make: Factory, crop: str
) -> None:
    authority_login(client, make)
    page = client.get(f"/reports?crop={crop}")
    assert page.status_code == 422
    assert "Danh mục không có cây trồng" in page.get_data(as_text=True)
    api = client.get(f"/reports?crop={crop}", headers={"Accept": "application/json"})
    assert api.status_code == 422 and "crop" in api.json["errors"]
    progress = client.get(f"/mrv/progress?crop={crop}", headers={"Accept": "application/json"})
    assert progress.status_code == 422 and "crop" in progress.json["errors"]


def test_a_period_that_does_not_exist_is_refused_in_one_sentence(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    from tests.accounts.test_api import bearer

    auth = bearer(app, make.user(make.org(kind=OrgKind.AUTHORITY, code="HP-API")), ("read",))
    said = "Một năm (2026) hoặc nửa năm (2026-H1, 2026-H2)."
    api = client.get("/api/v1/reports/dashboard?period=2026-H3", headers=auth)
    assert api.status_code == 422 and api.json["errors"]["period"] == [said]


@pytest.mark.parametrize("crop", ["maize", "flower", "pomelo", "fruit_tree"])
def test_any_catalogue_crop_is_a_filter(client: FlaskClient, make: Factory, crop: str) -> None:
    authority_login(client, make)
    assert client.get(f"/reports?crop={crop}").status_code == 200


@pytest.fixture
def vegetables_only(app: Flask, ctx: None) -> dict:
    """A commune where only vegetables grow (Thới Lai, Cần Thơ), as a report's data."""
    builder = Builder(db.session)
    builder.plant(
        Planted(2, 0, date(2026, 2, 1), 0.4, 600, 9000, (0.4, 700, 8000), crop="vegetable")
    )
    builder.plant(Planted(2, 0, date(2026, 5, 1), 0.4, 500, 7000, None, crop="vegetable"))
    db.session.commit()
    state = rollup.refresh(db.session, timedelta(0))
    return periodic.report_data(
        db.session,
        ReportKind.ANNUAL,
        YEAR,
        Area("Cần Thơ", "xã Thới Lai"),
        12.0,
        state.revision,
        datetime(2026, 12, 1, 3, tzinfo=UTC),
    )


def test_a_vegetable_report_speaks_of_vegetables_not_paddy(
    app: Flask, vegetables_only: dict
) -> None:
    data = vegetables_only
    assert data["format"] == "ptt-report/2"
    (crop,) = data["crops"]
    # 1100 kg CO2e on 16000 kg: 68.75 g/kg; #1 against 2020: 1 - (600/9000) / (700/8000)
    assert (crop["crop"], crop["seasons"], crop["per_kg_g_co2e"]) == ("vegetable", 2, 68.75)
    assert crop["reduction_pct"] == approx(100 * (1 - (600 / 9000) / (700 / 8000)))
    with force_locale("vi"):
        document = pdfium.PdfDocument(pdf.render(data, "ab" * 32, 3, "r"))
        book = load_workbook(io.BytesIO(xlsx.render(data, "cd" * 32, 3)))
    text = unicodedata.normalize(
        "NFC",
        "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document))),
    )
    cells = " ".join(
        str(v)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for v in row
    )
    for words in (text, cells):
        assert "Rau" in words and "rau tươi" in words
        for rice_word in RICE_WORDS:
            assert rice_word not in words.replace("\n", " ").lower() or rice_word == "AWD", (
                rice_word
            )
        assert "AWD" not in words
    assert "Chu kỳ cây trồng" in cells
    assert "68,75" in text or "69" in text  # the figure per kg of fresh vegetables


def test_a_mixed_report_names_every_crop_and_its_product(app: Flask, five: None) -> None:
    state = rollup.refresh(db.session, timedelta(0))
    data = periodic.report_data(
        db.session,
        ReportKind.ANNUAL,
        YEAR,
        Area(HAI_PHONG),
        12.0,
        state.revision,
        datetime(2026, 12, 1, 3, tzinfo=UTC),
    )
    assert data["emissions"]["reduction_pct"] == approx(58.747)
    assert [c["crop"] for c in data["cooperatives"][0]["crops"]] != []
    with force_locale("vi"):
        text = unicodedata.normalize(
            "NFC",
            "\n".join(
                page.get_textpage().get_text_range()
                for page in pdfium.PdfDocument(pdf.render(data, "ab" * 32, 3, "r"))
            ),
        )
        book = load_workbook(io.BytesIO(xlsx.render(data, "cd" * 32, 3)))
    for name, product in (("Lúa", "thóc"), ("Rau", "rau tươi"), ("Cây nhãn", "nhãn quả tươi")):
        assert f"{name} ({product})" in " ".join(text.split()), name  # table cells wrap
    by_crop = book["Theo cây trồng"]
    heads = [c.value for c in by_crop[1]]
    rows = {r[0]: r for r in by_crop.iter_rows(min_row=2, values_only=True)}
    assert list(rows) == ["Lúa", "Rau", "Cây nhãn"]
    removals = heads.index("Hấp thụ bởi cây, không trừ (kg CO₂)")
    assert rows["Cây nhãn"][removals] == 9000 and rows["Lúa"][removals] == 0
    assert rows["Rau"][heads.index("g CO₂e/kg sản phẩm")] == 83
    communes = book["Theo xã-phường"]
    crops_by_commune = [(r[1], r[2]) for r in communes.iter_rows(min_row=2, values_only=True)]
    assert crops_by_commune == [
        ("xã Kiến Thụy", "Lúa"),
        ("xã Kiến Thụy", "Rau"),
        ("xã Kiến Thụy", "Cây nhãn"),
        ("phường Đồ Sơn", "Lúa"),
        ("phường Đồ Sơn", "Rau"),
    ]


def test_a_report_of_format_1_still_renders(app: Flask, five: None) -> None:
    """Reports generated before crops keep their data (its digest is in the log)."""
    state = rollup.refresh(db.session, timedelta(0))
    data = periodic.report_data(
        db.session,
        ReportKind.ANNUAL,
        YEAR,
        Area(HAI_PHONG, crop="rice"),
        12.0,
        state.revision,
        datetime(2026, 12, 1, 3, tzinfo=UTC),
    )
    old = {k: v for k, v in data.items() if k != "crops"} | {"format": "ptt-report/1"}
    for key in ("communes", "cooperatives"):
        old[key] = [
            {k: v for k, v in row.items() if k not in ("crops", "crop", "removals_kg_co2")}
            for row in data[key]
        ]
    with force_locale("vi"):
        assert pdf.render(old, "ab" * 32, 3, "r").startswith(b"%PDF")
        book = load_workbook(io.BytesIO(xlsx.render(old, "cd" * 32, 3)))
    assert "Theo cây trồng" not in book.sheetnames
