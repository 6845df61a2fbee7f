"""Language and time-zone selection, and display helpers for dates and instants."""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, dates as babel_dates
from babel.numbers import format_decimal
from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_datetime, get_locale, get_timezone
from flask_login import current_user

from .extensions import babel
from .reference import is_timezone

LANGUAGE_COOKIE = "lang"


def select_locale() -> str | None:
    """The user's setting, else a ``?lang=`` choice remembered in a cookie, else the browser's."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = request.args.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str | None:
    if not has_request_context():
        return current_app.config["DEFAULT_TIMEZONE"]
    if current_user and current_user.is_authenticated and is_timezone(current_user.timezone):
        return current_user.timezone
    return current_app.config["DEFAULT_TIMEZONE"]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_translation_directories=str(app.root_path + "/../translations"))

    @app.after_request
    def remember_language(response):
        chosen = request.args.get("lang")
        if chosen in app.config["LANGUAGES"]:
            response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax",
                                secure=app.config["SESSION_COOKIE_SECURE"], httponly=True)
        return response

    app.jinja_env.filters["instant"] = show_instant
    app.jinja_env.filters["day"] = show_date
    app.jinja_env.filters["in_zone"] = show_in_zone
    app.jinja_env.filters["figure"] = figure


def figure(value, digits: int = 0) -> str:
    """A number in the viewer's locale (1,960 · 1 960 · 1.960), "—" when there is none."""
    if value is None:
        return "—"
    return _figure(str(get_locale()), round(value, digits), digits)


@lru_cache(maxsize=4096)  # a dashboard formats thousands of small numbers, mostly the same
def _figure(locale: str, value, digits: int) -> str:
    return format_decimal(value, format="#,##0" + ("." + "0" * digits if digits else ""),
                          locale=locale)


# Times are 24-hour without seconds in every language; English dates are British, day first
# ("6 Apr 2026", "06/04/2026"): "1/5/27" reads as 1 May in Accra and London.
TIME_PATTERN = "HH:mm"
DATE_LOCALE = {"en": "en_GB"}


@lru_cache(maxsize=64)
def date_pattern(locale: str, format: str = "medium") -> str:
    """The CLDR date pattern (short, medium, long, full) for ``locale``, English day-first."""
    return Locale.parse(DATE_LOCALE.get(locale, locale)).date_formats[format].pattern


def datetime_pattern(locale: str, format: str = "medium") -> str:
    return f"{date_pattern(locale, format)} {TIME_PATTERN}"


def show_instant(value: datetime | None, format: str = "medium") -> str:
    """An instant in the viewer's zone, with the zone's abbreviation."""
    if value is None:
        return ""
    return (format_datetime(value, datetime_pattern(str(get_locale()), format)) + " "
            + value.astimezone(get_timezone()).strftime("%Z"))


def show_in_zone(value: datetime | None, zone: str, format: str = "medium") -> str:
    """An instant in a given IANA zone (e.g. the host facility's), labelled with the zone."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(zone))
    pattern = datetime_pattern(str(get_locale()), format)
    shown = babel_dates.format_datetime(local, pattern, tzinfo=ZoneInfo(zone), locale=get_locale())
    return f"{shown} {local.strftime('%Z')} ({zone.replace('_', ' ')})"


def show_date(value: date | None, format: str = "medium") -> str:
    """A day in the viewer's language (a datetime: its day in the viewer's zone)."""
    if value is None:
        return ""
    return format_date(value, date_pattern(str(get_locale()), format))
