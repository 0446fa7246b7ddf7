"""The label page tells each crop's story in its own words (issue 20): rice its water,
straw and N; vegetables their N rate, irrigation and its energy, residues and harvests;
an orchard its trees' age, practices and the carbon its trees took up, shown beside the
emissions and never subtracted from them. No rice words on a vegetable's or an orchard's
page, in either language. The figures are the fixtures' diaries worked by hand."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy import select

from registry.accounts.models import Organisation, OrgKind
from registry.db import db
from registry.labels import criteria
from registry.labels.models import Label
from registry.trace import service
from registry.trace.models import Season
from registry.trace.schemas import SeasonIn
from registry.verify import approvals, reports, signing
from registry.verify.models import Decision
from tests.labels.conftest import orchard  # noqa: F401
from tests.labels.test_removals import graded_and_packed
from tests.public.conftest import issue_on, label, path_of  # noqa: F401
from tests.trace.test_batches import harvest
from tests.trace.test_coproducts import step
from tests.verify.conftest import keep

#: Words only a rice season's story uses (water regime, straw, the rice products).
RICE_WORDS = {
    "vi": ("rơm", "rút nước", "ngập", "ướt khô", "lúa", "gạo", "thóc", "Thửa ruộng", "vụ này"),
    "en": ("straw", "drainage", "flood", "wetting", "rice", "paddy", "season"),
}

#: A cycle of leafy greens on `farm`'s field DS-01 (1 ha) in 2020 and in 2025.
GREENS_2020 = [
    ("sowing", "2020-05-01", {"variety": "cải ngọt", "method": "sown"}),
    ("fertiliser", "2020-05-10", {"product": "NPK 16-16-8", "kg": 1000, "n_pct": 16}),
    ("harvest", "2020-06-15", {"kg": 9000}),
]
GREENS_2025 = [
    ("sowing", "2025-05-01", {"variety": "cải ngọt", "method": "sown"}),
    ("fertiliser", "2025-05-10", {"product": "NPK 16-16-8", "kg": 500, "n_pct": 16}),
    ("irrigation", "2025-05-12", {"system": "sprinkler", "source": "electricity", "amount": 40}),
    ("irrigation", "2025-05-26", {"system": "drip", "source": "electricity", "amount": 20}),
    ("harvest", "2025-06-10", {"kg": 6000}),
    ("harvest", "2025-06-20", {"kg": 4000}),
    ("residue", "2025-06-21", {"practice": "incorporated", "tonnes": 0.5}),
]


@pytest.fixture
def greens(farm, verifier) -> tuple[Organisation, Season]:
    """`farm`'s HTX with a vegetable cycle of 2025 and its 2020 one, approved by VER-1."""
    org, user, _, _ = farm
    ver, key, kid = verifier
    authority = db.session.scalar(
        select(Organisation).where(Organisation.kind == OrgKind.AUTHORITY)
    )
    approvals.accredit(
        db.session,
        ver,
        authority,
        crops=["rice", "vegetable"],
        provinces=["Cần Thơ"],
        valid_from=date(2020, 1, 1),
        valid_until=date(2027, 12, 31),
    )
    cycles = []
    for start, diary in (("2020-05-01", GREENS_2020), ("2025-05-01", GREENS_2025)):
        values = {"field": "DS-01", "crop": "vegetable", "season_type": "crop_cycle"}
        season = service.open_season(
            db.session, org, SeasonIn().load({**values, "year": start[:4], "sowing_date": start})
        )
        keep(org, user, season, diary)
        cycles.append(season)
    db.session.commit()
    grown = cycles[1]
    report = reports.create_report(
        db.session, org, user, date(2025, 4, 1), date(2025, 7, 31), [grown.code]
    )
    reports.submit(db.session, org, report.id)
    statement = approvals.new_statement(db.session, ver, report.id, Decision.APPROVED, kid)
    approvals.record_decision(db.session, ver, report.id, statement, signing.sign(statement, key))
    db.session.commit()
    return org, grown


def in_force(authority: Organisation) -> None:
    criteria.set_criteria(db.session, authority, {"min_reduction_pct": 10, "validity_days": 365})
    db.session.commit()


@pytest.fixture
def greens_label(app: Flask, greens, authority: Organisation) -> Label:
    org, season = greens
    fresh = harvest(org, season, 5000, "RAU-1")
    washed = step(org, "washing", fresh, 5000, 4800, "RSR-1")
    packed = step(org, "packing", washed, 4800, 4750, "HD-1")
    in_force(authority)
    return issue_on(app, packed, authority)


@pytest.fixture
def longan_label(app: Flask, orchard, authority: Organisation) -> Label:
    *_, packed_fruit = graded_and_packed(orchard)
    in_force(authority)
    return issue_on(app, packed_fruit, authority)


def text_of(client: FlaskClient, label: Label, language: str) -> str:
    """The page's words as a reader sees them (tags, ids and classes left out)."""
    client.set_cookie("lang", language)
    refresh()
    response = client.get(path_of(label.url))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-verdict="valid"' in html
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def facts(text: str) -> str:
    """The seasons' card: from its heading to the steps' card."""
    return text[text.index("canh tác và phát thải") : text.index("Tự kiểm tra")]


