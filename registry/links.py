"""Links whose every argument is a constant of the template (a stylesheet, the footer's
pages), built once per app and script root: Werkzeug builds a URL in ~15 µs and the label
page, opened by every shopper who scans a QR, has a dozen of them."""

from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for

MAX_KEPT = 256  # far more than the templates name; a guard should one pass a variable


def fixed_url(endpoint: str, **values: Any) -> str:
    """`url_for(endpoint, **values)`, kept: only for arguments that never vary by request."""
    kept: dict[tuple[Any, ...], str] = current_app.extensions.setdefault("fixed_urls", {})
    key = (request.script_root, endpoint, *sorted(values.items()))
    found = kept.get(key)
    if found is None:
        if len(kept) >= MAX_KEPT:
            kept.clear()
        found = kept[key] = url_for(endpoint, **values)
    return found
