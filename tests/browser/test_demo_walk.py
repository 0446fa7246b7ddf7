"""A walk through every demo user's pages, and a shopper's, on a 360 px phone in Vietnamese
and in English (issue 18). Each page must speak to people: no code name such as
`water_regime` or `ef_c.south_east_asia` outside <code>, no Unix time, no number without
its thousands grouped or with the other language's decimal mark, no sideways scroll and no
tap target under 24 × 24 px (WCAG 2.2, 2.5.8).

Text meant to be copied as it is (codes, key ids, GPS coordinates) is marked up as such, in
<code> or with a `data-raw` attribute, and a source quoted as published is in <cite>; both are
left out of the word checks, as are the table and equation numbers a lesson cites."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from registry.db import db
from registry.demo import DEMO_PASSWORD, USERS, load_demo
from registry.labels.api import issuer
from registry.labels.models import Label

PHONE, MIN_TARGET = 360, 24
PAGES_PER_WALK = 28  # distinct kinds of page per user and language
MIN_PAGES = 8  # each demo user reaches at least this many kinds of page
SKIP = re.compile(
    r"^/(logout|static|api|lang|\.well-known|log/(tiles|checkpoint|entries))"
    r"|\.(pdf|xlsx|csv|json|jsonld|ndjson|svg|png|jpg|zip|cbor|txt)$|/(download|export)"
)
# What a page shows people: its text without machine text, and what it measures.
READ_PAGE = """min => {
  const machine = 'code, pre, kbd, samp, cite, script, style, noscript, template, [data-raw]';
  const texts = [], walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.textContent.trim() && !n.parentElement.closest(machine)) texts.push(n.textContent);
  }
  const small = [...document.querySelectorAll('a, button, input, select, summary')]
    .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
    .map(e => [e, e.getBoundingClientRect()])
    .filter(([e, r]) => r.width < min || r.height < min)
    .map(([e, r]) => `${e.tagName} "${(e.textContent || e.name || '').trim().slice(0, 30)}"`
      + ` ${Math.round(r.width)}×${Math.round(r.height)}`);
  const links = [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'));
  return {texts: texts.map(t => t.replace(/\\s+/g, ' ')), small, links,
          width: document.documentElement.scrollWidth};
}"""
# Not words to check: e-mail addresses, addresses, paths, and standards named with their
# version ("EPCIS 2.0"), which stay as published in every language.
NOT_WORDS = re.compile(
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+|https?://\S+|(?<!\w)/[\w/.-]+|\b[A-Z][A-Za-z0-9]+ \d+(\.\d+)+"
)
# A table, equation or figure number cited from a source ("Bảng 11.1", "Table 5.12 and 5.14",
# "Phương trình 11.13") is a section number, not a decimal.
REFERENCE = re.compile(
    r"\b(?:Bảng|Table|Phương trình|Equation|Eq\.|Hình|Figure)\s+\d+(?:\.\d+)+"
    r"(?:\s*(?:,|và|and)\s*\d+(?:\.\d+)+)*"
)
RAW_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[a-z]+\.[A-Za-z0-9]+\.[a-z0-9_]+\b")
UNIX_TIME = re.compile(r"(?<![\d.,])1[5-9]\d{8}(?![\d.,])")
UNGROUPED = re.compile(r"(?<![\w.,/:#·-])\d{5,}(?![\w.,/:])")
LONG_DECIMAL = re.compile(r"\d[.,]\d{5,}\b")
WRONG_MARK = {  # a decimal mark of the other language: 2.5 in Vietnamese, 2,5 in English
    "vi": re.compile(r"(?<![\d.,])\d+\.\d{1,2}(?![\d.,])"),
    "en": re.compile(r"(?<![\d.,])\d+,\d{1,2}(?![\d.,])"),
}


def shape(path: str) -> str:
    """Pages of one kind count once: /batches/12 and /batches/13 are both /batches/N."""
    return re.sub(r"/[^/]*\d[^/]*", "/N", urlsplit(path).path)


def problems_of(page: dict[str, Any], locale: str) -> list[str]:
    found = []
    if page["width"] > PHONE:
        found.append(f"scrolls sideways: {page['width']} px")
    found += [f"small tap target {s}" for s in page["small"]]
    words = " ¦ ".join(REFERENCE.sub(" ", NOT_WORDS.sub(" ", text)) for text in page["texts"])
    checks = (
        ("code name", RAW_CODE),
        ("Unix time", UNIX_TIME),
        ("number without grouping", UNGROUPED),
        ("unrounded number", LONG_DECIMAL),
        ("decimal mark of the other language", WRONG_MARK[locale]),
    )
    for what, pattern in checks:
        for hit in pattern.finditer(words):
            around = words[max(hit.start() - 30, 0) : hit.end() + 30].strip()
            found.append(f"{what} {hit.group()!r} in “{around}”")
    return found


def walk(phone: Any, start: str, locale: str) -> tuple[dict[str, list[str]], int]:
    """Breadth-first from `start` over the site's own pages: the problems by path, and
    how many pages were read."""
    phone.goto(f"/lang/{locale}")
    seen, queue, report = {shape(start)}, deque([start]), {}
    read = 0
    while queue and read < PAGES_PER_WALK:
        path = queue.popleft()
        response = phone.goto(path)
        assert response is not None and response.status < 500, path
        if response.status >= 400 or not phone.url.startswith(phone.base_url):
            continue
        read += 1
        page = phone.evaluate(READ_PAGE, MIN_TARGET)
        if found := problems_of(page, locale):
            report[path] = found
        for href in page["links"]:
            local = urlsplit(href)
            if local.netloc or not local.path.startswith("/") or SKIP.search(local.path):
                continue
            if shape(local.path) not in seen:
                seen.add(shape(local.path))
                queue.append(local.path + (f"?{local.query}" if local.query else ""))
    return report, read


@pytest.fixture
def demo_site(app: Flask, live_server: str) -> Iterator[str]:
    with app.app_context():
        load_demo(db.session, Path(app.instance_path), issuer())
        db.session.commit()
    yield live_server


@pytest.fixture
def walker(browser: Any, demo_site: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": PHONE, "height": 740}, base_url=demo_site)
    page = context.new_page()
    page.base_url = demo_site
    yield page
    context.close()


def sign_in(phone: Any, email: str) -> None:
    phone.context.clear_cookies()
    phone.goto("/login")
    phone.fill("input[name=email]", email)
    phone.fill("input[name=password]", DEMO_PASSWORD)
    phone.click("form button[type=submit]")
    phone.wait_for_load_state()
    assert "/login" not in phone.url, email


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_every_demo_page_speaks_to_people_on_a_phone(app: Flask, walker: Any, locale: str) -> None:
    report: dict[str, dict[str, list[str]]] = {}
    for _org, email, _person, _roles in USERS:
        sign_in(walker, email)
        report[email], read = walk(walker, "/dashboard", locale)
        assert read >= MIN_PAGES, f"{email} reached only {read} pages"
    walker.context.clear_cookies()
    with app.app_context():
        serials = db.session.scalars(db.select(Label.serial).where(Label.parent_id.is_(None)))
        label_pages = [f"/l/{serial}" for serial in serials]
    shopper: dict[str, list[str]] = {}
    for start in ["/", *label_pages]:
        shopper |= walk(walker, start, locale)[0]
    report["shopper"] = shopper
    found = {who: pages for who, pages in report.items() if pages}
    assert not found, "\n".join(
        f"{who} {path}: {p}"
        for who, pages in found.items()
        for path, ps in pages.items()
        for p in ps
    )
