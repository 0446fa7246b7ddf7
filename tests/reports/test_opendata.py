"""Open data: every format re-imports and validates against its JSON Schema, names no
household, and national systems pull it incrementally with an 'exchange' token. Emission
rows are version 2 (every crop, orchards' removals); version 1 stays served and valid."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from registry.accounts.models import OrgKind
from registry.db import db
from registry.labels.models import LabelStatus
from registry.reports import opendata
from tests.conftest import Factory
from tests.reports.conftest import Builder, Planted

SCHEMAS = Path(opendata.__file__).resolve().parent / "schema"


@pytest.fixture
def registry_data(app: Flask) -> None:
    with app.app_context():
        builder = Builder(db.session)
        builder.plant(
            Planted(
                0, 0, date(2026, 3, 10), 1.0, 3000, 6000, (1.0, 9000, 5800), awd=True, verified=True
            )
        )
        builder.plant(Planted(2, 1, date(2025, 8, 15), 1.5, 2800, 9000, None, vietgap=True))
        builder.plant(
            Planted(
                1, 0, date(2026, 6, 30), 0.8, 1900.5, 12000, None, crop="longan",
                removals_kg_co2=4400.0,
            )
        )  # fmt: skip
        builder.label(0, 0, datetime(2026, 4, 1, tzinfo=UTC), units=2)
        builder.label(2, 1, datetime(2026, 5, 1, tzinfo=UTC), LabelStatus.SUSPENDED)
        for removals in (1.25, 1.35):  # two orchard labels of one month: a mean of 1.3
            when = datetime(2026, 7, 1, tzinfo=UTC)
            builder.label(1, 0, when, product="packed_longan", removals=removals)
        db.session.commit()


def schema(name: str, major: int | None = None) -> dict[str, Any]:
    """The schema file of a version of the dataset (its current one by default)."""
    major = major or opendata.DATASETS[name].major
    return json.loads((SCHEMAS / f"{name}-v{major}.json").read_text())


def typed(name: str, row: dict[str, Any]) -> dict[str, Any]:
    """A CSV or XLSX row read back with the types its schema gives."""
    props = schema(name)["$defs"]["row"]["properties"]
    cast = {"integer": int, "number": float, "string": str}

    def read(kind: Any, v: Any) -> Any:
        if isinstance(kind, list):  # ["number", "null"]: an empty cell is null
            return None if v in ("", None) else read(kind[0], v)
        return cast[kind](v) if kind in cast else v

    return {k: read(props[k].get("type"), v) for k, v in row.items()}


@pytest.mark.parametrize("name", ["emissions", "labels"])
def test_the_schemas_describe_the_rows_the_code_writes(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(schema(name))
    assert list(schema(name)["$defs"]["row"]["properties"]) == opendata.DATASETS[name].columns


@pytest.mark.parametrize("name", ["emissions", "labels"])
def test_every_format_reads_back_valid(client: FlaskClient, registry_data: None, name: str) -> None:
    validator = jsonschema.Draft202012Validator(schema(name))
    as_json = client.get(f"/open-data/{name}.json")
    assert as_json.status_code == 200
    document = as_json.json
    validator.validate(document)
    assert len(document["items"]) == {"emissions": 3, "labels": 3}[name]

    text = client.get(f"/open-data/{name}.csv").get_data().decode("utf-8-sig")
    rows = [typed(name, r) for r in csv.DictReader(io.StringIO(text))]
    validator.validate({**document, "items": rows})
    assert rows == document["items"]

    book = load_workbook(io.BytesIO(client.get(f"/open-data/{name}.xlsx").get_data()))
    sheet = book[name]
    header, *values = list(sheet.iter_rows(values_only=True))
    rows = [typed(name, dict(zip(header, v, strict=True))) for v in values]
    validator.validate({**document, "items": rows})
    assert rows == document["items"]
    assert "Hộ bà" not in json.dumps(document, ensure_ascii=False)


def schema_links(client: FlaskClient, name: str) -> set[str]:
    """Every schema link the open-data documents of a dataset give: the JSON document's
    `schema`, the XLSX `about` sheet's, and the open-data page's JSON Schema link."""
    document = client.get(f"/open-data/{name}.json").json
    book = load_workbook(io.BytesIO(client.get(f"/open-data/{name}.xlsx").get_data()))
    about = {key: value for key, value in book["about"].iter_rows(values_only=True)}
    page = client.get("/open-data").get_data(as_text=True)
    linked = re.findall(rf'href="([^"]*/schema/{name}[^"]*)" data-current-schema', page)
    assert linked
    return {document["schema"], about["schema"], *linked}


@pytest.mark.parametrize("name", ["emissions", "labels"])
def test_every_schema_link_resolves_and_the_documents_validate_against_it(
    client: FlaskClient, registry_data: None, name: str
) -> None:
    base = client.application.config["PUBLIC_BASE_URL"]
    document = client.get(f"/open-data/{name}.json").json
    followed = set()
    for link in schema_links(client, name):
        path = link.removeprefix(base)
        assert path.startswith("/"), link  # on the registry's own public base
        served = client.get(path)
        assert served.status_code == 200, link
        assert served.mimetype == "application/schema+json"
        followed.add(json.dumps(served.json, sort_keys=True))
    assert len(followed) == 1  # the three links name one schema
    served_schema = json.loads(followed.pop())
    # Its own `$schema` link names a meta-schema the validator knows (draft 2020-12):
    meta = jsonschema.validators.validator_for(served_schema, default=None)
    assert meta is jsonschema.Draft202012Validator
    meta.check_schema(served_schema)
    meta(served_schema).validate(document)


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_downloads_state_their_content_type_once(
    client: FlaskClient, registry_data: None, fmt: str
) -> None:
    expected = {
        "csv": "text/csv; charset=utf-8",
        "json": "application/json",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    for name in ("emissions", "labels"):
        assert client.get(f"/open-data/{name}.{fmt}").headers["Content-Type"] == expected[fmt]


def test_filters_narrow_the_download(client: FlaskClient, registry_data: None) -> None:
    items = client.get("/open-data/emissions.json?year=2025").json["items"]
    assert [(i["commune"], i["year"]) for i in items] == [("xã Thới Lai", 2025)]
    assert (
        client.get("/open-data/emissions.json?province=Cần Thơ").json["items"][0]["vietgap_area_ha"]
        == 1.5
    )
    assert client.get("/open-data/emissions.json?year=abc").status_code == 422
    assert client.get("/open-data/nothing.json").status_code == 404
    assert client.get("/open-data/emissions.pdf").status_code == 404
    assert client.get("/open-data/schema/emissions-v1.json").json["$id"].endswith(":emissions:1")


def token(app: Flask, make: Factory, scopes: tuple[str, ...]) -> dict[str, str]:
    from tests.accounts.test_api import bearer

    return bearer(app, make.user(make.org(kind=OrgKind.AUTHORITY, code="MRV-QG")), scopes)


def pull(
    client: FlaskClient, auth: dict[str, str], name: str, since: int, limit: int = 1
) -> tuple[list[dict[str, Any]], int]:
    """Every page after `since`; the rows and the revision to keep for next time."""
    items, cursor = [], None
    while True:
        query = f"since={since}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/api/v1/exchange/{name}?{query}", headers=auth)
        assert page.status_code == 200, page.json
        items += page.json["items"]
        cursor = page.json["next"]
        if cursor is None:
            return items, page.json["revision"]


def test_national_systems_pull_what_changed(
    app: Flask, client: FlaskClient, make: Factory, registry_data: None
) -> None:
    auth = token(app, make, ("exchange",))
    first, revision = pull(client, auth, "emissions", 0)
    assert sorted(i["commune"] for i in first) == ["phường Đồ Sơn", "xã Kiến Thụy", "xã Thới Lai"]
    jsonschema.validate(
        first,
        {
            "type": "array",
            "items": schema("emissions")["$defs"]["row"],
            "$defs": schema("emissions")["$defs"],
        },
    )
    assert pull(client, auth, "emissions", revision)[0] == []
    with app.app_context():
        Builder(db.session).plant(Planted(0, 0, date(2026, 3, 20), 2.0, 1000, 5000, None))
        db.session.commit()
    app.config["REPORTS_MAX_AGE_SECONDS"] = 0
    try:
        changed, newer = pull(client, auth, "emissions", revision)
    finally:
        app.config["REPORTS_MAX_AGE_SECONDS"] = 300
    assert newer > revision
    assert [(i["commune"], i["seasons"], i["area_ha"]) for i in changed] == [
        ("phường Đồ Sơn", 2, 3.0)
    ]
    labels, _ = pull(client, auth, "labels", 0, limit=5)
    assert sorted(
        (i["commune"], i["issued"], i["suspended"], i["unit_labels"]) for i in labels
    ) == [
        ("phường Đồ Sơn", 1, 0, 2),
        ("xã Kiến Thụy", 2, 0, 0),
        ("xã Thới Lai", 1, 1, 0),
    ]
    by_crop = {(i["commune"], i["crop"]): i["removals_kg_co2_per_kg"] for i in labels}
    assert by_crop == {
        ("phường Đồ Sơn", "rice"): None,
        ("xã Kiến Thụy", "longan"): 1.3,  # (1.25 + 1.35) / 2, beside, never netted
        ("xã Thới Lai", "rice"): None,
    }


def test_the_exchange_needs_its_scope(app: Flask, client: FlaskClient, make: Factory) -> None:
    assert client.get("/api/v1/exchange/emissions").status_code == 401
    read_only = token(app, make, ("read",))
    response = client.get("/api/v1/exchange/labels", headers=read_only)
    assert response.status_code == 403 and response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "query", ["since=-1", "limit=0", "limit=9999", "cursor=abc", "cursor=1-", "since=x"]
)
def test_bad_exchange_queries_are_422(
    app: Flask, client: FlaskClient, make: Factory, query: str
) -> None:
    response = client.get(
        f"/api/v1/exchange/emissions?{query}", headers=token(app, make, ("exchange",))
    )
    assert response.status_code == 422
    assert response.json["errors"]


def test_emission_rows_carry_every_crop_and_the_removals_beside_the_emissions(
    client: FlaskClient, registry_data: None
) -> None:
    document = client.get("/open-data/emissions.json").json
    assert document["version"] == "2.0"
    assert document["schema"].endswith("/open-data/schema/emissions-v2.json")
    by_crop = {i["crop"]: i for i in document["items"]}
    assert set(by_crop) == {"rice", "longan"}
    longan = by_crop["longan"]
    # the uptake is given as it was, and the emissions are not lessened by it
    assert (longan["removals_kg_co2"], longan["total_kg_co2e"]) == (4400.0, 1900.5)
    assert (longan["seasons"], longan["yield_kg"], longan["commune"]) == (1, 12000, "xã Kiến Thụy")
    assert by_crop["rice"]["removals_kg_co2"] == 0
    assert (
        client.get("/open-data/emissions.xlsx")
        .headers["Content-Disposition"]
        .endswith('emissions-v2.xlsx"')
    )


def test_version_1_of_the_emission_schema_stays_served_and_valid(
    client: FlaskClient, registry_data: None
) -> None:
    old = client.get("/open-data/schema/emissions-v1.json")
    assert old.status_code == 200 and old.mimetype == "application/schema+json"
    assert old.json == schema("emissions", 1)  # the file as it was
    assert old.json["$id"].endswith(":emissions:1")
    jsonschema.Draft202012Validator.check_schema(old.json)
    page = client.get("/open-data").get_data(as_text=True)
    assert 'href="/open-data/schema/emissions-v1.json" data-old-schema' in page
    # A version 1 reader's view of today's rice rows: the same rows without removals.
    document = client.get("/open-data/emissions.json").json
    rice = [
        {k: v for k, v in item.items() if k != "removals_kg_co2"}
        for item in document["items"]
        if item["crop"] == "rice"
    ]
    v1 = jsonschema.Draft202012Validator(old.json)
    v1.validate({**document, "version": "1.0", "items": rice})
    # …which could not describe the orchard's row: hence a new version, not a 1.x.
    assert not v1.is_valid(document)
    assert not jsonschema.Draft202012Validator(schema("emissions")).is_valid(
        {**document, "version": "1.0"}
    )
    assert client.get("/open-data/schema/emissions-v3.json").status_code == 404
    assert client.get("/open-data/schema/labels-v3.json").status_code == 404


def test_labels_version_1_stays_served_and_version_2_adds_crop_and_removals(
    client: FlaskClient, registry_data: None
) -> None:
    old = client.get("/open-data/schema/labels-v1.json")
    assert old.status_code == 200 and old.json == schema("labels", 1)  # the file as it was
    document = client.get("/open-data/labels.json").json
    assert document["version"] == "2.0" and document["schema"].endswith("/labels-v2.json")
    jsonschema.Draft202012Validator(schema("labels")).validate(document)
    # A version 1 reader's view: today's rows without the new fields (one per crop now).
    new = ("crop", "removals_kg_co2_per_kg")
    v1_rows = [{k: v for k, v in i.items() if k not in new} for i in document["items"]]
    v1 = jsonschema.Draft202012Validator(old.json)
    v1.validate({**document, "version": "1.0", "items": v1_rows})
    assert not v1.is_valid(document)  # additionalProperties: hence a version 2, not a 1.x
    longan = [i for i in document["items"] if i["crop"] == "longan"]
    assert [(i["issued"], i["removals_kg_co2_per_kg"]) for i in longan] == [(2, 1.3)]


def test_the_exchange_states_the_version_and_schema_of_its_rows(
    app: Flask, client: FlaskClient, make: Factory, registry_data: None
) -> None:
    auth = token(app, make, ("exchange",))
    page = client.get("/api/v1/exchange/emissions?limit=10", headers=auth).json
    assert page["version"] == "2.0"
    served = client.get(page["schema"].removeprefix(client.application.config["PUBLIC_BASE_URL"]))
    row = served.json["$defs"]["row"]
    for item in page["items"]:
        jsonschema.Draft202012Validator({**row, "$defs": served.json["$defs"]}).validate(item)
    assert {i["crop"]: i["removals_kg_co2"] for i in page["items"]} == {
        "rice": 0.0,
        "longan": 4400.0,
    }
