"""Calendar files and private feeds, valid by RFC 5545."""
from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from dateutil.rrule import rrulestr
from icalendar import Calendar

from diaspora.extensions import db
from missions.calendars.models import CalendarFeed
from missions.core import lifecycle

from .conftest import START, stored_values


def check_rfc5545(body: bytes) -> Calendar:
    """The structural rules of RFC 5545 a calendar program relies on, then a parse."""
    text = body.decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in lines), "lines are folded at 75 octets"
    unfolded = re.sub(r"\r\n[ \t]", "", text).split("\r\n")[:-1]
    assert unfolded[0] == "BEGIN:VCALENDAR" and unfolded[-1] == "END:VCALENDAR"
    depth = 0
    for line in unfolded:
        depth += line.startswith("BEGIN:") - line.startswith("END:")
        assert depth >= 0
    assert depth == 0
    calendar = Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    zones = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    for event in calendar.walk("VEVENT"):
        for required in ("UID", "DTSTAMP", "DTSTART", "SEQUENCE", "STATUS"):
            assert required in event
        if "TZID" in event["DTSTART"].params:
            assert event["DTSTART"].params["TZID"] in zones, "every TZID has its VTIMEZONE"
    return calendar


def act(mission, action, actor, reason=None):
    return lifecycle.transition(db.session, mission, action, actor=actor, now=START, reason=reason)


def test_a_physical_mission_is_an_all_day_event_updated_in_place(make_need, make_professional,
                                                                 propose, manager, signed_in):
    professional = make_professional()
    mission = propose(make_need(), professional)
    browser = signed_in(professional.user)
    page = browser.get(f"/missions/{mission.id}").get_data(as_text=True)
    assert f'href="/missions/{mission.id}/calendar.ics"' in page

    response = browser.get(f"/missions/{mission.id}/calendar.ics")
    assert response.mimetype == "text/calendar"
    assert f'filename="mission-{mission.id}.ics"' in response.headers["Content-Disposition"]
    [event] = check_rfc5545(response.data).walk("VEVENT")
    assert event["DTSTART"].dt == date(2026, 4, 6) and event["DTEND"].dt == date(2026, 4, 20)
    assert (str(event["UID"]), event["SEQUENCE"], str(event["STATUS"])) == \
        (f"mission-{mission.id}@127.0.0.1", 0, "TENTATIVE")

    act(mission, "accept", professional.user)
    act(mission, "confirm", manager)
    [event] = Calendar.from_ical(browser.get(f"/missions/{mission.id}/calendar.ics").data).walk("VEVENT")
    assert (str(event["UID"]), event["SEQUENCE"], str(event["STATUS"])) == \
        (f"mission-{mission.id}@127.0.0.1", 2, "CONFIRMED")
    act(mission, "cancel", manager, reason="Strike")
    [event] = Calendar.from_ical(browser.get(f"/missions/{mission.id}/calendar.ics").data).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED" and event["SEQUENCE"] == 3


def test_sessions_are_timed_in_the_series_zone_across_the_change(make_need, make_facility,
                                                                 make_professional, propose,
                                                                 signed_in, test_programme):
    professional = make_professional(timezone="Europe/London")
    need = make_need(make_facility(timezone="Africa/Maputo", country="MZ"), mode="virtual",
                     programme_id=test_programme().id,  # within the proposing manager's reach
                     purpose="teaching", duration_days=None, sessions_per_week=1, weeks=2,
                     session_hours=1.0, earliest_start=date(2026, 3, 1))
    mission = propose(need, professional, kind="virtual", starts_on=date(2026, 3, 24),
                      weekdays=["TU"], session_start=time(18, 0), session_minutes=60, weeks=2,
                      series_zone="professional", join_url="https://meet.example.org/t")
    body = signed_in(professional.user).get(f"/missions/{mission.id}/calendar.ics").data
    calendar = check_rfc5545(body)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    [event] = calendar.walk("VEVENT")   # one recurring event for the series
    starts = expand(event)
    assert starts == [datetime(2026, 3, 24, 18, 0, tzinfo=ZoneInfo("Europe/London")),
                      datetime(2026, 3, 31, 18, 0, tzinfo=ZoneInfo("Europe/London"))]
    assert [start.astimezone(UTC).hour for start in starts] == [18, 17]
    assert starts == [s.starts_at for s in mission.sessions]
    assert str(event["UID"]) == f"series-{mission.id}@127.0.0.1"
    assert str(event["LOCATION"]) == "https://meet.example.org/t"


def expand(event) -> list[datetime]:
    """A recurring event's instances (RRULE from DTSTART, less EXDATE), as a calendar would."""
    start = event["DTSTART"].dt
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
    exdates = event.get("EXDATE")
    excluded = {value.dt for exdate in (exdates if isinstance(exdates, list) else [exdates])
                for value in exdate.dts} if exdates else set()
    return [instance for instance in rule if instance not in excluded]


def test_the_private_feed_shows_only_its_owners_missions_until_revoked(
        make_need, make_professional, propose, signed_in, client):
    mine, theirs = make_professional(), make_professional()
    own = propose(make_need(), mine)
    other = propose(make_need(), theirs)
    browser = signed_in(mine.user)
    created = browser.post("/calendar/feed").get_data(as_text=True)
    url = re.search(r"(http://localhost/calendar/cal_[\w-]+\.ics)", created).group(1)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    stored = db.session.scalar(sa.select(CalendarFeed))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() and stored.prefix == token[:12]
    assert not any(token in str(value) for value in stored_values(CalendarFeed))   # never the token itself
    assert token not in browser.get("/calendar").get_data(as_text=True)   # shown once

    feed = client.get(url)   # no sign-in: the address is the key
    uids = {str(e["UID"]) for e in check_rfc5545(feed.data).walk("VEVENT")}
    assert uids == {f"mission-{own.id}@127.0.0.1"} and f"mission-{other.id}@127.0.0.1" not in uids

    browser.post("/calendar/feed")          # a new address ...
    assert client.get(url).status_code == 404   # ... ends the old one
    browser.post("/calendar/feed/revoke")
    assert db.session.scalar(sa.select(sa.func.count()).where(CalendarFeed.revoked_at.is_(None))) == 0
    assert client.get("/calendar/cal_guess.ics").status_code == 404


def test_a_coordinators_feed_has_their_facilitys_missions(make_need, make_facility, make_user,
                                                          make_professional, propose, signed_in,
                                                          client):
    coordinator = make_user("coordinator")
    facility = make_facility()
    facility.coordinators.append(coordinator)
    db.session.commit()
    ours = propose(make_need(facility), make_professional())
    propose(make_need(), make_professional())
    created = signed_in(coordinator).post("/calendar/feed").get_data(as_text=True)
    url = re.search(r"(http://localhost/calendar/cal_[\w-]+\.ics)", created).group(1)
    events = Calendar.from_ical(client.get(url).data).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"mission-{ours.id}@127.0.0.1"]
