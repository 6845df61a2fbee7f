"""Calendars as programs read them (issue 14): a recurring event per online series with EXDATE
for called-off sessions, a VTIMEZONE for every zone used (Africa/Accra too), VALARM, METHOD, and
feeds that say how often to refresh them. Checked by parsing the output."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from diaspora.extensions import db
from missions.core import lifecycle
from missions.sessions.attendance import cancel_session

from .conftest import START
from .test_calendars import check_rfc5545, expand


@pytest.fixture
def accra_series(make_need, make_facility, make_professional, propose, manager, test_programme):
    """Online teaching from an Accra hospital, Tuesdays and Thursdays 14:00 Accra time, 3 weeks,
    the Thursday of the second week left out when proposed."""
    professional = make_professional()
    need = make_need(make_facility(timezone="Africa/Accra"), mode="virtual", purpose="teaching",
                     programme_id=test_programme().id, duration_days=None, sessions_per_week=2,
                     weeks=3, session_hours=1.5, earliest_start=date(2026, 3, 1))
    mission = propose(need, professional, kind="virtual", starts_on=date(2026, 3, 10),
                      weekdays=["TU", "TH"], session_start=time(14, 0), session_minutes=90,
                      weeks=3, exdates=[date(2026, 3, 19)])
    for action, actor in (("accept", professional.user), ("confirm", manager)):
        lifecycle.transition(db.session, mission, action, actor=actor, now=START)
    return mission


def mission_calendar(signed_in, mission) -> Calendar:
    body = signed_in(mission.professional.user).get(f"/missions/{mission.id}/calendar.ics").data
    return check_rfc5545(body)


def test_an_online_series_is_one_event_in_the_hosts_zone_with_its_vtimezone(accra_series, signed_in):
    calendar = mission_calendar(signed_in, accra_series)
    assert str(calendar["METHOD"]) == "PUBLISH"
    # Accra keeps UTC's offset, yet it is written as its own zone, with its VTIMEZONE
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Africa/Accra"]
    [event] = calendar.walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "Africa/Accra"
    assert event["DTSTART"].dt == datetime(2026, 3, 10, 14, 0, tzinfo=ZoneInfo("Africa/Accra"))
    assert event["DURATION"].dt == timedelta(minutes=90)
    assert event["RRULE"]["FREQ"] == ["WEEKLY"] and event["RRULE"]["BYDAY"] == ["TU", "TH"]
    starts = expand(event)
    assert starts == [s.starts_at for s in accra_series.sessions]
    assert len(starts) == 5 and date(2026, 3, 19) not in {s.date() for s in starts}
    [alarm] = event.walk("VALARM")
    assert alarm["TRIGGER"].dt == timedelta(minutes=-15) and str(alarm["ACTION"]) == "DISPLAY"


def test_a_called_off_session_becomes_an_exdate_and_the_sequence_grows(accra_series, signed_in,
                                                                      manager):
    [before] = mission_calendar(signed_in, accra_series).walk("VEVENT")
    second = accra_series.sessions[1]
    cancel_session(db.session, second, "Public holiday", actor=manager, now=START)
    [after] = mission_calendar(signed_in, accra_series).walk("VEVENT")
    assert str(after["UID"]) == str(before["UID"])
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert second.starts_at not in expand(after)
    assert expand(after) == [s.starts_at for s in accra_series.sessions if s.id != second.id]


def test_a_series_across_a_clock_change_keeps_the_wall_clock_time(make_need, make_facility,
                                                                 make_professional, propose,
                                                                 signed_in, test_programme):
    professional = make_professional(timezone="America/New_York")
    need = make_need(make_facility(timezone="Africa/Accra"), mode="virtual", purpose="teaching",
                     programme_id=test_programme().id, duration_days=None, sessions_per_week=1,
                     weeks=3, session_hours=1.0, earliest_start=date(2026, 3, 1))
    mission = propose(need, professional, kind="virtual", starts_on=date(2026, 3, 3),
                      weekdays=["TU"], session_start=time(9, 0), session_minutes=60, weeks=3,
                      series_zone="professional")
    calendar = mission_calendar(signed_in, mission)
    assert {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")} == {"America/New_York"}
    [event] = calendar.walk("VEVENT")
    starts = expand(event)
    assert [s.astimezone(UTC).hour for s in starts] == [14, 13, 13]   # EST, then EDT from 8 March
    assert starts == [s.starts_at for s in mission.sessions]


def test_a_physical_mission_has_an_alarm_the_day_before(make_need, make_professional, propose,
                                                        signed_in):
    mission = propose(make_need(), make_professional())
    [event] = mission_calendar(signed_in, mission).walk("VEVENT")
    [alarm] = event.walk("VALARM")
    assert alarm["TRIGGER"].dt == timedelta(days=-1)


def test_a_feed_says_how_often_to_refresh_it(accra_series, signed_in, client):
    browser = signed_in(accra_series.professional.user)
    created = browser.post("/calendar/feed").get_data(as_text=True)
    url = re.search(r"(http://localhost/calendar/cal_[\w-]+\.ics)", created).group(1)
    body = client.get(url).data
    calendar = check_rfc5545(body)
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert calendar["X-PUBLISHED-TTL"] and b"X-PUBLISHED-TTL:PT1H\r\n" in body
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Africa/Accra"]


def test_a_called_off_session_is_mailed_as_an_updated_invitation(accra_series, app, mail_sink,
                                                                manager, clock):
    from missions.scheduler.process import run_once

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_sink.port,
                      PUBLIC_URL="https://registry.example.org")
    run_once(db.session, clock())
    mail_sink.messages.clear()
    second = accra_series.sessions[1]
    cancel_session(db.session, second, "Public holiday", actor=manager, now=clock())
    run_once(db.session, clock())
    [message] = [m for m in mail_sink.messages if m["To"] == accra_series.professional.user.email]
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    calendar = check_rfc5545(part.get_payload(decode=True))
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert second.starts_at not in expand(event) and len(expand(event)) == 4
