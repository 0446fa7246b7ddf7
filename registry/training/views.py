"""/training: the lessons index by audience, each lesson, and its printable handout.
Public pages in the light layout (templates/public/_page.html): no sign-in, no script."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from registry.training import lessons as catalogue

bp = Blueprint("training", __name__, url_prefix="/training")

AUDIENCE_NAMES = {
    "can_bo": _l("Local technical staff"),
    "khuyen_nong": _l("Agricultural extension workers"),
    "nong_dan": _l("Farmers"),
    "doanh_nghiep": _l("Businesses"),
}


def _lessons() -> dict[tuple[str, str], catalogue.Lesson]:
    return catalogue.load_all(url_for("static", filename="training/"))


def _lesson(slug: str) -> catalogue.Lesson:
    found = _lessons().get((slug, str(get_locale())))
    if found is None:
        abort(404)
    return found


def calculator_link(lesson: catalogue.Lesson) -> str:
    """The public calculator with the lesson's worked example filled in."""
    return url_for("calculator.page") + "?" + lesson.calculator_query


@bp.get("")
def index() -> str:
    listed = catalogue.in_language(_lessons(), str(get_locale()))
    return render_template(
        "training/index.html",
        lessons=listed,
        audiences=catalogue.by_audience(listed),
        audience_names=AUDIENCE_NAMES,
    )


@bp.get("/<slug>")
def lesson(slug: str) -> str:
    found = _lesson(slug)
    listed = catalogue.in_language(_lessons(), found.lang)
    at = listed.index(found)
    return render_template(
        "training/lesson.html",
        lesson=found,
        calculator=calculator_link(found),
        previous=listed[at - 1] if at else None,
        next=listed[at + 1] if at + 1 < len(listed) else None,
    )


@bp.get("/<slug>/handout")
def handout(slug: str) -> str:
    found = _lesson(slug)
    return render_template("training/handout.html", lesson=found, calculator=calculator_link(found))
