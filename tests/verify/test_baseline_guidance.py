"""Where a season has no 2020 baseline, the MRV pages say what a baseline is and link to
recording one on that field (issue 21), in Vietnamese; a season with its baseline, and the
baseline itself, are left without it."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from registry.db import db
from registry.trace import service
from registry.trace.schemas import SeasonIn
from tests.conftest import login
from tests.trace.conftest import field_values
from tests.verify.conftest import AWD_DIARY, Farm, keep


def no_baseline(farm: Farm) -> str:
    """A second field of the farm with a complete 2026 diary and no 2020 season."""
    org, user, _, _ = farm
    service.register_field(db.session, org, field_values(code="DS-02", name="Ruộng Bờ Tre"))
    values = {
        "field": "DS-02",
        "season_type": "dong_xuan",
        "year": 2026,
        "sowing_date": "2025-12-08",
    }
    season = service.open_season(db.session, org, SeasonIn().load(values))
    keep(org, user, season, AWD_DIARY)
    db.session.commit()
    return season.code


BASELINE_LINK = "/fields/DS-02/seasons/new?crop=rice&amp;year=2020&amp;season_type=dong_xuan"


def test_the_explanation_says_what_a_baseline_is_and_links_to_recording_it(
    client: FlaskClient, farm: Farm
) -> None:
    code = no_baseline(farm)
    login(client, farm[1])
    html = client.get(f"/mrv/seasons/{code}").get_data(as_text=True)
    assert 'id="baseline-guidance"' in html
    assert "Thửa ruộng này chưa có vụ năm cơ sở 2020" in html
    assert "cùng cây trồng (lúa) trên cùng thửa ruộng (DS-02) vào năm 2020" in html
    assert f'href="{BASELINE_LINK}"' in html
    with_baseline = client.get(f"/mrv/seasons/{farm[3].code}").get_data(as_text=True)
    assert 'id="baseline-guidance"' not in with_baseline
    baseline = client.get(f"/mrv/seasons/{farm[2].code}").get_data(as_text=True)
    assert 'id="baseline-guidance"' not in baseline


def test_the_overview_marks_each_season_without_a_baseline(client: FlaskClient, farm: Farm) -> None:
    code = no_baseline(farm)
    login(client, farm[1])
    html = client.get("/mrv").get_data(as_text=True)
    links = re.findall(r'href="([^"]+)" data-record-baseline', html)
    assert links == [BASELINE_LINK], code
    assert "Chưa có vụ năm cơ sở 2020: chưa đo được mức giảm phát thải." in html
    form = client.get(BASELINE_LINK.replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(r'name="year"[^>]*value="2020"', form)
