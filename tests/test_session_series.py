"""Virtual session series across daylight-saving changes.

A series keeps the wall-clock time of its own zone — the host facility's by default, or the
professional's — so its UTC instants move when that zone changes its clocks, and so does the
time seen in every other zone. Hosts here are in Accra (UTC+0) and Maputo (UTC+2), neither of
which changes its clocks; the teachers are in London (BST from 29 March to 25 October 2026)
and New York (EDT from 8 March to 1 November 2026).
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings, strategies as st

from diaspora.extensions import db
from missions.sessions import series

UTC = UTC


def teaching_need(make_need, facility, **fields):
    return make_need(facility, mode="virtual", purpose="teaching", duration_days=None,
                     sessions_per_week=1, weeks=2, session_hours=1.0,
                     earliest_start=date(2026, 3, 1), latest_end=date(2026, 12, 31), **fields)


def propose_series(propose, need, professional, first_day: date, start: time, zone_choice: str):
    return propose(need, professional, kind="virtual", starts_on=first_day,
                   weekdays=[series.WEEKDAYS[first_day.weekday()]], session_start=start,
                   session_minutes=60, weeks=2, series_zone=zone_choice)


# (teacher's zone, first Tuesday, the change between the two sessions,
#  UTC hours of the two sessions for a series at 18:00 London / 09:00 New York time)
TEACHER_SERIES = [
    ("Europe/London", date(2026, 3, 24), time(18, 0), (18, 17)),   # BST begins 29 March
    ("Europe/London", date(2026, 10, 20), time(18, 0), (17, 18)),  # BST ends 25 October
    ("America/New_York", date(2026, 3, 3), time(9, 0), (14, 13)),  # EDT begins 8 March
    ("America/New_York", date(2026, 10, 27), time(9, 0), (13, 14)),  # EDT ends 1 November
]
HOSTS = [("Africa/Accra", 0), ("Africa/Maputo", 2)]


@pytest.mark.parametrize("teacher_zone, first_day, start, utc_hours", TEACHER_SERIES)
@pytest.mark.parametrize("host_zone, host_offset", HOSTS)
def test_a_series_in_the_teachers_zone_keeps_the_teachers_clock(
        make_need, make_facility, make_professional, propose, teacher_zone, first_day, start,
        utc_hours, host_zone, host_offset):
    professional = make_professional(timezone=teacher_zone)
    need = teaching_need(make_need, make_facility(timezone=host_zone))
    mission = propose_series(propose, need, professional, first_day, start, "professional")

    assert mission.series_timezone == teacher_zone and mission.timezone == host_zone
    instants = [s.starts_at for s in mission.sessions]
    assert instants == [datetime.combine(first_day + timedelta(weeks=n), time(hour), UTC)
                        for n, hour in enumerate(utc_hours)]
    teacher = ZoneInfo(teacher_zone)
    assert [i.astimezone(teacher).time() for i in instants] == [start, start]
    assert [i.astimezone(ZoneInfo(host_zone)).hour for i in instants] == \
        [hour + host_offset for hour in utc_hours]
    assert {s.timezone for s in mission.sessions} == {teacher_zone}


@pytest.mark.parametrize("teacher_zone, first_day, teacher_hours", [
    ("Europe/London", date(2026, 3, 24), (14, 15)),
    ("America/New_York", date(2026, 10, 27), (10, 9)),
])
def test_a_series_in_the_hosts_zone_keeps_the_hosts_clock(make_need, make_facility,
                                                          make_professional, propose, teacher_zone,
                                                          first_day, teacher_hours):
    professional = make_professional(timezone=teacher_zone)
    need = teaching_need(make_need, make_facility(timezone="Africa/Accra"))
    mission = propose_series(propose, need, professional, first_day, time(14, 0), "host")

    assert mission.series_timezone == "Africa/Accra"
    assert [s.starts_at.hour for s in mission.sessions] == [14, 14]  # Accra is UTC+0
    assert [s.starts_at.astimezone(ZoneInfo(teacher_zone)).hour
            for s in mission.sessions] == list(teacher_hours)


def session_rows(page: str) -> list[str]:
    return re.findall(r'<tr id="session-\d+">(.*?)</tr>', page, re.S)


def test_each_viewer_sees_the_sessions_in_their_own_zone(make_need, make_facility, make_user,
                                                         make_professional, propose, signed_in,
                                                         test_programme):
    """A London teacher's 18:00 series seen from Maputo moves from 20:00 to 19:00."""
    facility = make_facility(timezone="Africa/Maputo", country="MZ")
    coordinator = make_user("coordinator", timezone="Africa/Maputo")
    facility.coordinators.append(coordinator)
    db.session.commit()
    professional = make_professional(timezone="Europe/London")
    professional.user.timezone = "Europe/London"
    need = teaching_need(make_need, facility, programme_id=test_programme().id)  # the manager's
    mission = propose_series(propose, need, professional, date(2026, 3, 24), time(18, 0),
                             "professional")

    host_view = session_rows(signed_in(coordinator).get(f"/missions/{mission.id}").get_data(as_text=True))
    assert "24 Mar 2026 18:00 GMT (Europe/London)" in host_view[0]
    assert "31 Mar 2026 18:00 BST (Europe/London)" in host_view[1]
    assert "24 Mar 2026 20:00 CAT (Africa/Maputo)" in host_view[0]
    assert "31 Mar 2026 19:00 CAT (Africa/Maputo)" in host_view[1]
    assert "24 Mar 2026 20:00 CAT" in host_view[0] and "31 Mar 2026 19:00 CAT" in host_view[1]

    teacher_view = session_rows(signed_in(professional.user).get(f"/missions/{mission.id}")
                                .get_data(as_text=True))
    assert "24 Mar 2026 18:00 GMT" in teacher_view[0]
    assert "31 Mar 2026 18:00 BST" in teacher_view[1]


