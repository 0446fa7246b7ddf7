"""The GS1 Digital Link resolver (DESIGN.md §5 "Resolver"; GS1-Conformant Resolver 1.2).

`/01/{gtin}[/10/{lot}[/21/{serial}]]` answers as a conformant resolver does: by default a
307 to the most specific page (the product, the lot's chain, the register's record of a
serial), the label page itself for a label URL (serial and `le=` token: that page is the
default link of the item), the link of a requested `linkType`, or the RFC 9264 linkset
for `linkType=linkset` (`all` in version 1.0) or `Accept: application/linkset+json`.
Every answer carries the links in an HTTP Link header and CORS headers; a path that is not
GS1 Digital Link syntax is a 400, an identifier the registry does not hold a 404.
`/.well-known/gs1resolver` describes the resolver."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from registry.db import db
from registry.errors import DomainError, NotFound
from registry.public import digital_link as dl
from registry.public import label_page, records

bp = Blueprint("resolver", __name__)

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Accept-Language",
    "Access-Control-Expose-Headers": "Link, Location, Content-Type",
}
ITEM_PAGE = "certificationInfo"  # the label page: the item's default link


class NotDigitalLink(DomainError):
    status = 400
    title = _l("This is not a GS1 Digital Link address.")


@bp.after_request
def _cors(response: Response) -> Response:
    response.headers.update(CORS)
    response.vary.update(("Accept", "Accept-Language"))
    return response


@bp.route("/01/<path:rest>", methods=["GET", "OPTIONS"])
def resolve(rest: str) -> Response:
    if request.method == "OPTIONS":
        return Response(status=204)
    try:
        link = dl.parse_path(request.path)
    except dl.BadPath as exc:
        raise NotDigitalLink(str(exc)) from exc
    levels = _levels(link, request.args.get("le"))
    header = dl.link_header(levels, _here(link, {"linkType": "linkset"}))
    wanted = dl.link_type(request.args.get("linkType"))
    if wanted == "linkset" or _asks_for_linkset():
        return _linkset(link, levels, header)
    chosen = dl.choose(levels, wanted)
    item_page = link.serial is not None and chosen.rel == ITEM_PAGE
    if item_page and "le" in request.args:
        return label_page.show(header)
    if not _known(link):
        if item_page:  # a serial typed without its token: the label page says so
            return label_page.unknown()
        raise NotFound()
    response = Response(status=307)
    response.headers["Location"] = _with_query(chosen.href)
    response.headers["Link"] = header
    return response


def _asks_for_linkset() -> bool:
    accept = request.accept_mimetypes
    return accept.best == dl.LINKSET_TYPE or (
        accept[dl.LINKSET_TYPE] > accept["text/html"] and accept[dl.LINKSET_TYPE] > 0
    )


def _here(link: dl.DigitalLink, query: dict[str, str] | None = None, depth: int = 3) -> str:
    return _public(link.path(depth)) + (f"?{urlencode(query)}" if query else "")


def _with_query(href: str) -> str:
    """Pass the request's query on (GS1: by default), but the linkType that chose."""
    passed = [(k, v) for k, v in request.args.items(multi=True) if k != "linkType"]
    if not passed:
        return href
    return href + ("&" if "?" in href else "?") + urlencode(passed)


def _levels(link: dl.DigitalLink, token: str | None) -> list[dl.Level]:
    """Product, then lot, then item: the links each level offers, from the URL alone."""
    upper = dl.DigitalLink(link.gtin, link.lot)
    levels = list(_upper_levels(current_app.config["PUBLIC_BASE_URL"], request.script_root, upper))
    if link.serial is not None:
        levels.append(_item_level(link, token))
    return levels


