"""The lessons: Markdown files with TOML front matter, one per language
(``<slug>.<lang>.md`` in ``lessons/``), rendered by markdown-it-py with raw HTML off.

A lesson may show only pictures drawn for the lessons (SVG files in
``registry/static/training``) and link only within the registry, so a lesson page never
loads anything from another site and never carries a script, whatever a pull request adds.
A file that breaks these rules stops the loading with a `LessonError` naming the file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from markdown_it import MarkdownIt
from markdown_it.token import Token

LESSONS_DIR = Path(__file__).resolve().parent / "lessons"
PICTURES_DIR = Path(__file__).resolve().parents[1] / "static" / "training"
LANGUAGES = ("vi", "en")
AUDIENCES = ("can_bo", "khuyen_nong", "nong_dan", "doanh_nghiep")
FENCE = "+++"
REQUIRED = {"title": str, "summary": str, "order": int, "audiences": list, "calculator": dict}


class LessonError(ValueError):
    """A lesson file that cannot be shown as it is."""


@dataclass(frozen=True)
class Lesson:
    """One lesson in one language."""

    slug: str
    lang: str
    title: str
    summary: str
    order: int
    audiences: tuple[str, ...]
    calculator: dict[str, str]
    html: str
    pictures: tuple[str, ...] = field(default=())

    @property
    def calculator_query(self) -> str:
        """The calculator's query string that fills in the lesson's worked example."""
        return urlencode(self.calculator)


def _markdown() -> MarkdownIt:
    # commonmark with html off: raw HTML in a lesson is shown as text, never as markup.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def split_front_matter(text: str, name: str) -> tuple[dict[str, Any], str]:
    """The TOML between the first two ``+++`` lines, and the Markdown after them."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FENCE:
        raise LessonError(f"{name}: must start with a +++ line (TOML front matter)")
    try:
        end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == FENCE)
    except StopIteration:
        raise LessonError(f"{name}: front matter has no closing +++ line") from None
    try:
        meta = tomllib.loads("".join(lines[1:end]))
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(f"{name}: front matter: {exc}") from exc
    return meta, "".join(lines[end + 1 :])


def _check_meta(meta: dict[str, Any], name: str) -> None:
    for key, kind in REQUIRED.items():
        if not isinstance(meta.get(key), kind):
            raise LessonError(f"{name}: front matter needs {key} ({kind.__name__})")
    unknown = set(meta["audiences"]) - set(AUDIENCES)
    if unknown or not meta["audiences"]:
        raise LessonError(f"{name}: audiences must be some of {', '.join(AUDIENCES)}")
    if not meta["calculator"] or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool)
        for v in meta["calculator"].values()
    ):
        raise LessonError(f"{name}: calculator must be a table of query parameters")


def _walk(tokens: list[Token]) -> list[Token]:
    found: list[Token] = []
    for token in tokens:
        found.append(token)
        if token.children:
            found.extend(_walk(token.children))
    return found


def _check_links(tokens: list[Token], name: str, picture_url: str) -> tuple[str, ...]:
    """Point each picture at its file under static/training; refuse other pictures and
    links that leave the registry. Returns the pictures' file names."""
    pictures: list[str] = []
    for token in _walk(tokens):
        if token.type == "image":
            src = str(token.attrs.get("src", ""))
            if "/" in src or not src.endswith(".svg") or not (PICTURES_DIR / src).is_file():
                raise LessonError(f"{name}: picture {src!r} is not an SVG in static/training")
            pictures.append(src)
            token.attrSet("src", picture_url + src)
        elif token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            if not href.startswith(("/", "#")) or href.startswith("//"):
                raise LessonError(f"{name}: link {href!r} leaves the registry")
    return tuple(pictures)


def parse(path: Path, picture_url: str) -> Lesson:
    """One lesson file as a `Lesson`; `picture_url` is the URL of static/training/."""
    slug, lang = path.name.removesuffix(".md").rsplit(".", 1)
    meta, body = split_front_matter(path.read_text(encoding="utf-8"), path.name)
    _check_meta(meta, path.name)
    md = _markdown()
    tokens = md.parse(body)
    pictures = _check_links(tokens, path.name, picture_url)
    html = md.renderer.render(tokens, md.options, {})
    return Lesson(
        slug=slug,
        lang=lang,
        title=meta["title"],
        summary=meta["summary"],
        order=meta["order"],
        audiences=tuple(meta["audiences"]),
        calculator={k: str(v) for k, v in meta["calculator"].items()},
        html=html,
        pictures=pictures,
    )


@cache
def load_all(picture_url: str) -> dict[tuple[str, str], Lesson]:
    """Every lesson by (slug, language), read once per process. Each slug must exist in
    every language with the same order, audiences and worked example."""
    found = {}
    for path in sorted(LESSONS_DIR.glob("*.md")):
        lesson = parse(path, picture_url)
        if lesson.lang not in LANGUAGES:
            raise LessonError(f"{path.name}: language must be one of {', '.join(LANGUAGES)}")
        found[lesson.slug, lesson.lang] = lesson
    for (slug, _lang), lesson in found.items():
        for other in LANGUAGES:
            twin = found.get((slug, other))
            if twin is None:
                raise LessonError(f"{slug}: no {other} version")
            if (twin.order, twin.audiences, twin.calculator) != (
                lesson.order,
                lesson.audiences,
                lesson.calculator,
            ):
                raise LessonError(f"{slug}: order, audiences or calculator differ by language")
    return found


def in_language(lessons: dict[tuple[str, str], Lesson], lang: str) -> list[Lesson]:
    """The lessons of one language in their order."""
    return sorted((x for (_s, la), x in lessons.items() if la == lang), key=lambda x: x.order)


def by_audience(lessons: list[Lesson]) -> dict[str, list[Lesson]]:
    """The lessons each audience of the plan should read, audiences in the plan's order."""
    return {a: [x for x in lessons if a in x.audiences] for a in AUDIENCES}