def test_the_proposal_form_offers_both_zones(make_need, make_facility, make_professional,
                                             signed_in, manager):
    need = teaching_need(make_need, make_facility(timezone="Africa/Accra"))
    professional = make_professional(timezone="America/New_York")
    browser = signed_in(manager)
    response = browser.post(f"/needs/{need.id}/propose", {
        "professional_id": professional.id, "confirm": "1", "kind": "virtual",
        "starts_on": "2026-03-03", "weekdays": "TU", "session_start": "09:00",
        "session_minutes": "60", "weeks": "2", "series_zone": "professional"})
    assert response.status_code == 302
    mission_page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 Mar 2026 09:00 EST (America/New York)" in mission_page
    assert "10 Mar 2026 09:00 EDT (America/New York)" in mission_page
    form = browser.get(f"/needs/{need.id}/propose?professional_id={professional.id}&kind=virtual")
    assert "America/New_York" in form.get_data(as_text=True)


def test_the_series_zone_choice_is_validated(make_need, make_facility, make_professional,
                                             api_client, manager):
    need = teaching_need(make_need, make_facility())
    client, headers = api_client(manager)
    response = client.post(f"/api/v1/needs/{need.id}/missions", headers=headers, json={
        "professional_id": make_professional().id, "kind": "virtual", "starts_on": "2026-03-03",
        "series_zone": "Mars/Olympus"})
    assert response.status_code == 422 and "series_zone" in response.json["errors"]["json"]


DST_ZONES = ["Europe/London", "America/New_York", "Europe/Paris", "Australia/Sydney",
             "America/Sao_Paulo", "Africa/Cairo", "Africa/Casablanca"]


@settings(max_examples=150, deadline=None)
@given(zone=st.sampled_from(DST_ZONES),
       first=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
       start=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
       weeks=st.integers(min_value=1, max_value=40))
@example(zone="America/New_York", first=date(2025, 1, 19), start=time(2, 15), weeks=8)
def test_every_session_keeps_the_series_wall_clock(zone, first, start, weeks):
    """Property: each session falls on the rule's weekday at the series' local time (or, on a
    spring-forward night, just after the gap), and lasts its minutes (even across the change:
    hypothesis found a 02:15 New York session ending before it began)."""
    sessions = series.occurrences(series.weekly_rule([series.WEEKDAYS[first.weekday()]], weeks),
                                  first, start, 45, zone)
    assert len(sessions) == weeks
    local = ZoneInfo(zone)
    for n, session in enumerate(sessions):
        day = first + timedelta(weeks=n)
        wall = datetime.combine(day, start)
        seen = session.starts_at.astimezone(local)
        exists = wall.replace(tzinfo=local).astimezone(UTC).astimezone(local).replace(tzinfo=None) == wall
        if exists:
            assert seen.replace(tzinfo=None) == wall
        else:
            assert seen.date() == day and wall < seen.replace(tzinfo=None) <= wall + timedelta(hours=1)
        assert session.ends_at - session.starts_at == timedelta(minutes=45)
