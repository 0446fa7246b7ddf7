"""Language choice: Vietnamese unless the person picked English (remembered per user and
in a cookie for visitors who are not signed in). Machines, which pick nothing, are answered
in the language their Accept-Language header prefers (problem details, docs/api.md)."""

from __future__ import annotations

from datetime import date

from babel import Locale, UnknownLocaleError
from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, format_date, get_locale
from flask_login import current_user

from registry.errors import MACHINE_PREFIXES

LANG_COOKIE = "lang"
# People's dates and times: day first with a four-digit year, on Vietnam's clock
# (BABEL_DEFAULT_TIMEZONE); Babel's own "short" formats write a two-digit year.
DAY = "dd/MM/yyyy"
babel = Babel(
    date_formats={
        **Babel.default_date_formats,
        "date.short": DAY,
        "datetime.short": f"HH:mm {DAY}",
    }
)


def select_locale() -> str:
    """The person's language; the default outside requests (CLI, demo loading)."""
    languages: list[str] = current_app.config["LANGUAGES"]
    if not has_request_context():
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    chosen = request.cookies.get(LANG_COOKIE)
    if current_user and current_user.is_authenticated and current_user.locale:
        chosen = current_user.locale
    if chosen not in languages and request.path.startswith(MACHINE_PREFIXES):
        chosen = request.accept_languages.best_match(languages)
    return chosen if chosen in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(app.root_path) + "/translations",
    )
    app.context_processor(lambda: {"current_locale": lambda: str(get_locale())})
    app.add_template_filter(vn_date)
    app.add_template_filter(language_name)


def vn_date(value: date | None) -> str:
    """The local day of a date, or of a (UTC) time: the day in Vietnam on which it happened."""
    return str(format_date(value, DAY)) if value else ""


def language_name(code: str) -> str:
    """A browser's language tag ("vi", "en-US") as the reader names it ("Tiếng Việt",
    "English (United States)"); an unknown tag is shown as it came."""
    try:
        found = Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return code
    return str(found.get_display_name(get_locale()) or code)
