"""Sessions one by one: attendance by cadre and gender, and cancellation freeing the time."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from missions.core import lifecycle
from missions.core.models import Booking, MissionSession
from missions.notifications.models import Notification
from missions.scheduler.process import run_once
from missions.sessions import attendance

from .conftest import START


@pytest.fixture
def world(make_need, make_facility, make_user, make_professional, propose, manager):
    """A confirmed weekly series (Tuesdays 14:00 Accra, 7 April – 21 April 2026)."""
    coordinator = make_user("coordinator")
    facility = make_facility()
    facility.coordinators.append(coordinator)
    db.session.commit()
    professional = make_professional()
    need = make_need(facility, mode="virtual", purpose="teaching", duration_days=None,
                     sessions_per_week=1, weeks=3, session_hours=1.5)
    mission = propose(need, professional, kind="virtual", starts_on=date(2026, 4, 7),
                      weekdays=["TU"], session_start=time(14, 0), session_minutes=90, weeks=3)
    for action, actor in (("accept", professional.user), ("confirm", manager)):
        lifecycle.transition(db.session, mission, action, actor=actor, now=START)
    return {"mission": mission, "professional": professional, "coordinator": coordinator}


def form(rows):
    return {f"attendance-{i}-{key}": value for i, row in enumerate(rows) for key, value in row.items()}


def test_the_coordinator_records_who_attended(world, signed_in, clock):
    mission, coordinator = world["mission"], world["coordinator"]
    first = mission.sessions[0]
    url = f"/missions/{mission.id}/sessions/{first.id}/attendance"
    browser = signed_in(coordinator)
    clock.set(first.starts_at - timedelta(minutes=5))
    early = browser.post(url, form([{"cadre": "2221", "gender": "female", "count": "6"}]))
    assert early.status_code == 422 and "under way" in early.get_data(as_text=True)

    clock.set(first.starts_at)
    run_once(db.session, clock())   # the mission starts
    assert browser.get(url).status_code == 200
    next_week = browser.post(f"/missions/{mission.id}/sessions/{mission.sessions[1].id}/attendance",
                             form([{"cadre": "2221", "gender": "female", "count": "6"}]))
    assert next_week.status_code == 422 and "has not begun" in next_week.get_data(as_text=True)
    saved = browser.post(url, form([{"cadre": "2221", "gender": "female", "count": "6"},
                                    {"cadre": "2221", "gender": "male", "count": "2"},
                                    {"cadre": "2222", "gender": "female", "count": "3"},
                                    {"cadre": "", "gender": "", "count": ""}]))
    assert saved.status_code == 302
    db.session.expire_all()
    session = db.session.get(MissionSession, first.id)
    assert session.status == "held" and session.attendees == 11
    assert {(r.cadre, r.gender, r.count) for r in session.attendance} == {
        ("2221", "female", 6), ("2221", "male", 2), ("2222", "female", 3)}
    # corrected: the new record replaces the old one
    browser.post(url, form([{"cadre": "2221", "gender": "female", "count": "7"}]))
    db.session.expire_all()
    assert db.session.get(MissionSession, first.id).attendees == 7
    page = browser.get(f"/missions/{mission.id}").get_data(as_text=True)
    assert "7 counterparts" in page


def test_attendance_through_the_api(world, api_client, clock):
    mission, professional = world["mission"], world["professional"]
    first = mission.sessions[0]
    clock.set(first.starts_at + timedelta(minutes=90))
    run_once(db.session, clock())
    client, headers = api_client(professional.user)
    url = f"/api/v1/missions/{mission.id}/sessions/{first.id}/attendance"
    twice = client.put(url, headers=headers, json={"attendance": [
        {"cadre": "2222", "gender": "female", "count": 4},
        {"cadre": "2222", "gender": "female", "count": 1}]})
    assert twice.status_code == 422
    bad = client.put(url, headers=headers, json={"attendance": [
        {"cadre": "9999", "gender": "robot", "count": 0}]})
    assert bad.status_code == 422 and set(bad.json["errors"]["json"]["attendance"]["0"]) == {
        "cadre", "gender", "count"}
    held = client.put(url, headers=headers, json={"attendance": [
        {"cadre": "2222", "gender": "female", "count": 4}]})
    assert held.status_code == 200 and held.json["status"] == "held" and held.json["attendees"] == 4
    listed = client.get(f"/api/v1/missions/{mission.id}/sessions", headers=headers).json
    assert [s["status"] for s in listed] == ["held", "scheduled", "scheduled"]
    assert listed[0]["attendance"] == [{"cadre": "2222", "gender": "female", "count": 4}]


def test_a_cancelled_session_frees_its_time_and_tells_the_others(world, signed_in, propose,
                                                                 make_need, api_client):
    mission, professional, coordinator = world["mission"], world["professional"], world["coordinator"]
    second = mission.sessions[1]
    browser = signed_in(professional.user)
    assert browser.post(f"/missions/{mission.id}/sessions/{second.id}/cancel",
                        {"reason": ""}).status_code == 302
    assert db.session.get(MissionSession, second.id).status == "scheduled"   # a reason is needed
    browser.post(f"/missions/{mission.id}/sessions/{second.id}/cancel", {"reason": "Exams week"})
    db.session.expire_all()
    cancelled = db.session.get(MissionSession, second.id)
    assert (cancelled.status, cancelled.status_reason) == ("cancelled", "Exams week")
    assert db.session.scalar(sa.select(Booking.active).where(Booking.session_id == second.id)) is False
    told = db.session.scalars(sa.select(Notification.user_id).where(
        Notification.kind == "session_cancelled")).all()
    assert told == [coordinator.id]
    # the freed slot can be booked: a one-day physical mission on 14 April
    other = propose(make_need(), professional, starts_on=date(2026, 4, 14), ends_on=date(2026, 4, 14))
    assert other.status == "proposed"
    client, headers = api_client(coordinator)
    again = client.post(f"/api/v1/missions/{mission.id}/sessions/{second.id}/cancel",
                        headers=headers, json={"reason": "twice"})
    assert again.status_code == 409 and again.json["current_status"] == "cancelled"


def test_only_the_missions_people_touch_its_sessions(world, make_user, api_client, signed_in):
    mission = world["mission"]
    first = mission.sessions[0]
    outsider = make_user("coordinator")
    client, headers = api_client(outsider)
    assert client.get(f"/api/v1/missions/{mission.id}/sessions", headers=headers).status_code == 403
    assert signed_in(outsider).post(f"/missions/{mission.id}/sessions/{first.id}/cancel",
                                    {"reason": "x"}).status_code == 403
    insider, insider_headers = api_client(world["coordinator"])
    assert insider.post(f"/api/v1/missions/{mission.id}/sessions/999999/cancel",
                        headers=insider_headers, json={"reason": "x"}).status_code == 404


def test_the_sessions_table_offers_what_the_services_allow(world, make_user, clock):
    """``session_offer`` answers what the page shows: cancelling scheduled sessions, recording
    the attendance of begun ones once the mission runs; nothing to people outside it."""
    mission, coordinator = world["mission"], world["coordinator"]
    first, second, third = mission.sessions
    before = attendance.session_offer(mission, "coordinator", START)
    assert before.may_act and before.record == set()
    assert before.cancel == {session.id for session in mission.sessions}
    assert attendance.session_offer(mission, None, START) == attendance.SessionOffer(
        False, frozenset(), frozenset())

    clock.set(first.starts_at)
    run_once(db.session, clock())   # the mission starts
    running = attendance.session_offer(mission, "professional", clock())
    assert running.record == {first.id} and running.cancel == {first.id, second.id, third.id}
    attendance.cancel_session(db.session, second, "Strike", actor=coordinator, now=clock())
    later = attendance.session_offer(mission, "manager", second.starts_at)
    assert later.record == {first.id} and later.cancel == {first.id, third.id}
