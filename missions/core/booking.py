"""The booking of a professional's time.

``schedule`` sets a mission's span (and, for virtual work, its series of sessions). ``book``
expects the caller to have bumped the professional's ``booking_version`` first
(``lock_professional``) — an UPDATE, so a row lock on PostgreSQL and the database write lock
on SQLite — then looks for an overlapping active booking (409 naming that mission), then
inserts. The database refuses overlaps on its own too (exclusion constraint / trigger, see
migration 0002), and checks at commit that a mission's active bookings match its status
(migration 0006: ``bookings_for`` a mission in ``HOLDING``, none otherwise), so the rules hold
whatever the path.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError

from diaspora.errors import Conflict, Invalid
from diaspora.needs.models import Need
from diaspora.professionals.models import Professional
from diaspora.vocabulary import Mode

from ..sessions import series
from .models import Booking, Mission, MissionSession
from .vocabulary import SessionStatus


def schedule(mission: Mission, need: Need, data: dict) -> list[series.Occurrence] | None:
    """Set the mission's span (and series); returns the virtual sessions, None for physical."""
    first = data["starts_on"]
    if mission.kind == Mode.PHYSICAL:
        last = data.get("ends_on") or first + timedelta(days=(need.duration_days or 1) - 1)
        if last < first:
            raise Invalid(errors={"ends_on": [_("The last day must not be before the first.")]})
        if first < need.earliest_start or last > need.latest_end:
            raise Invalid(errors={"starts_on": [_("The mission must fit between %(a)s and %(b)s.",
                                                  a=need.earliest_start, b=need.latest_end)]})
        mission.starts_at, mission.ends_at = series.day_span(first, last, mission.timezone)
        return None
    weekdays = data.get("weekdays") or [series.WEEKDAYS[first.weekday()]]
    weeks = data.get("weeks") or need.weeks or 1
    minutes = data.get("session_minutes") or int(round((need.session_hours or 1) * 60))
    start: time = data.get("session_start") or time(14, 0)
    mission.rrule = series.weekly_rule(weekdays, weeks)
    mission.session_start = start
    mission.session_minutes = minutes
    mission.exdates = [d.isoformat() for d in data.get("exdates") or []]
    mission.series_timezone = series_zone(mission, data.get("series_zone"))
    occurrences = series.occurrences(mission.rrule, first, start, minutes, mission.series_timezone,
                                     data.get("exdates"))
    if not occurrences:
        raise Invalid(errors={"weekdays": [_("These settings give no session.")]})
    first_day = series.local_date(occurrences[0].starts_at, mission.timezone)
    last_day = series.local_date(occurrences[-1].starts_at, mission.timezone)
    if first_day < need.earliest_start or last_day > need.latest_end:
        raise Invalid(errors={"starts_on": [_("The sessions must fit between %(a)s and %(b)s.",
                                              a=need.earliest_start, b=need.latest_end)]})
    mission.starts_at, mission.ends_at = occurrences[0].starts_at, occurrences[-1].ends_at
    mission.sessions = [MissionSession(sequence=n, starts_at=o.starts_at, ends_at=o.ends_at,
                                       timezone=mission.series_timezone)
                        for n, o in enumerate(occurrences, start=1)]
    return occurrences


def series_zone(mission: Mission, choice: str | None) -> str:
    """The zone whose wall-clock time the sessions keep: the host's (default) or, e.g. for a
    New York doctor teaching Tuesdays 09:00 New York time, the professional's."""
    if choice == "professional":
        return mission.professional.timezone
    return mission.timezone


def lock_professional(session, professional_id: int) -> None:
    session.execute(sa.update(Professional).where(Professional.id == professional_id)
                    .values(booking_version=Professional.booking_version + 1)
                    .execution_options(synchronize_session=False))


def find_clash(session, professional_id: int, spans, *, ignore_mission: int | None = None) -> Mission | None:
    """The first mission whose active booking overlaps any of ``spans`` ([start, end) pairs)."""
    if not spans:
        return None
    overlaps = sa.or_(*[sa.and_(Booking.starts_at < end, Booking.ends_at > start)
                        for start, end in spans])
    query = (sa.select(Mission).join(Booking, Booking.mission_id == Mission.id)
             .where(Booking.professional_id == professional_id, Booking.active.is_(True), overlaps)
             .order_by(Booking.starts_at).limit(1))
    if ignore_mission is not None:
        query = query.where(Mission.id != ignore_mission)
    return session.scalar(query)


def _spans(mission: Mission, occurrences) -> list[tuple[datetime, datetime]]:
    if occurrences is None:
        return [(mission.starts_at, mission.ends_at)]
    return [(o.starts_at, o.ends_at) for o in occurrences]


def book(session, mission: Mission, occurrences) -> None:
    """Hold the professional's time for ``mission``; 409 naming the clash if it is taken.

    The caller holds the professional's lock (``lock_professional``).
    """
    professional_id = mission.professional.id
    try:
        spans = _spans(mission, occurrences)
        clash = find_clash(session, professional_id, spans, ignore_mission=mission.id)
        if clash is not None:
            raise _clash_error(clash)
        session.flush()  # the mission and its sessions get their ids
        session.add_all(bookings_for(mission))
        session.flush()
    except (IntegrityError, OperationalError) as error:
        # The database's own guard (exclusion constraint, trigger) or a lock that could not be
        # had: report the clash as a person would see it. The failed transaction is rolled
        # back first (the caller's unit of work would roll it back anyway) so the clash can
        # be read.
        session.rollback()
        if not _is_overlap_error(error):
            raise
        clash = find_clash(session, professional_id, _spans(mission, occurrences))
        raise _clash_error(clash) from error


def bookings_for(mission: Mission) -> list[Booking]:
    """The bookings that hold ``mission``'s time: one for its whole span (physical) or one per
    session not cancelled (virtual) — what the database expects of a mission in ``HOLDING``
    (see the models' docstring). The sessions must have their ids (flushed)."""
    professional_id = mission.professional.id
    if mission.kind == Mode.PHYSICAL:
        return [Booking(professional_id=professional_id, mission=mission,
                        starts_at=mission.starts_at, ends_at=mission.ends_at)]
    return [Booking(professional_id=professional_id, mission=mission, session_id=held.id,
                    starts_at=held.starts_at, ends_at=held.ends_at)
            for held in mission.sessions if held.status != SessionStatus.CANCELLED]


def _is_overlap_error(error: Exception) -> bool:
    text = str(getattr(error, "orig", error)).lower()
    return "bookings_no_overlap" in text or "booking overlaps" in text or "database is locked" in text


def _clash_error(clash: Mission | None) -> Conflict:
    if clash is None:
        return Conflict(_("This professional is already booked at that time."))
    return Conflict(
        _("This professional is already booked at that time: mission %(id)s (%(first)s to %(last)s).",
          id=clash.id, first=clash.starts_on, last=clash.ends_on),
        extra={"conflicting_mission": clash.id})


def release(mission: Mission) -> None:
    for booking in mission.bookings:
        booking.active = False
