"""Whatever a scanner, a crawler or a forger sends, the public pages answer with a verdict,
a redirect or a 4xx, never a 500."""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

segment = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00/?#"),
    min_size=1,
    max_size=25,
)
KNOWN = {200, 307, 400, 404, 405}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(segment, min_size=1, max_size=6), st.text(max_size=60), st.text(max_size=20))
def test_any_path_and_token(app: Flask, parts: list[str], token: str, link_type: str) -> None:
    client = app.test_client()
    path = "/".join(quote(p, safe="") for p in parts)
    query = f"?le={quote(token, safe='')}&linkType={quote(link_type, safe='')}"
    for base in (f"/01/{path}", f"/01/08934567890120/{path}", f"/l/{path}", f"/register/{path}"):
        response = client.get(base + query)
        assert response.status_code in KNOWN, (base, response.status_code)
