"""GET /calculator (issue 23): public, no sign-in, Vietnamese first, a light page with
nothing from other sites; bad input answered 422 with the message beside its field, never
a 500; nothing a visitor types is written anywhere."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.verify.methodology import DEFAULT_ID, load_methodology
from tests.calculator.test_service import RICE_IN_SAO, VEGETABLE_IN_CONG
from tests.conftest import statements_run

VI = {"Accept-Language": "vi"}
PAGE_LIMIT = 60_000  # bytes before pictures (issue 23, DESIGN §9)


def get(client: FlaskClient, query: dict[str, str], lang: str = "vi") -> tuple[int, str]:
    response = client.get(f"/calculator?{urlencode(query)}", headers={"Accept-Language": lang})
    return response.status_code, response.get_data(as_text=True)


def test_the_calculator_opens_with_no_account_in_vietnamese(client: FlaskClient) -> None:
    response = client.get("/calculator", headers=VI)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="vi">' in html
    assert "Máy tính phát thải" in html and "Không lưu" in html
    assert 'name="area_unit"' in html and "sào Bắc Bộ (360 m²)" in html
    assert 'id="result"' not in html  # nothing computed before the form is sent


def test_a_rice_season_in_sao_and_bao_shows_its_figures_and_comparisons(
    client: FlaskClient, app: Flask
) -> None:
    with statements_run(app) as statements:
        status, html = get(client, RICE_IN_SAO)
    assert status == 200
    assert not [s for s in statements if re.match(r"\s*(INSERT|UPDATE|DELETE)", s, re.I)]
    assert "kg CO₂e mỗi ha" in html
    for code in ("awd", "residue_removed", "less_n", "electric_pump"):
        assert f'data-comparison="{code}"' in html
    assert "Tưới ướt khô xen kẽ (AWD)" in html
    assert "registry mrv calc" in html  # the input the command gives the same figures for


def test_the_answer_is_never_kept_by_a_cache(client: FlaskClient) -> None:
    response = client.get(f"/calculator?{urlencode(RICE_IN_SAO)}", headers=VI)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("query", [{}, RICE_IN_SAO, VEGETABLE_IN_CONG])
def test_the_page_is_light_and_names_no_other_site(client: FlaskClient, query: dict) -> None:
    status, html = get(client, query)
    assert status == 200
    assert len(html.encode()) <= PAGE_LIMIT
    assert not re.findall(r"(?:src|href)=\"(?:https?:)?//", html)
    assert set(re.findall(r"https?://([^/\"'<>\s]+)", html)) <= {"localhost"}


def test_every_crop_has_its_form(client: FlaskClient) -> None:
    for crop in load_methodology(DEFAULT_ID).crops:
        status, html = get(client, {"crop": crop})
        assert status == 200, crop
        kind = load_methodology(DEFAULT_ID).kind(crop)
        assert ('name="water"' in html) == (kind == "rice"), crop
        assert ('name="tree_age"' in html) == (kind == "perennial"), crop


def test_an_orchard_shows_the_carbon_its_trees_took_up_beside_the_emissions(
    client: FlaskClient,
) -> None:
    status, html = get(
        client, {"crop": "longan", "area": "1", "yield": "12", "yield_unit": "t", "tree_age": "6"}
    )
    assert status == 200
    assert "không trừ vào" in html  # beside, never netted


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"area": ""}, "area", "Nhập diện tích ruộng."),
        ({"area": "-3"}, "area", "Nhập một số lớn hơn 0."),
        ({"urea": "hai bao"}, "urea", "Nhập một số, ví dụ 1,5."),
        ({"urea_unit": "thùng"}, "urea", "Hãy chọn một trong các lựa chọn."),
        ({"water": ""}, "water", None),
        ({"days": "1000"}, "days", None),
    ],
)
def test_bad_input_is_422_with_the_message_beside_its_field(
    client: FlaskClient, change: dict[str, str], field: str, message: str | None
) -> None:
    status, html = get(client, {**RICE_IN_SAO, **change})
    assert status == 422
    shown = re.search(rf'<p class="error" id="e-{field}">([^<]+)</p>', html)
    assert shown, html
    if message:
        assert shown.group(1) == message
    assert 'id="result"' not in html
    assert (
        "Vui lòng sửa các trường được đánh dấu bên dưới." in html
    )  # said first, linking the field
    assert f'<a href="#f-{field}">' in html


@pytest.mark.parametrize(
    "query",
    [
        {"crop": "coffee"},
        {"crop": ""},
        {"crop": "rice", "area": "1e400"},
        {"crop": "rice", "area": "inf", "yield": "nan"},
        {"crop": "longan", "area": "1", "tree_age": "-1"},
        {"crop": "longan", "area": "1"},  # an orchard needs its trees' age
        {"crop": "rice", "area": "1", "residue": "burned", "residue_amount": "-1"},
        {"crop": "longan", "area": "1", "removed_area": "2"},
        {"crop": "maize", "area": "1", "yield": "1", "residue": "incorporated_short"},
    ],
)
def test_odd_input_is_answered_422_never_500(client: FlaskClient, query: dict) -> None:
    status, html = get(client, query)
    assert status == 422
    assert 'class="error"' in html


def test_the_home_page_and_the_public_footer_link_to_it(client: FlaskClient) -> None:
    home = client.get("/", headers=VI).get_data(as_text=True)
    assert 'href="/calculator"' in home
    register = client.get("/register", headers=VI).get_data(as_text=True)
    assert 'href="/calculator"' in register


def test_it_speaks_english_through_the_language_switch(client: FlaskClient) -> None:
    client.get("/lang/en")
    html = client.get(f"/calculator?{urlencode(RICE_IN_SAO)}").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Emissions calculator" in html and "sào, northern (360 m²)" in html
    assert "Alternate wetting and drying (AWD)" in html


def test_one_address_is_limited_to_a_minute_s_worth_of_calculations(app: Flask) -> None:
    from registry import create_app

    limited = create_app({**app.config, "RATE_LIMITS": True}).test_client()
    statuses = [limited.get("/calculator?crop=rice").status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429


NAMES = sorted({*RICE_IN_SAO, *VEGETABLE_IN_CONG, "tree_age", "removed_area", "climate"})
VALUES = st.one_of(
    st.sampled_from(["", "0", "-1", "1e308", "nan", "1,5", "bao", "sao", "left", "burned"]),
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(list(load_methodology(DEFAULT_ID).crops)),
    st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=8),
)
def test_whatever_is_typed_the_answer_is_a_page_never_500(
    app: Flask, crop: str, typed: dict[str, str]
) -> None:
    query = {**VEGETABLE_IN_CONG, "tree_age": "5", "crop": crop, **typed}
    response = app.test_client().get(f"/calculator?{urlencode(query)}", headers=VI)
    assert response.status_code in (200, 400, 422), query  # 400: the app refuses NUL anywhere
    html = response.get_data(as_text=True)
    assert ('id="result"' in html) == (response.status_code == 200)  # the form was sent
