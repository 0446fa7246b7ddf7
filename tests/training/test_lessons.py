"""The training lessons (/training): every lesson file parses and renders in Vietnamese and
English, links to the calculator with its worked example, shows only the SVGs drawn for it,
stays under the public pages' 60 KB, loads nothing from other sites and carries no script."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask.testing import FlaskClient

from registry.training import lessons as catalogue

PICTURES = "/static/training/"
SVG = "{http://www.w3.org/2000/svg}"
CSS = Path(catalogue.__file__).resolve().parents[1] / "static" / "css" / "public.css"
ALL = catalogue.load_all(PICTURES)
SLUGS = sorted({slug for slug, _lang in ALL})
THIRD_PARTY = re.compile(r'(src|href|action)="(https?:)?//', re.I)


def page(client: FlaskClient, path: str, lang: str) -> str:
    client.get(f"/lang/{lang}")
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_every_lesson_exists_in_both_languages_with_one_worked_example() -> None:
    assert len(SLUGS) >= 8
    for slug in SLUGS:
        vi, en = ALL[slug, "vi"], ALL[slug, "en"]
        assert vi.calculator == en.calculator and vi.calculator["crop"]
        assert vi.title != en.title and vi.html and en.html
    assert sorted(x.order for x in catalogue.in_language(ALL, "vi")) == list(
        range(1, len(SLUGS) + 1)
    )


def test_the_vietnamese_lessons_are_written_with_diacritics() -> None:
    for slug in SLUGS:
        text = ALL[slug, "vi"].title + ALL[slug, "vi"].html
        assert re.search(r"[ăâđêôơưáàảãạếềểễệốồổỗộớờởỡợứừửữự]", text), slug


def test_the_index_lists_lessons_for_each_audience_of_the_plan(client: FlaskClient) -> None:
    html = page(client, "/training", "vi")
    assert '<html lang="vi">' in html
    for name in ("Cán bộ kỹ thuật cơ sở", "Khuyến nông", "Nông dân", "Doanh nghiệp"):
        assert f">{name}</h2>" in html
    for audience, listed in catalogue.by_audience(catalogue.in_language(ALL, "vi")).items():
        section = html.split(f'data-audience="{audience}"')[1].split("</section>")[0]
        assert listed and all(f'href="/training/{x.slug}"' in section for x in listed)
    english = page(client, "/training", "en")
    assert "Farmers" in english and ALL["awd", "en"].title in english


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_lesson_renders_with_its_pictures_and_calculator_link(
    client: FlaskClient, lang: str
) -> None:
    for slug in SLUGS:
        lesson = ALL[slug, lang]
        html = page(client, f"/training/{slug}", lang)
        assert f'<html lang="{lang}">' in html and f"<h1>{lesson.title}</h1>" in html
        link = re.search(r'href="([^"]+)" data-calculator', html)
        assert link, slug
        url = urlsplit(link.group(1).replace("&amp;", "&"))
        assert url.path == "/calculator" and dict(parse_qsl(url.query)) == lesson.calculator
        shown = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', html)
        assert shown and {src for src, _alt in shown} == {PICTURES + p for p in lesson.pictures}
        assert not THIRD_PARTY.search(html) and "<script" not in html.lower()


def test_each_worked_example_opens_the_calculator_with_a_result(client: FlaskClient) -> None:
    for slug in SLUGS:
        lesson = ALL[slug, "vi"]
        response = client.get("/calculator?" + lesson.calculator_query)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and 'id="result"' in html, slug


def test_lesson_pages_weigh_under_60_kb_before_pictures(client: FlaskClient) -> None:
    css = CSS.stat().st_size
    for slug in SLUGS:
        for lang in ("vi", "en"):
            html = page(client, f"/training/{slug}", lang)
            assert len(html.encode()) + css <= 60_000, (slug, lang)


def test_every_picture_is_valid_svg_with_a_title_and_is_used() -> None:
    used = {p for lesson in ALL.values() for p in lesson.pictures}
    files = sorted(catalogue.PICTURES_DIR.glob("*.svg"))
    assert {f.name for f in files} == used
    for svg in files:
        root = ET.parse(svg).getroot()
        assert root.tag == f"{SVG}svg" and root.get("viewBox"), svg.name
        title = root.find(f"{SVG}title")
        assert title is not None and (title.text or "").strip(), svg.name
        assert "http://" not in svg.read_text().replace("http://www.w3.org/2000/svg", "")
        assert not list(root.iter(f"{SVG}script")), svg.name


def test_the_handout_is_the_lesson_alone_laid_out_for_a4(client: FlaskClient) -> None:
    html = page(client, "/training/awd/handout", "vi")
    assert ALL["awd", "vi"].title in html and 'class="handout"' in html
    assert '<header class="top">' not in html and "data-calculator" in html
    assert re.search(r"@page\s*{\s*size:\s*A4", CSS.read_text())


def test_an_unknown_lesson_is_404(client: FlaskClient) -> None:
    assert client.get("/training/no-such-lesson").status_code == 404
    assert client.get("/training/no-such-lesson/handout").status_code == 404


def test_the_public_home_and_footer_link_to_the_lessons(client: FlaskClient) -> None:
    assert 'href="/training"' in client.get("/").get_data(as_text=True)
    assert 'href="/training"' in page(client, "/training/awd", "vi").split('class="foot"')[1]


HEAD = (
    '+++\ntitle = "T"\nsummary = "S"\norder = 1\naudiences = ["nong_dan"]\n'
    '[calculator]\ncrop = "rice"\n+++\n'
)


def lesson_file(tmp_path: Path, body: str, head: str = HEAD) -> Path:
    path = tmp_path / "x.vi.md"
    path.write_text(head + body, encoding="utf-8")
    return path


def test_raw_html_in_a_lesson_is_shown_as_text_never_run(tmp_path: Path) -> None:
    body = (
        '<script>alert(1)</script>\n\nText <img src=x onerror="alert(1)">'
        " [x](javascript:alert(1))\n"
    )
    html = catalogue.parse(lesson_file(tmp_path, body), PICTURES).html
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert "<a" not in html  # markdown-it refuses javascript: links: they stay text


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("![x](https://example.com/a.svg)", "picture"),
        ("![x](photo.png)", "picture"),
        ("![x](../css/public.css)", "picture"),
        ("![x](missing.svg)", "picture"),
        ("[x](https://example.com/)", "leaves the registry"),
        ("[x](//example.com/)", "leaves the registry"),
    ],
)
def test_a_lesson_shows_only_its_own_pictures_and_links(
    tmp_path: Path, body: str, why: str
) -> None:
    with pytest.raises(catalogue.LessonError, match=why):
        catalogue.parse(lesson_file(tmp_path, body), PICTURES)


@pytest.mark.parametrize(
    ("head", "why"),
    [
        ("no front matter\n", "must start"),
        ('+++\ntitle = "T"\n', "no closing"),
        ("+++\ntitle = \n+++\n", "front matter"),
        (HEAD.replace("order = 1\n", ""), "order"),
        (HEAD.replace('"nong_dan"', '"tourists"'), "audiences"),
        (HEAD.replace('[calculator]\ncrop = "rice"\n', "calculator = {}\n"), "calculator"),
    ],
)
def test_a_lesson_with_bad_front_matter_is_refused(tmp_path: Path, head: str, why: str) -> None:
    with pytest.raises(catalogue.LessonError, match=why):
        catalogue.parse(lesson_file(tmp_path, "Text\n", head), PICTURES)
