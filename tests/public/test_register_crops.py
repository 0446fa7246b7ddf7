"""The public register lists every crop of the catalogue: the HTX and commune listings say
which crops each grows and filter by crop, the HTX and commune pages give verified
reductions crop by crop, and an unknown crop is refused with the field's message."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from flask_babel import refresh

from registry import crops
from registry.accounts.models import Organisation, OrgKind
from registry.db import db
from registry.labels.models import Label
from registry.public import records
from registry.trace import schemas, service
from tests.conftest import Factory
from tests.public.conftest import label  # noqa: F401


@pytest.fixture
def vegetables(label: Label, make: Factory) -> Organisation:
    """A vegetable HTX in Hà Đông beside the rice chain of `label` (HTX-THOILAI, Thới Lai),
    with one crop cycle opened and nothing verified."""
    made = make.org(
        kind=OrgKind.PRODUCER,
        code="HTX-HADONG",
        name="HTX Rau an toàn La Khê",
        province="Hà Nội",
        commune="phường Hà Đông",
    )
    org = db.session.get(Organisation, made.id)
    assert org is not None
    field = schemas.FieldIn().load(
        {
            "code": "HD-01",
            "name": "Ruộng rau",
            "area_ha": 0.3,
            "province": "Hà Nội",
            "commune": "phường Hà Đông",
            "location": {"type": "Point", "coordinates": [105.7758, 20.9636]},
        }
    )
    service.register_field(db.session, org, field)
    season = schemas.SeasonIn().load(
        {"field": "HD-01", "crop": "vegetable", "year": 2026, "sowing_date": "2026-09-01"}
    )
    service.open_season(db.session, org, season)
    db.session.commit()
    return org


def rows(html: str) -> dict[str, str]:
    """Table rows by the first link's text: the row's HTML."""
    return {
        m.group(1): m.group(0)
        for m in re.finditer(r"<tr><td[^>]*><a [^>]+>([^<]+)</a>.*?</tr>", html, re.S)
    }


def test_the_htx_listing_names_each_htxs_crops_and_filters_by_crop(
    client: FlaskClient, vegetables: Organisation
) -> None:
    rice_htx = db.session.query(Organisation).filter_by(code="HTX-THOILAI").one().name
    every = client.get("/register/htx").get_data(as_text=True)
    for code in crops.codes():  # a link for every crop of the catalogue, by its name
        assert f'href="/register/htx?crop={code}" data-crop="{code}">' in every
    assert ">Rau</a>" in every and ">Cây ăn quả</a>" in every and ">Cây nhãn</a>" in every
    listed = rows(every)
    assert "Lúa" in listed[rice_htx] and "Rau" not in listed[rice_htx]
    assert "Rau" in listed[vegetables.name] and "Lúa" not in listed[vegetables.name]

    only_vegetables = client.get("/register/htx?crop=vegetable").get_data(as_text=True)
    assert list(rows(only_vegetables)) == [vegetables.name]
    assert '<strong aria-current="page" data-crop="vegetable">Rau</strong>' in only_vegetables

    only_rice = client.get("/register/htx?crop=rice").get_data(as_text=True)
    assert list(rows(only_rice)) == [rice_htx]
    rice = records.reductions(db.session, "organisation", crop="rice")[0].reduction_pct
    assert rice is not None and f"thấp hơn 2020 {rice:.1f}".replace(".", ",") in only_rice

    nobody = client.get("/register/htx?crop=pomelo").get_data(as_text=True)
    assert rows(nobody) == {} and "Chưa có HTX nào trồng cây này." in nobody


def test_the_commune_listing_filters_by_crop(client: FlaskClient, vegetables: Organisation) -> None:
    every = client.get("/register/communes").get_data(as_text=True)
    assert {"xã Thới Lai", "phường Hà Đông"} <= set(rows(every))
    assert "Rau" in rows(every)["phường Hà Đông"] and "Lúa" in rows(every)["xã Thới Lai"]
    only = client.get("/register/communes?crop=vegetable").get_data(as_text=True)
    assert list(rows(only)) == ["phường Hà Đông"]


def test_htx_and_commune_pages_give_reductions_crop_by_crop(
    client: FlaskClient, vegetables: Organisation
) -> None:
    rice = records.reductions(db.session, "organisation", crop="rice")[0].reduction_pct
    shown = f"thấp hơn 2020 {rice:.1f}".replace(".", ",")
    htx = client.get("/register/htx/HTX-THOILAI").get_data(as_text=True)
    assert re.search(r'data-crop="rice">Lúa</td>.*?' + re.escape(shown), htx, re.S)
    assert 'data-crop="vegetable"' not in htx
    commune = client.get("/register/communes/Cần Thơ/xã Thới Lai").get_data(as_text=True)
    assert re.search(r'data-crop="rice">Lúa</td>.*?' + re.escape(shown), commune, re.S)
    hadong = client.get("/register/communes/Hà Nội/phường Hà Đông").get_data(as_text=True)
    assert "Cây trồng: Rau" in hadong and f"{vegetables.name}</a> · Rau" in hadong
    assert "Mức giảm đã thẩm định theo cây trồng" not in hadong  # nothing verified there
    search = client.get("/register").get_data(as_text=True)
    for code, crop in crops.catalogue().items():
        assert f'href="/register/htx?crop={code}" data-crop="{code}">{crop.names["vi"]}<' in search


def test_crop_names_follow_the_readers_language(
    client: FlaskClient, vegetables: Organisation
) -> None:
    client.set_cookie("lang", "en")
    refresh()  # the fixtures' app context would otherwise keep the Vietnamese it chose
    html = client.get("/register/htx").get_data(as_text=True)
    assert ">Vegetables</a>" in html and ">Longan</a>" in html


def test_an_unknown_crop_is_refused_with_the_fields_message(
    client: FlaskClient, vegetables: Organisation
) -> None:
    for path in ("/register/htx?crop=durian", "/register/communes?crop=l%C3%BAa"):
        response = client.get(path)
        assert response.status_code == 422, path
        assert "Danh mục không có cây trồng" in response.get_data(as_text=True)
    problem = client.get("/register/htx?crop=durian", headers={"Accept": "application/json"})
    assert problem.status_code == 422
    assert problem.json is not None and "crop" in problem.json["errors"], problem.json
