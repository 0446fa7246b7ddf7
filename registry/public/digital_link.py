"""GS1 Digital Link paths and the links a GS1-Conformant resolver answers with, pure.

`parse_path` reads `/01/{gtin}[/22/{cpv}][/10/{lot}][/21/{serial}]` (qualifiers in that
order, a trailing slash tolerated) and refuses anything else with `BadPath`, which the
resolver turns into 400 as the standard asks. A GTIN-8, -12 or -13 is read as its GTIN-14.

Links follow the GS1 Web Vocabulary (`https://ref.gs1.org/voc/`): each level of the path
(product, lot, item) has its links and one default; `linkset` is the RFC 9264 JSON a
resolver returns for `linkType=linkset` (or `all`, the name of version 1.0), `link_header`
the HTTP Link header it sends with every answer, and `choose` the link a `linkType` asks
for, looked for from the most specific level up, the default when none has it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from registry.labels.gs1 import normalise_gtin

GS1_VOC = "https://ref.gs1.org/voc/"
LINKSET_TYPE = "application/linkset+json"
LINKSET_CONTEXT = "https://ref.gs1.org/standards/resolver/linkset-context"
JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
ALL = ("linkset", "all")
# GS1 AI 10, 21 and 22 take up to 20 characters of GS1 character set 82.
_CSET82 = re.compile(r"""[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}""")
_QUALIFIERS = ("22", "10", "21")  # the order GS1 Digital Link fixes for a GTIN
_VOC_PREFIXES = ("gs1:", GS1_VOC, "http://ref.gs1.org/voc/", "https://gs1.org/voc/",
                 "http://gs1.org/voc/")  # fmt: skip


class BadPath(ValueError):
    """Not a GS1 Digital Link URI path this resolver can read (answered with 400)."""


@dataclass(frozen=True)
class DigitalLink:
    gtin: str
    lot: str | None = None
    serial: str | None = None
    cpv: str | None = None  # consumer product variant: read, not resolved on

    def path(self, depth: int = 3) -> str:
        """The canonical path to the product (1), the lot (2) or the item (3)."""
        parts = [("01", self.gtin), ("10", self.lot), ("21", self.serial)][:depth]
        return "".join(f"/{ai}/{quote(v, safe='')}" for ai, v in parts if v is not None)


def parse_path(path: str) -> DigitalLink:
    segments = path.strip("/").split("/")
    if len(segments) % 2 or segments[0] != "01":
        raise BadPath("a GS1 Digital Link path is /01/{gtin} then pairs of AI and value")
    try:
        gtin = normalise_gtin(segments[1])
    except ValueError as exc:
        raise BadPath(str(exc)) from exc
    values: dict[str, str] = {}
    last = -1
    for ai, value in zip(segments[2::2], segments[3::2], strict=True):
        if ai not in _QUALIFIERS or _QUALIFIERS.index(ai) <= last:
            raise BadPath(f"AI {ai!r} is not a qualifier of a GTIN here (22, 10, 21 in order)")
        if not _CSET82.fullmatch(value):
            raise BadPath(f"AI {ai} value is not 1-20 characters of GS1 character set 82")
        last = _QUALIFIERS.index(ai)
        values[ai] = value
    return DigitalLink(gtin, values.get("10"), values.get("21"), values.get("22"))


@dataclass(frozen=True)
class Link:
    rel: str  # a GS1 Web Vocabulary term: pip, traceability, certificationInfo…
    href: str
    title: str  # English, plain ASCII: it goes into HTTP headers
    title_vi: str
    type: str = "text/html"


@dataclass(frozen=True)
class Level:
    anchor: str
    description: str
    links: tuple[Link, ...]
    default: Link


def link_type(requested: str | None) -> str | None:
    """The vocabulary term a `linkType` names (CURIE or URI), `linkset` for the whole list,
    None when none was asked for."""
    if not requested:
        return None
    if requested in ALL:
        return "linkset"
    for prefix in _VOC_PREFIXES:
        if requested.startswith(prefix):
            return requested[len(prefix) :]
    return requested


def choose(levels: list[Level], rel: str | None) -> Link:
    """The link of type `rel` of the most specific level that has one; else the default
    of the most specific level."""
    for level in reversed(levels):
        for link in level.links:
            if link.rel == rel:
                return link
    return levels[-1].default


def _link_object(link: Link) -> dict[str, Any]:
    return {
        "href": link.href,
        "title": link.title,
        "title*": [{"value": link.title_vi, "language": "vi"}],
        "type": link.type,
        "hreflang": ["vi", "en"],
    }


def linkset(levels: list[Level]) -> dict[str, Any]:
    """RFC 9264 JSON: one context object per level, links keyed by their full relation URI,
    the default as `defaultLink`."""
    contexts = []
    for level in levels:
        context: dict[str, Any] = {"anchor": level.anchor, "itemDescription": level.description}
        for link in level.links:
            context.setdefault(GS1_VOC + link.rel, []).append(_link_object(link))
        context[GS1_VOC + "defaultLink"] = [_link_object(level.default)]
        contexts.append(context)
    return {"linkset": contexts}


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def link_header(levels: list[Level], linkset_href: str) -> str:
    """Every link of every level, then the linkset itself (RFC 8288 syntax)."""
    parts = [
        f'<{link.href}>; rel="{GS1_VOC}{link.rel}"; title="{_quoted(link.title)}"; '
        f'type="{link.type}"; hreflang="vi"; hreflang="en"'
        for level in levels
        for link in level.links
    ]
    parts.append(f'<{linkset_href}>; rel="linkset"; type="{LINKSET_TYPE}"; title="All links"')
    return ", ".join(parts)
