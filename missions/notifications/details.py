"""The facts a person needs to decide on a mission, for the e-mail that asks them: where, how
(in person or online), when (in their own zone), the sessions and how long it lasts.

Rendered in the current locale (the mailer forces the recipient's); dates in long form, times
on the 24-hour clock without seconds, with the zone they are in.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, get_day_names
from babel.numbers import format_decimal
from flask_babel import get_locale, gettext as _, ngettext

from diaspora import reference
from diaspora.vocabulary import Mode

from ..core.models import Mission
from ..core.vocabulary import SessionStatus
from ..sessions.series import WEEKDAYS


def facts(mission: Mission, zone: str) -> list[tuple[str, str]]:
    """``(label, value)`` rows for ``mission``, seen from ``zone`` (the reader's)."""
    facility = mission.facility
    where = ", ".join(part for part in (facility.name, facility.admin1,
                                        reference.country_name(facility.country)) if part)
    rows = [(_("Facility"), where), (_("Mode"), str(Mode.label_of(mission.kind)))]
    if mission.kind == "physical":
        days = (mission.ends_on - mission.starts_on).days + 1
        rows += [(_("Dates"), _("%(first)s to %(last)s (the host's days)",
                                first=_day(mission.starts_on), last=_day(mission.ends_on))),
                 (_("Duration"), ngettext("%(num)d day", "%(num)d days", days))]
        return rows
    sessions = [s for s in mission.sessions if s.status != SessionStatus.CANCELLED]
    if not sessions:
        return rows
    first, last = sessions[0], sessions[-1]
    minutes = mission.session_minutes or int((first.ends_at - first.starts_at).total_seconds() // 60)
    rows += [
        (_("Dates"), _("%(first)s to %(last)s", first=_moment(first.starts_at, zone),
                       last=_moment(last.starts_at, zone))),
        (_("Sessions"), ngettext("%(num)d session", "%(num)d sessions", len(sessions))
         + " · " + _weekly(mission, zone)),
        (_("Duration"), ngettext("%(num)d minute each", "%(num)d minutes each", minutes)
         + " · " + _("%(hours)s hours in all", hours=_hours(minutes * len(sessions)))),
    ]
    if mission.join_url:
        rows.append((_("Join link"), mission.join_url))
    return rows


def _day(day) -> str:
    return format_date(day, "long", locale=get_locale())


def _moment(instant: datetime, zone: str) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    return f"{format_date(local.date(), 'long', locale=get_locale())} {local:%H:%M} {local:%Z}"


def _weekly(mission: Mission, zone: str) -> str:
    """e.g. "Tuesday, Thursday at 18:00 Europe/London (19:00 CEST for you)"."""
    names = get_day_names("wide", locale=get_locale())
    parts = dict(part.split("=", 1) for part in (mission.rrule or "").split(";") if "=" in part)
    chosen = set(parts.get("BYDAY", "").split(","))
    days = ", ".join(names[index] for index, code in enumerate(WEEKDAYS) if code in chosen)
    series_zone = mission.series_timezone or mission.timezone
    first = mission.sessions[0].starts_at
    text = _("%(days)s at %(time)s %(zone)s", days=days,
             time=f"{first.astimezone(ZoneInfo(series_zone)):%H:%M}", zone=series_zone)
    if zone != series_zone:
        local = first.astimezone(ZoneInfo(zone))
        text += " " + _("(%(time)s %(abbreviation)s for you)", time=f"{local:%H:%M}",
                        abbreviation=f"{local:%Z}")
    return text


def _hours(minutes: int) -> str:
    return format_decimal(round(minutes / 60, 1), format="#,##0.#", locale=get_locale())
