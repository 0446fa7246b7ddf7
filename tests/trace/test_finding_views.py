"""The field and season lists on a phone (issue 21): filters in the query string, counts,
pages of 50, bad filter values answered 400 with a Vietnamese message beside the filter,
the marker of what each season lacks for the MRV, and the API's lists taking the same
filters while answering as before when given none."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.accounts.models import Organisation, OrgKind, User
from registry.db import db
from registry.trace import service
from registry.trace.schemas import DiaryEntryIn, SeasonIn
from tests.accounts.test_api import bearer
from tests.conftest import Factory, login, statements_run
from tests.trace.conftest import field_values


@pytest.fixture
def htx(client: FlaskClient, ctx: None, make: Factory) -> tuple[Organisation, User]:
    """An HTX with 55 fields (HD-01 in Hà Đông) and two rice seasons, signed in."""
    made = make.org(kind=OrgKind.PRODUCER)
    user = make.user(made)
    org = db.session.get(Organisation, made.id)
    assert org is not None
    service.register_field(
        db.session, org, field_values(code="HD-01", name="Ruộng Hà Đông", commune="phường Hà Đông")
    )
    for i in range(54):
        service.register_field(db.session, org, field_values(code=f"F-{i:02d}", name=f"Ruộng {i}"))
    for field, year, sown in (("HD-01", 2026, "2025-12-08"), ("F-00", 2020, "2019-12-05")):
        values = {"field": field, "season_type": "dong_xuan", "year": year, "sowing_date": sown}
        service.open_season(db.session, org, SeasonIn().load(values))
    entry = {"season": "F-00-2020-DX", "kind": "water", "date": "2019-12-01"}
    service.record_entry(
        db.session,
        org,
        db.session.get(User, user.id),  # type: ignore[arg-type]
        DiaryEntryIn().load({**entry, "data": {"event": "flooding"}}),
    )
    db.session.commit()
    login(client, user)
    return org, user


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_search_is_a_url_with_its_counts(client: FlaskClient, htx: object) -> None:
    response = client.get("/fields?q=ha+dong")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-counts="1/55"' in html and "1 / 55 thửa ruộng" in text(html)
    assert "/fields/HD-01" in html and "/fields/F-00" not in html.split("Tìm thửa ruộng")[1]
    assert 'value="ha dong"' in html  # the form shows what was searched
    by_commune = client.get("/fields?commune=phường+Hà+Đông").get_data(as_text=True)
    assert 'data-counts="1/55"' in by_commune


@pytest.mark.parametrize("q", ["--", "?!", "%", "..."])
def test_a_search_of_punctuation_alone_finds_nothing_and_says_so(
    app: Flask, client: FlaskClient, htx: tuple[Organisation, User], q: str
) -> None:
    """A search with no letter nor digit in it finds nothing (it listed every field, as if
    the box were empty), on the pages and in the API."""
    for path, counts, row, nothing in (
        ("/fields", "0/55", '<tr><td data-label="Mã">', "Không có thửa ruộng nào khớp"),
        ("/seasons", "0/2", "data-season=", "Không có vụ nào khớp"),
    ):
        response = client.get(path, query_string={"q": q})
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert f'data-counts="{counts}"' in html and nothing in text(html)
        assert row not in html and f'value="{q}"' in html  # the form shows what was searched
    auth = bearer(app, htx[1], scopes=("read",))
    for path in ("/api/v1/fields", "/api/v1/seasons"):
        found = client.get(path, query_string={"q": q}, headers=auth)
        assert found.status_code == 200 and found.json == [], found.json
        paged = client.get(path, query_string={"q": q, "page": 1}, headers=auth)
        assert paged.json == [] and paged.headers["X-Total-Count"] == "0"


def test_fifty_a_page_and_the_links_between_pages_keep_the_filters(
    client: FlaskClient, htx: object
) -> None:
    first = client.get("/fields?q=ruong&commune=phường+Đồ+Sơn").get_data(as_text=True)
    assert 'data-counts="54/55"' in first and "trang 1 / 2" in text(first)
    assert first.count('<tr><td data-label="Mã">') == 50
    following = re.search(r'rel="next" href="([^"]+)"', first)
    assert following and "q=ruong" in following.group(1) and "page=2" in following.group(1)
    second = client.get(following.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert second.count('<tr><td data-label="Mã">') == 4 and 'rel="prev"' in second
    beyond = client.get("/fields?page=9").get_data(as_text=True)
    assert "Về trang đầu" in beyond and 'rel="next"' not in beyond


@pytest.mark.parametrize(
    ("path", "name", "message"),
    [
        ("/fields?page=0", "page", "Phải nằm trong khoảng 1 đến 100000."),
        ("/fields?page=abc", "page", "Không phải là số nguyên hợp lệ."),
        ("/fields?page=99999999999999999999999", "page", "Phải nằm trong khoảng"),
        ("/fields?crop=banana", "crop", "Phải là một trong"),
        ("/fields?q=" + "x" * 101, "q", "Tối đa 100 ký tự."),
        ("/seasons?year=abc", "year", "Không phải là số nguyên hợp lệ."),
        ("/seasons?year=1990", "year", "Phải nằm trong khoảng 2015 đến 2100."),
        ("/seasons?status=done", "status", "Phải là một trong"),
        ("/seasons?missing=maybe", "missing", "Không phải là giá trị đúng/sai hợp lệ."),
    ],
)
def test_bad_filter_values_are_a_400_with_a_message_beside_the_filter(
    client: FlaskClient, htx: object, path: str, name: str, message: str
) -> None:
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    if name != "page":
        assert f'id="{name}-error"' in html and f'aria-describedby="{name}-error"' in html
    assert 'data-counts="' in html  # the whole list still shows beneath


def test_each_season_is_marked_with_what_its_mrv_result_lacks(
    client: FlaskClient, htx: object
) -> None:
    html = client.get("/seasons").get_data(as_text=True)
    assert 'data-counts="2/2"' in html
    marked = dict(re.findall(r'data-season="([^"]+)".*?data-missing="([^"]*)"', html, re.S))
    assert marked == {"HD-01-2026-DX": "water harvest", "F-00-2020-DX": "harvest"}
    assert "thiếu:" in html and "thu hoạch" in html and "nước (cho nước vào, rút nước)" in html
    assert 'href="/seasons/HD-01-2026-DX/diary?kind=harvest"' in html
    only = client.get("/seasons?missing=y&year=2020&status=open&crop=rice&q=F-00")
    assert only.status_code == 200 and 'data-counts="1/2"' in only.get_data(as_text=True)
    assert 'data-counts="0/2"' in client.get("/seasons?status=verified").get_data(as_text=True)


def test_the_season_form_opens_prefilled_from_a_link(client: FlaskClient, htx: object) -> None:
    html = client.get("/fields/HD-01/seasons/new?year=2020&season_type=he_thu").get_data(
        as_text=True
    )
    assert re.search(r'name="year"[^>]*value="2020"', html)
    assert re.search(r'<option value="he_thu"\s+selected', html)


def test_the_api_lists_take_the_same_filters_and_answer_as_before_without(
    app: Flask, client: FlaskClient, htx: tuple[Organisation, User]
) -> None:
    auth = bearer(app, htx[1], scopes=("read",))
    every = client.get("/api/v1/fields", headers=auth)
    assert every.status_code == 200 and len(every.json) == 55
    assert [f["code"] for f in every.json] == sorted(f["code"] for f in every.json)
    found = client.get("/api/v1/fields?q=ha%20dong", headers=auth)
    assert [f["code"] for f in found.json] == ["HD-01"] and found.headers["X-Total-Count"] == "1"
    page = client.get("/api/v1/fields?page=2", headers=auth)
    assert len(page.json) == 5 and page.headers["X-Total-Count"] == "55"
    assert 'rel="prev"' in page.headers["Link"] and "page=1" in page.headers["Link"]
    seasons = client.get("/api/v1/seasons?missing=true&year=2026", headers=auth)
    assert [s["code"] for s in seasons.json] == ["HD-01-2026-DX"]
    bad = client.get("/api/v1/seasons?status=done", headers=auth)
    assert bad.status_code == 422 and "status" in bad.json["errors"], bad.json


def test_the_lists_ask_the_database_as_often_for_fifty_rows_as_for_two(
    app: Flask, client: FlaskClient, htx: tuple[Organisation, User]
) -> None:
    """The marker and the status of each season come from a query per page, never per row."""

    def statements(path: str) -> int:
        with statements_run(app) as found:
            assert client.get(path).status_code == 200
        return len(found)

    db.session.commit()  # the signed-in user is read again, as after the seasons below
    few = statements("/seasons"), statements("/fields?q=ruong")
    org = htx[0]
    for i in range(1, 49):
        values = {"field": f"F-{i:02d}", "season_type": "he_thu", "year": 2026}
        service.open_season(
            db.session, org, SeasonIn().load({**values, "sowing_date": "2026-05-02"})
        )
    db.session.commit()
    assert (statements("/seasons"), statements("/fields?q=ruong")) == few
    assert 'data-counts="50/50"' in client.get("/seasons").get_data(as_text=True)
