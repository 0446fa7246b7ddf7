"""Serving stored objects to browsers, after the view's own access checks.

Objects are streamed through the app rather than handed out as signed links to the bucket:
the page stays same-origin, so the Content-Security-Policy (`img-src 'self'`) needs no
bucket host and a photo's address never leaves the registry; every download passes the
view's checks, not just the first; and the bucket stays private with no CORS rules. The
files are small (evidence at most 10 MB, sheets of a few MB), and the log's tiles, which
are public and many, are the ones for a CDN (docs/storage.md)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, current_app, request, send_file

from registry.storage import Blob


def send(
    opener: Callable[[], Blob],
    *,
    mimetype: str,
    download_name: str,
    attachment: bool = False,
    etag: str | None = None,
    cache_control: str = "private, no-cache",
) -> Response:
    """Stream the object `opener` opens (it raises the view's 404 when there is none).

    With an `etag` (a content digest), a browser that holds that version is answered 304
    before the store is asked for anything."""
    if etag is not None and etag in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        blob = opener()
        response = send_file(
            blob.file,
            mimetype=mimetype,
            as_attachment=attachment,
            download_name=download_name,
            conditional=False,
        )
        response.content_length = blob.size
    if etag is not None:
        response.set_etag(etag)
    response.headers["Cache-Control"] = cache_control
    return response
