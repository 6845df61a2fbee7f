"""iCalendar (RFC 5545) for missions: a file per mission, a private feed per person, and the
invitations e-mailed with proposals, confirmations and changes (RFC 5546 iTIP).

- A physical mission is one all-day event over its days in the host's zone (DATE values: the
  same days wherever the calendar is read), with a reminder the day before.
- A virtual mission is ONE recurring event: the series' first session, its weekly RRULE up to
  the last session, and an EXDATE for each day left out or session called off, timed in the
  series' zone (TZID) so calendar programs place every session right on both sides of a
  daylight-saving change, with a reminder a quarter of an hour before each session. A series
  that a rule cannot describe (never made by this app, but checked) falls back to one event
  per session.
- Every zone a time is written in has its VTIMEZONE, even zones such as Africa/Accra that
  keep UTC's offset (written as ``TZID=Africa/Accra``, not as UTC, so calendars show the
  host's zone).
- UIDs are stable (``mission-<id>@<host>``, ``series-<id>@<host>``); SEQUENCE grows with each
  change of the mission (its history, plus one per cancelled session) and DTSTAMP /
  LAST-MODIFIED are its last update, so a refreshed feed, a re-imported file or a later
  invitation replaces the event. Cancelled and declined missions stay as STATUS:CANCELLED.
- METHOD: PUBLISH for files and feeds (feeds also say how often to refresh them), REQUEST or
  CANCEL for invitations, with the programme as ORGANIZER and the recipient as ATTENDEE.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vDuration, vText

from diaspora.vocabulary import Mode

from ..core.models import Mission, MissionSession
from ..core.vocabulary import MissionStatus, SessionStatus
from ..sessions import series

PRODID = "-//Diaspora Skills Registry//Missions//EN"
EVENT_STATUS = {MissionStatus.CANCELLED: "CANCELLED", MissionStatus.DECLINED: "CANCELLED",
                MissionStatus.PROPOSED: "TENTATIVE", MissionStatus.ACCEPTED: "TENTATIVE",
                MissionStatus.POSTPONED: "TENTATIVE"}
# How often a subscribed feed should be fetched again (RFC 7986, and Outlook's X- property).
FEED_REFRESH = timedelta(hours=1)
SESSION_ALARM = timedelta(minutes=-15)
DAY_ALARM = timedelta(days=-1)   # before an all-day event: the day before, at midnight


def calendar(missions: list[Mission], *, name: str, refresh: timedelta | None = None) -> bytes:
    """A calendar to publish: a mission's file (``refresh`` None) or a feed."""
    cal = _calendar("PUBLISH")
    # An X- property has no known value type, so icalendar would write it verbatim: as TEXT it
    # is escaped like SUMMARY (a line break in a need's title becomes "\n", not a broken file).
    cal.add("x-wr-calname", vText(name))
    if refresh is not None:
        cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", vDuration(refresh))
    return _finish(cal, [event for mission in missions for event in events(mission)])


def invitation(mission: Mission, *, attendee, method: str) -> bytes:
    """The mission as an iTIP message to one person: REQUEST (proposed, confirmed, changed)
    or CANCEL (called off, declined, postponed)."""
    cal = _calendar(method)
    mission_events = events(mission, cancel=method == "CANCEL")
    for event in mission_events:
        event.add("organizer", _organizer(mission))
        address = vCalAddress(f"mailto:{attendee.email}")
        address.params.update({"CN": attendee.name, "ROLE": "REQ-PARTICIPANT", "RSVP": "FALSE",
                               "PARTSTAT": _partstat(mission)})
        event.add("attendee", address)
    return _finish(cal, mission_events)


