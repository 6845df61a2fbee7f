"""iCalendar (RFC 5545) for missions: a file per mission and a private feed per person.

- A physical mission is one all-day event over its days in the host's zone (DATE values: the
  same days wherever the calendar is read).
- A virtual mission is one event per session, timed in the series' zone (TZID, with its
  VTIMEZONE), so calendar programs place every session right on both sides of a
  daylight-saving change, in whatever zone they show.
- UIDs are stable (``mission-<id>@<host>``, ``session-<id>@<host>``); SEQUENCE grows with each
  change of the mission (its history, plus one for a cancelled session) and DTSTAMP /
  LAST-MODIFIED are its last update, so a refreshed feed or a re-imported file replaces the
  events. Cancelled and declined missions, and cancelled sessions, stay as STATUS:CANCELLED
  so calendars take them off.
"""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from icalendar import Calendar, Event, vText

from diaspora.vocabulary import Mode

from ..core.models import Mission, MissionSession
from ..core.vocabulary import MissionStatus, SessionStatus

PRODID = "-//Diaspora Skills Registry//Missions//EN"
EVENT_STATUS = {MissionStatus.CANCELLED: "CANCELLED", MissionStatus.DECLINED: "CANCELLED",
                MissionStatus.PROPOSED: "TENTATIVE", MissionStatus.ACCEPTED: "TENTATIVE",
                MissionStatus.POSTPONED: "TENTATIVE"}


def calendar(missions: list[Mission], *, name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    # An X- property has no known value type, so icalendar would write it verbatim: as TEXT it
    # is escaped like SUMMARY (a line break in a need's title becomes "\n", not a broken file).
    cal.add("x-wr-calname", vText(name))
    for mission in missions:
        for event in events(mission):
            cal.add_component(event)
    if missions:
        first = min(m.starts_at for m in missions).date() - timedelta(days=366)
        last = max(m.ends_at for m in missions).date() + timedelta(days=366)
        cal.add_missing_timezones(first_date=first, last_date=last)
    return cal.to_ical()


def events(mission: Mission) -> list[Event]:
    if mission.kind == Mode.PHYSICAL:
        return [_mission_event(mission)]
    return [_session_event(mission, s) for s in mission.sessions]


def sequence(mission: Mission) -> int:
    return len(mission.events) - 1


def _mission_event(mission: Mission) -> Event:
    event = _event(mission, f"mission-{mission.id}", sequence(mission), mission_status(mission))
    event.add("dtstart", mission.starts_on)
    event.add("dtend", mission.ends_on + timedelta(days=1))  # DATE end is exclusive
    event.add("transp", "OPAQUE")
    return event


def _session_event(mission: Mission, mission_session: MissionSession) -> Event:
    cancelled = mission_session.status == SessionStatus.CANCELLED
    event = _event(mission, f"session-{mission_session.id}", sequence(mission) + cancelled,
                   "CANCELLED" if cancelled else mission_status(mission))
    zone = ZoneInfo(mission_session.timezone)
    event.add("dtstart", mission_session.starts_at.astimezone(zone))
    event.add("dtend", mission_session.ends_at.astimezone(zone))
    return event


def mission_status(mission: Mission) -> str:
    return EVENT_STATUS.get(mission.status, "CONFIRMED")


def _event(mission: Mission, name: str, revision: int, status: str) -> Event:
    event = Event()
    event.add("uid", f"{name}@{uid_domain()}")
    event.add("dtstamp", mission.updated_at)
    event.add("last-modified", mission.updated_at)
    event.add("created", mission.created_at)
    event.add("sequence", revision)
    event.add("summary", f"{mission.need.title} — {mission.facility.name}")
    event.add("location", mission.join_url if mission.kind == Mode.VIRTUAL and mission.join_url
              else f"{mission.facility.name}, {mission.facility.country}")
    link = url_for("missions.detail", mission_id=mission.id, _external=True)
    event.add("url", link)
    event.add("description", f"{mission.professional.full_name}\n{link}")
    event.add("status", status)
    return event


def uid_domain() -> str:
    """The public host name: the same in every UID whatever address a request came by."""
    return urlsplit(current_app.config["PUBLIC_URL"]).hostname or "localhost"

