"""The label page's "check it yourself" shows the token's times as people read them: Vietnam's
clock, a four-digit year, the offset said; the UTC instant stays in the element for machines."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient

from registry.labels.models import Label
from registry.public.label_page import unix_local, vn_day
from tests.public.conftest import label, path_of  # noqa: F401


def test_signed_and_expiry_times_are_local_not_unix_seconds(
    client: FlaskClient, label: Label
) -> None:
    html = client.get(path_of(label.url)).get_data(as_text=True)
    shown = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', html)
    assert len(shown) == 2
    for instant, text in shown:
        when = datetime.strptime(instant, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        local = when + timedelta(hours=7)
        assert text == f"{local:%d/%m/%Y %H:%M} (UTC+07:00)"
    issued = int(label.issued_at.timestamp())
    assert str(issued) not in html  # no Unix seconds for people


def test_a_late_evening_in_utc_is_the_next_day_in_vietnam() -> None:
    evening = int(datetime(2026, 12, 6, 19, 29, 32, tzinfo=UTC).timestamp())
    assert str(unix_local(evening)) == (
        '<time datetime="2026-12-06T19:29:32Z">07/12/2026 02:29 (UTC+07:00)</time>'
    )


def test_the_label_s_days_are_vietnam_s() -> None:
    assert vn_day(datetime(2026, 12, 6, 16, 59, tzinfo=UTC)) == "06/12/2026"  # 23:59 there
    assert vn_day(datetime(2026, 12, 6, 17, 0, tzinfo=UTC)) == "07/12/2026"  # midnight