def _calendar(method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    return cal


def _finish(cal: Calendar, all_events: list[Event]) -> bytes:
    """The VTIMEZONE of every zone the events use, then the events."""
    zones = sorted({str(prop.params["TZID"]) for event in all_events
                    for prop in _timed(event) if "TZID" in prop.params})
    if zones:
        days = [prop.dt.date() for event in all_events for prop in _timed(event)]
        first, last = min(days) - timedelta(days=366), max(days) + timedelta(days=366)
        for zone in zones:
            cal.add_component(Timezone.from_tzid(zone, first_date=first, last_date=last))
    for event in all_events:
        cal.add_component(event)
    return cal.to_ical()


def _timed(event: Event) -> list:
    values = [event[name] for name in ("DTSTART", "DTEND") if name in event]
    exdates = event.get("EXDATE")
    for exdate in (exdates if isinstance(exdates, list) else [exdates] if exdates else []):
        values.extend(exdate.dts)
    return [value for value in values if isinstance(value.dt, datetime)]


def events(mission: Mission, *, cancel: bool = False) -> list[Event]:
    if mission.kind == Mode.PHYSICAL:
        found = [_mission_event(mission)]
    else:
        found = _series_events(mission)
    if cancel:
        for event in found:
            event["STATUS"] = vText("CANCELLED")
    for event in found:
        if str(event["STATUS"]) != "CANCELLED":
            event.add_component(_alarm(mission, DAY_ALARM if mission.kind == Mode.PHYSICAL
                                       else SESSION_ALARM))
    return found


def sequence(mission: Mission) -> int:
    return len(mission.events) - 1


def _mission_event(mission: Mission) -> Event:
    event = _event(mission, f"mission-{mission.id}", sequence(mission), mission_status(mission))
    event.add("dtstart", mission.starts_on)
    event.add("dtend", mission.ends_on + timedelta(days=1))  # DATE end is exclusive
    event.add("transp", "OPAQUE")
    return event


def _series_events(mission: Mission) -> list[Event]:
    """One recurring event for the series, else (a series no rule describes) one per session."""
    sessions = list(mission.sessions)
    if not sessions:
        return []
    cancelled = [s for s in sessions if s.status == SessionStatus.CANCELLED]
    series_event = _series_event(mission, sessions, cancelled)
    if series_event is not None:
        return [series_event]
    return [_session_event(mission, s) for s in sessions]


def _weekdays(rule: str | None) -> list[str]:
    parts = dict(part.split("=", 1) for part in (rule or "").split(";") if "=" in part)
    if parts.get("FREQ") != "WEEKLY" or not parts.get("BYDAY"):
        return []
    return parts["BYDAY"].split(",")


def _series_event(mission: Mission, sessions: list[MissionSession],
                  cancelled: list[MissionSession]) -> Event | None:
    weekdays, zone_name = _weekdays(mission.rrule), sessions[0].timezone
    if not weekdays or mission.session_start is None or not mission.session_minutes:
        return None
    first_day = series.local_date(sessions[0].starts_at, zone_name)
    last_day = series.local_date(sessions[-1].starts_at, zone_name)
    excluded = sorted({date.fromisoformat(d) for d in mission.exdates or []
                       if first_day <= date.fromisoformat(d) <= last_day}
                      | {series.local_date(s.starts_at, zone_name) for s in cancelled})
    until = datetime.combine(last_day, mission.session_start)
    rule = f"FREQ=WEEKLY;BYDAY={','.join(weekdays)};UNTIL={until:%Y%m%dT%H%M%S}"
    expected = [s.starts_at for s in sessions if s.status != SessionStatus.CANCELLED]
    described = series.occurrences(rule, first_day, mission.session_start, mission.session_minutes,
                                   zone_name, excluded)
    if [o.starts_at for o in described] != expected or len(expected) + len(cancelled) != len(sessions):
        return None
    status = mission_status(mission) if expected else "CANCELLED"
    event = _event(mission, f"series-{mission.id}", sequence(mission) + len(cancelled), status)
    start = datetime.combine(first_day, mission.session_start)
    _add_local(event, "dtstart", start, zone_name)
    event.add("duration", timedelta(minutes=mission.session_minutes))
    event.add("rrule", {"FREQ": "WEEKLY", "BYDAY": weekdays,
                        "UNTIL": sessions[-1].starts_at.astimezone(UTC)})
    if excluded:
        _add_local(event, "exdate", [datetime.combine(day, mission.session_start) for day in excluded],
                   zone_name)
    return event


def _add_local(event: Event, name: str, value, zone_name: str) -> None:
    """Wall-clock time(s) in ``zone_name``, written with that TZID (UTC as UTC)."""
    if zone_name == "UTC":
        values = value if isinstance(value, list) else [value]
        aware = [v.replace(tzinfo=UTC) for v in values]
        event.add(name, aware if isinstance(value, list) else aware[0])
    else:
        event.add(name, value, parameters={"TZID": zone_name})


def _session_event(mission: Mission, mission_session: MissionSession) -> Event:
    cancelled = mission_session.status == SessionStatus.CANCELLED
    event = _event(mission, f"session-{mission_session.id}", sequence(mission) + cancelled,
                   "CANCELLED" if cancelled else mission_status(mission))
    zone = ZoneInfo(mission_session.timezone)
    for name, instant in (("dtstart", mission_session.starts_at), ("dtend", mission_session.ends_at)):
        _add_local(event, name, instant.astimezone(zone).replace(tzinfo=None), mission_session.timezone)
    return event


def mission_status(mission: Mission) -> str:
    return EVENT_STATUS.get(mission.status, "CONFIRMED")


def _partstat(mission: Mission) -> str:
    if mission.status in (MissionStatus.PROPOSED, MissionStatus.POSTPONED):
        return "NEEDS-ACTION"
    return "DECLINED" if mission.status == MissionStatus.DECLINED else "ACCEPTED"


def _summary(mission: Mission) -> str:
    return f"{mission.need.title} — {mission.facility.name}"


def _event(mission: Mission, name: str, revision: int, status: str) -> Event:
    event = Event()
    event.add("uid", f"{name}@{uid_domain()}")
    event.add("dtstamp", mission.updated_at)
    event.add("last-modified", mission.updated_at)
    event.add("created", mission.created_at)
    event.add("sequence", revision)
    event.add("summary", _summary(mission))
    event.add("location", mission.join_url if mission.kind == Mode.VIRTUAL and mission.join_url
              else f"{mission.facility.name}, {mission.facility.country}")
    link = url_for("missions.detail", mission_id=mission.id, _external=True)
    event.add("url", link)
    event.add("description", f"{mission.professional.full_name}\n{link}")
    event.add("status", status)
    return event


def _alarm(mission: Mission, trigger: timedelta) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", _summary(mission))
    alarm.add("trigger", trigger)
    return alarm


def _organizer(mission: Mission) -> vCalAddress:
    """The programme, at its reply-to address, else the sender of the registry's mail."""
    programme = mission.need.programme
    address = (programme.reply_to if programme and programme.reply_to
               else current_app.config["MAIL_SENDER"])
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["CN"] = programme.name if programme else "Diaspora Skills Registry"
    return organizer


def uid_domain() -> str:
    """The public host name: the same in every UID whatever address a request came by."""
    return urlsplit(current_app.config["PUBLIC_URL"]).hostname or "localhost"