@lru_cache(maxsize=4096)
def _upper_levels(base: str, script_root: str, link: dl.DigitalLink) -> tuple[dl.Level, ...]:
    """The product's and the lot's levels, the same for every label of a lot: built once
    per lot (and per public base and script root, which the links are made of) rather
    than on every label page of the lot."""
    gtin = link.gtin
    product = _public_url("register.product", gtin=gtin)
    levels = [
        dl.Level(
            _anchor(link, 1),
            f"GTIN {gtin}",
            (dl.Link("pip", product, "Product and its lots", "Sản phẩm và các lô"),),
            dl.Link("pip", product, "Product and its lots", "Sản phẩm và các lô"),
        )
    ]
    if link.lot is not None:
        lot = _public_url("register.product_lot", gtin=gtin, lot=link.lot)
        trace = dl.Link("traceability", lot, "Where this lot comes from", "Nguồn gốc của lô")
        levels.append(
            dl.Level(
                _anchor(link, 2),
                f"GTIN {gtin}, lot {link.lot}",
                (
                    trace,
                    dl.Link(
                        "sustainabilityInfo",
                        lot + "#emissions",
                        "Verified emissions of this lot",
                        "Phát thải đã thẩm định của lô",
                    ),
                ),
                trace,
            )
        )
    return tuple(levels)


def _item_level(link: dl.DigitalLink, token: str | None) -> dl.Level:
    serial = link.serial or ""
    if token:
        page = dl.Link(
            ITEM_PAGE,
            _here(link, {"le": token}),
            "Low-emission label and its verdict",
            "Nhãn Phát thải thấp và kết quả kiểm tra",
        )
    else:
        page = dl.Link(
            ITEM_PAGE,
            _public_url("register.label", serial=serial),
            "The register's record of this serial",
            "Hồ sơ của số sê-ri trong sổ đăng ký",
        )
    status = dl.Link(
        "verificationService",
        _public_url("labels_api.label_status", serial=serial),
        "Label status (JSON)",
        "Trạng thái nhãn (JSON)",
        "application/json",
    )
    return dl.Level(_anchor(link, 3), f"GTIN {link.gtin}, serial {serial}", (page, status), page)


def _anchor(link: dl.DigitalLink, depth: int) -> str:
    """The identifier as printed in the QR code."""
    return _public(link.path(depth))


def _public(path: str) -> str:
    """`path` on the registry's public base (PUBLIC_BASE_URL), whatever host the request
    came by: the anchors are the addresses printed in QR codes, so every link beside them
    names the same host, and one answer never mixes two."""
    return f"{current_app.config['PUBLIC_BASE_URL']}{path}"


def _public_url(endpoint: str, **values: Any) -> str:
    return _public(url_for(endpoint, **values))


def _require_known(link: dl.DigitalLink) -> None:
    """404 for an identifier the registry holds nothing about, at the level asked."""
    if not _known(link):
        raise NotFound()


def _known(link: dl.DigitalLink) -> bool:
    if link.serial is not None:
        label = records.label_by_serial(db.session, link.serial)
        return (
            label is not None and label.gtin in (None, link.gtin) and link.lot in (None, label.lot)
        )
    return bool(records.batches_of_gtin(db.session, link.gtin, link.lot))


def _linkset(link: dl.DigitalLink, levels: list[dl.Level], header: str) -> Response:
    _require_known(link)
    response = jsonify(dl.linkset(levels))
    json_asked = request.accept_mimetypes.best in ("application/json", "application/ld+json")
    response.mimetype = "application/json" if json_asked else dl.LINKSET_TYPE
    response.headers["Link"] = (
        f'{header}, <{dl.LINKSET_CONTEXT}>; rel="{dl.JSONLD_CONTEXT_REL}"; '
        'type="application/ld+json"'
    )
    return response


@bp.get("/.well-known/gs1resolver")
def description() -> Any:
    """The resolver description file of GS1-Conformant Resolver §5."""
    return jsonify(
        {
            "name": "Sổ đăng ký nhãn Phát thải thấp / Low-Emission Label Registry",
            "resolverRoot": current_app.config["PUBLIC_BASE_URL"],
            "supportedPrimaryKeys": ["01"],
            "supportedLinkType": [{"namespace": dl.GS1_VOC, "prefix": "gs1:"}],
            "linkTypeDefaultCanBeLinkset": False,
            "supportedContextValuesEnumerated": [],
            "supportedContextValuesExternal": [],
        }
    )