def test_a_vegetable_page_tells_n_irrigation_energy_residues_and_harvests(
    client: FlaskClient, greens_label: Label
) -> None:
    text = text_of(client, greens_label, "vi")
    story = facts(text)
    assert "Thửa đất" in text and "Các chu kỳ cây trồng" in text
    assert "Rau · Chu kỳ cây trồng 2025" in story
    assert "Phân đạm (N) 80 kg N/ha" in story  # 500 kg × 16 % N on 1 ha
    # Sprinklers and drip; the pumps' 40 + 20 kWh on 1 ha, and all the energy the same.
    assert "Tưới nước Tưới nhỏ giọt; Tưới phun mưa · máy bơm dùng 60 kWh điện/ha" in story
    assert "Nhiên liệu và điện 60 kWh điện/ha" in story
    assert "Phụ phẩm cây trồng Vùi vào đất" in story
    assert "Số lần thu hoạch 2 lần" in story
    assert "Từ thửa đất đến sản phẩm đóng gói" in text
    assert "Cacbon cây hấp thụ" not in text  # no trees, no removals


def test_an_orchard_page_tells_the_trees_age_practices_and_carbon_taken_up(
    client: FlaskClient, longan_label: Label
) -> None:
    text = text_of(client, longan_label, "vi")
    story = facts(text)
    assert "Vườn cây" in text and "Các năm sinh trưởng" in text
    assert "Cây nhãn · Năm sinh trưởng 2025" in story
    assert "Tuổi cây 6 năm tuổi" in story  # planted 2019, the year starts in March 2025
    assert "Phân đạm (N) 48 kg N/ha" in story  # 300 kg × 16 % N on 1 ha
    # 1 ha × 2.6 t C × 1000 × 44/12 = 9,533 kg CO2, over the 8,000 kg picked: 1,192 g/kg.
    assert "Cacbon cây hấp thụ 9.533 kg CO₂/ha · 1.192 g CO₂/kg" in story
    assert "Số lần thu hoạch 1 lần" not in story and "Số lần thu hoạch một lần" in story
    assert "Từ vườn cây đến sản phẩm đóng gói" in text


def test_an_orchard_label_shows_removals_per_kg_beside_its_emissions_not_netted(
    client: FlaskClient, longan_label: Label
) -> None:
    text = text_of(client, longan_label, "vi")
    claim = text[text.index("Thông tin nhãn") : text.index("Sản phẩm")]
    emitted = f"{longan_label.g_co2e_per_kg} g CO₂e/kg"
    assert longan_label.g_co2e_per_kg == round(longan_label.batch.g_co2e_per_kg)  # not netted
    assert emitted in claim
    assert "Cacbon cây hấp thụ: 1,267 kg CO₂ mỗi kg, ghi bên cạnh phát thải" in claim
    assert claim.index(emitted) < claim.index("Cacbon cây hấp thụ")
    english = text_of(client, longan_label, "en")
    assert "Carbon taken up by the trees: 1.267 kg CO₂ per kg, beside the emissions" in english


def test_rice_and_vegetable_claims_show_no_removals(
    client: FlaskClient, label: Label, greens_label: Label
) -> None:
    for each in (label, greens_label):
        assert each.removals_kg_co2_per_kg is None
        assert "Cacbon cây hấp thụ" not in text_of(client, each, "vi")


@pytest.mark.parametrize("language", ["vi", "en"])
def test_no_rice_words_on_vegetable_or_orchard_pages(
    client: FlaskClient, greens_label: Label, longan_label: Label, language: str
) -> None:
    for each in (greens_label, longan_label):
        text = text_of(client, each, language).lower()
        found = [w for w in RICE_WORDS[language] if w.lower() in text]
        assert found == [], (each.product, found)


def test_the_rice_page_still_tells_water_straw_and_n(client: FlaskClient, label: Label) -> None:
    text = text_of(client, label, "vi")
    assert "Thửa ruộng" in text and "Các vụ, cách canh tác" in text
    assert "tưới ướt khô xen kẽ, 2 lần rút nước" in text and "Rơm rạ Trồng nấm" in text
    assert "Tuổi cây" not in text and "Số lần thu hoạch" not in text
    english = text_of(client, label, "en")
    assert "Seasons, practices and verified emissions" in english and "Straw" in english


def test_the_story_table_picks_facts_by_kind_not_by_crop() -> None:
    from registry import crops
    from registry.public.story import ANNUAL, STORIES, story

    for crop in crops.catalogue().values():
        assert story(crop.kind.code) is STORIES.get(crop.kind.code, ANNUAL)
    assert story("a kind yet unknown") is ANNUAL  # no rice words by default
    assert "water" not in ANNUAL.facts and "straw" not in ANNUAL.facts
    assert "removals" in STORIES["perennial"].facts and "tree_age" in STORIES["perennial"].facts
