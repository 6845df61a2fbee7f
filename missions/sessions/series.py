"""Virtual session series: an RFC 5545 recurrence in one zone, materialised in UTC.

The series' zone is the host facility's by default, or the professional's (a New York doctor
teaching Tuesdays 09:00 New York time). Sessions keep that zone's wall-clock time across
daylight-saving changes, and so move in every other zone: the rule is expanded
on naive local date-times, and each occurrence is then placed in the zone (a time that does not
exist on a spring-forward day moves forward by the gap; an ambiguous autumn time takes the first
occurrence).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_SESSIONS = 400


@dataclass(frozen=True)
class Occurrence:
    starts_at: datetime  # UTC
    ends_at: datetime    # UTC


def weekly_rule(weekdays: list[str], weeks: int) -> str:
    """``FREQ=WEEKLY;BYDAY=TU,TH;COUNT=n`` for ``weeks`` weeks of the given days."""
    days = [d for d in WEEKDAYS if d in set(weekdays)]
    return f"FREQ=WEEKLY;BYDAY={','.join(days)};COUNT={len(days) * weeks}"


def localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """Wall-clock time in ``zone``, normalised.

    ``fold=0`` reads a time in a spring-forward gap with the offset before the change, which
    lands it after the gap (01:30 on the night clocks go 01:00→02:00 becomes 02:30), and picks
    the first of the two readings of an ambiguous autumn time.
    """
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)


def occurrences(rule: str, first_day: date, start: time, minutes: int, zone_name: str,
                exdates: list[date] | None = None) -> list[Occurrence]:
    """The series' sessions, in UTC, skipping the excluded local days."""
    zone = ZoneInfo(zone_name)
    excluded = set(exdates or [])
    expanded = rrulestr(rule, dtstart=datetime.combine(first_day, start), forceset=False)
    result = []
    for naive_start in expanded:
        if len(result) >= MAX_SESSIONS:
            break
        if naive_start.date() in excluded:
            continue
        starts_at = localize(naive_start, zone).astimezone(UTC)
        # A session lasts its minutes even across a change of the clocks (an end read as local
        # time could fall before a start moved past a spring-forward gap).
        result.append(Occurrence(starts_at, starts_at + timedelta(minutes=minutes)))
    return result


def local_date(instant: datetime, zone_name: str) -> date:
    """The calendar day ``instant`` falls on in ``zone_name``."""
    return instant.astimezone(ZoneInfo(zone_name)).date()


def day_span(first: date, last: date, zone_name: str) -> tuple[datetime, datetime]:
    """Whole local days ``first``..``last`` (inclusive) in ``zone_name``, as a UTC [start, end)."""
    zone = ZoneInfo(zone_name)
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
