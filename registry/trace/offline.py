"""Field work as an offline web app (issue 21): the web app manifest, the service worker at
the site's root, its icons, the page shown for a page the phone has not kept, and the CSRF
token the outbox sends its entries with. The outbox itself is static/js/outbox.js; its
entries are posted to the form they were made with, the diary's (trace.views.diary_entry) or
the new field's (trace.views.new_field), which answer JSON and keep their
`Idempotency-Key`."""

from __future__ import annotations

from functools import cache
from io import BytesIO

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from PIL import Image, ImageDraw

from registry.errors import STATUS_TITLES, problem
from registry.trace.models import Season

bp = Blueprint("offline", __name__)

# The pages that work offline and show the outbox (templates/base.html asks).
DIARY_PAGES = frozenset(
    {"trace.seasons", "trace.season", "trace.diary_entry", "trace.new_field", "offline.page"}
)
ICON_SIZES = (192, 512)
GREEN, PALE = "#1f7a3a", "#c9ecd2"  # static/leaf.svg's colours


@bp.app_template_global()
def offline_diary() -> bool:
    """Whether this page is one of the offline pages: the diary's and the new-field form."""
    return request.endpoint in DIARY_PAGES


@bp.app_template_global()
def offline_pages(season: Season | None = None) -> list[str]:
    """The pages the phone keeps, from an offline page, so that they open without a
    connection: the new-field form and what its map reads (to walk a field with no signal),
    and on a season's page the season, what happened today, and the form of each kind of
    entry its crop keeps."""
    field_form = [url_for("trace.new_field"), url_for("maps.config"), url_for("maps.features")]
    if season is None:
        return field_form
    forms = [
        url_for("trace.diary_entry", code=season.code, kind=k) for k in season.crop_info.diary_kinds
    ]
    return [
        url_for("trace.season", code=season.code),
        url_for("trace.diary_entry", code=season.code),
        *forms,
        *field_form,
    ]


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker, served from the root so that its scope is the whole site (it
    keeps only the diary's pages; see the script)."""
    response = current_app.send_static_file("js/sw.js")
    response.headers["Cache-Control"] = "no-cache"  # a new version is picked up at once
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest: the diary installs as "Nhật ký đồng ruộng" (Vietnamese first;
    the manifest is read without the person's cookies, so in one language)."""
    icons = [
        {"src": url_for("static", filename="leaf.svg"), "sizes": "any", "type": "image/svg+xml"}
    ]
    icons += [
        {"src": url_for("offline.icon", size=size), "sizes": f"{size}x{size}", "type": "image/png"}
        for size in ICON_SIZES
    ]
    response = jsonify(
        {
            "name": "Nhật ký đồng ruộng",
            "short_name": "Nhật ký",
            "description": "Nhật ký đồng ruộng của HTX, ghi được cả khi không có mạng.",
            "lang": "vi",
            "dir": "ltr",
            "start_url": url_for("trace.seasons"),
            "scope": "/",
            "display": "standalone",
            "background_color": "#f6f8f6",
            "theme_color": GREEN,
            "icons": icons,
        }
    )
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/icons/<int:size>.png")
def icon(size: int) -> Response:
    if size not in ICON_SIZES:
        abort(404)
    response = Response(_icon_png(size), mimetype="image/png")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@cache
def _icon_png(size: int) -> bytes:
    """The leaf of static/leaf.svg drawn at `size` px (drawn, not committed as a binary)."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    unit = size / 32
    draw.ellipse((0, 0, size - 1, size - 1), fill=GREEN)
    leaf = [(9, 23), (11, 14), (17, 10), (24, 9), (22, 17), (17, 23), (11, 24)]
    draw.polygon([(x * unit, y * unit) for x, y in leaf], fill=PALE)
    draw.line([(9 * unit, 24 * unit), (20 * unit, 13 * unit)], fill=GREEN, width=round(1.6 * unit))
    found = BytesIO()
    image.save(found, "PNG", optimize=True)
    return found.getvalue()


@bp.get("/offline")
def page() -> str:
    """What the phone shows for a page it has not kept, with the entries waiting to send."""
    return render_template("trace/offline.html")


@bp.get("/outbox/token")
def token() -> Response:
    """A CSRF token for the outbox's next posts, and who is signed in (`user`: the outbox
    sends only the entries this user saved); 401 (never a redirect) when signed out, so
    the outbox keeps its entries and asks the clerk to sign in."""
    if not current_user.is_authenticated:
        return problem(401, str(STATUS_TITLES[401]))
    response = jsonify({"csrf_token": generate_csrf(), "user": current_user.id})
    response.headers["Cache-Control"] = "no-store"
    return response
