"""Outcome reports of both sides, waivers, the close guard, follow-up surveys and the reminder
validators the scheduler asks before sending."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from diaspora.auth.services import create_token
from diaspora.errors import Conflict, Forbidden, Invalid
from diaspora.extensions import db
from missions.core import lifecycle
from missions.core.hooks import mission_hooks
from missions.outcomes import services as outcomes
from missions.outcomes.models import FollowUp, OutcomeReport, OutcomeTrainee, ReportWaiver

from .conftest import START
from .test_documents import tick_the_rest, verify_licence_for

REPORT = {"trained_total": 12, "sessions_held": 6, "hours": 18, "patients_seen": 40,
          "procedures_done": 9, "tested_count": 10, "pre_score": 50, "post_score": 80,
          "rating": 5, "rating_comment": "Excellent", "barriers": ["supplies"],
          "next_steps": ["virtual_mentoring"],
          "trainees": [{"cadre": "2221", "gender": "female", "count": 7},
                       {"cadre": "2221", "gender": "male", "count": 3},
                       {"cadre": "2222", "gender": "female", "count": 2}],
          "items": [{"kind": "protocol", "title": "Postpartum haemorrhage protocol"}]}


@dataclass
class Notification:
    """What the scheduler hands a validator (see missions.scheduler.reminders)."""

    user_id: int
    kind: str
    mission_id: int
    payload: dict = field(default_factory=dict)


@pytest.fixture
def host(make_facility, make_user):
    """A facility and its coordinator."""
    facility = make_facility()
    coordinator = make_user("coordinator")
    facility.coordinators.append(coordinator)
    db.session.commit()
    return facility, coordinator


@pytest.fixture
def completed(host, make_need, make_professional, propose, manager):
    """``completed(kind="physical")`` → a mission driven to ``completed`` at host's facility."""

    def make(kind="physical"):
        facility, _coordinator = host
        professional = make_professional()
        if kind == "physical":
            mission = propose(make_need(facility), professional)
        else:
            need = make_need(facility, mode="virtual", purpose="teaching", duration_days=None,
                             sessions_per_week=1, weeks=4, session_hours=1.5)
            mission = propose(need, professional, kind="virtual", starts_on=date(2026, 4, 7),
                              weekdays=["TU"], session_start=time(14, 0), session_minutes=90, weeks=4)
        lifecycle.transition(db.session, mission, "accept", actor=professional.user, now=START)
        lifecycle.transition(db.session, mission, "confirm", actor=manager, now=START)
        if kind == "physical":
            verify_licence_for(professional, manager)
        tick_the_rest(mission, manager)
        lifecycle.transition(db.session, mission, "ready", actor=manager, now=START)
        lifecycle.transition(db.session, mission, "start", actor=lifecycle.SCHEDULER, now=mission.starts_at)
        lifecycle.transition(db.session, mission, "complete", actor=lifecycle.SCHEDULER, now=mission.ends_at)
        return mission

    return make


def file(mission, side, actor, **changes):
    return outcomes.file_report(db.session, mission, side, {**REPORT, **changes}, actor=actor,
                                now=mission.ends_at)


# --- follow-ups are created on completion -------------------------------------------------

def test_completing_a_mission_creates_three_surveys_due_after_its_end(completed):
    mission = completed()
    surveys = db.session.scalars(sa.select(FollowUp).where(FollowUp.mission_id == mission.id)
                                 .order_by(FollowUp.months)).all()
    assert mission.ends_at == datetime(2026, 4, 20, tzinfo=UTC)
    assert [(s.months, s.due_at.date()) for s in surveys] == [
        (3, date(2026, 7, 20)), (6, date(2026, 10, 20)), (12, date(2027, 4, 20))]
    assert all(s.answered_at is None for s in surveys)


# --- filing -------------------------------------------------------------------------------

def test_both_reports_move_the_mission_to_reported_as_the_scheduler(completed, host):
    mission = completed()
    _facility, coordinator = host
    report = file(mission, "professional", mission.professional.user)
    assert (report.side, report.trained_total, mission.status) == ("professional", 12, "completed")
    assert {(t.cadre, t.gender, t.count) for t in report.trainees} == {
        ("2221", "female", 7), ("2221", "male", 3), ("2222", "female", 2)}
    file(mission, "host", coordinator, rating=4)
    assert mission.status == "reported"
    assert (mission.events[-1].to_status, mission.events[-1].actor_label) == ("reported", "scheduler")


def test_each_side_files_only_its_own_report(completed, host, make_professional, make_user, manager):
    mission = completed()
    _facility, coordinator = host
    for actor, side in ((make_professional().user, "professional"), (coordinator, "professional"),
                        (mission.professional.user, "host"), (make_user("coordinator"), "host"),
                        (manager, "host")):
        with pytest.raises(Forbidden):
            file(mission, side, actor)
    assert db.session.scalar(sa.select(sa.func.count(OutcomeReport.id))) == 0


def test_reports_are_filed_from_completion_until_closing(host, make_need, make_professional, propose):
    mission = propose(make_need(host[0]), make_professional())
    with pytest.raises(Conflict) as raised:
        file(mission, "professional", mission.professional.user)
    assert raised.value.extra["current_status"] == "proposed"
    panel = outcomes.outcomes_of(db.session, mission)   # what the mission page reads
    assert not (panel.awaited or panel.shown)


def test_the_outcomes_panel_is_shown_and_awaits_reports_once_completed(completed):
    mission = completed()
    panel = outcomes.outcomes_of(db.session, mission)
    assert panel.awaited and panel.shown and not panel.closed


@pytest.mark.parametrize("changes, field_name", [
    ({"trained_total": -1}, "trained_total"),
    ({"sessions_held": 1.5}, "sessions_held"),
    ({"patients_seen": "many"}, "patients_seen"),
    ({"trained_total": 13}, "trainees"),                        # rows add up to 12
    ({"trainees": [{"cadre": "2221", "gender": "female", "count": 6},
                   {"cadre": "2221", "gender": "female", "count": 6}]}, "trainees"),
    ({"trainees": [], "trained_total": 5}, "trainees"),
    ({"post_score": 101}, "post_score"),
    ({"post_score": None}, "post_score"),
    ({"tested_count": 13}, "tested_count"),                     # more tested than trained
    ({"tested_count": None}, "tested_count"),
    ({"sessions_held": 0}, "hours"),
    ({"hours": 200}, "hours"),                                  # 6 sessions cannot hold 200 h
    ({"rating": 6}, "rating"),
    ({"next_steps": ["none", "training_abroad"]}, "next_steps"),
])
def test_invalid_reports_are_422_and_write_nothing(completed, api_client, changes, field_name):
    mission = completed()
    client, headers = api_client(mission.professional.user)
    response = client.put(f"/api/v1/missions/{mission.id}/outcomes/professional", headers=headers,
                          json={**REPORT, **changes})
    assert response.status_code == 422, response.json
    assert field_name in response.json["errors"]["json"]
    assert db.session.scalar(sa.select(sa.func.count(OutcomeReport.id))) == 0


@pytest.mark.own_app   # the other coordinator writes on a connection of their own
def test_a_report_filed_by_someone_else_at_the_same_moment_is_a_conflict(completed, host):
    mission = completed()
    _facility, coordinator = host
    session = db.session()

    def other_coordinator_files_first(*_args):
        """Another request commits the host's report between our read and our write."""
        with db.engine.begin() as connection:
            connection.execute(sa.insert(OutcomeReport).values(
                mission_id=mission.id, side="host", filed_at=START, updated_at=START,
                trained_total=0, sessions_held=0, hours=0, rating=3, barriers=[], next_steps=[]))

    sa.event.listen(session, "before_flush", other_coordinator_files_first, once=True)
    with pytest.raises(Conflict):
        file(mission, "host", coordinator)
    assert db.session.scalars(sa.select(OutcomeReport.rating)).all() == [3]
    assert db.session.scalar(sa.select(sa.func.count(OutcomeTrainee.id))) == 0


def test_online_missions_report_no_patients_and_no_more_sessions_than_scheduled(completed):
    mission = completed("virtual")
    with pytest.raises(Invalid) as raised:
        file(mission, "professional", mission.professional.user, patients_seen=3, sessions_held=5,
             hours=7.5)
    assert set(raised.value.errors) == {"patients_seen", "procedures_done", "sessions_held"}
    report = file(mission, "professional", mission.professional.user, patients_seen=None,
                  procedures_done=None, sessions_held=4, hours=6)
    assert report.sessions_held == 4


def test_amending_replaces_the_report_whole(completed):
    mission = completed()
    user = mission.professional.user
    file(mission, "professional", user)
    amended = {**REPORT, "trained_total": 7, "trainees": [{"cadre": "2221", "gender": "female", "count": 7}]}
    del amended["pre_score"], amended["post_score"], amended["tested_count"]
    report = outcomes.file_report(db.session, mission, "professional", amended, actor=user,
                                  now=mission.ends_at)
    assert (report.trained_total, report.pre_score, report.tested_count) == (7, None, None)
    assert db.session.scalar(sa.select(sa.func.count(OutcomeTrainee.id))) == 1


def test_api_round_trip_of_a_mission_outcomes(completed, host, api_client):
    mission = completed()
    client, headers = api_client(mission.professional.user)
    filed = client.put(f"/api/v1/missions/{mission.id}/outcomes/professional", headers=headers,
                       json=REPORT)
    assert filed.status_code == 200 and filed.json["side"] == "professional"
    assert filed.json["trainees"][0] == {"cadre": "2221", "gender": "female", "count": 7}
    seen = client.get(f"/api/v1/missions/{mission.id}/outcomes", headers=headers).json
    assert seen["missing"] == ["host"] and seen["reports"]["professional"]["rating"] == 5
    assert [f["months"] for f in seen["follow_ups"]] == [3, 6, 12]


# --- waivers and closing ------------------------------------------------------------------

def test_close_needs_both_reports_or_a_waiver(completed, manager, api_client):
    mission = completed()
    file(mission, "professional", mission.professional.user)
    lifecycle.transition(db.session, mission, "report", actor=manager, now=mission.ends_at)
    with pytest.raises(Conflict) as raised:
        lifecycle.transition(db.session, mission, "close", actor=manager, now=mission.ends_at)
    assert raised.value.extra["missing_reports"] == ["host"]
    client, headers = api_client(manager)
    no_reason = client.post(f"/api/v1/missions/{mission.id}/outcomes/host/waiver", headers=headers,
                            json={"reason": " "})
    assert no_reason.status_code == 422
    waived = client.post(f"/api/v1/missions/{mission.id}/outcomes/host/waiver", headers=headers,
                         json={"reason": "The coordinator left the facility"})
    assert waived.status_code == 201 and waived.json["waived_by"] == manager.name
    lifecycle.transition(db.session, mission, "close", actor=manager, now=mission.ends_at)
    assert mission.status == "closed"
    with pytest.raises(Conflict):  # closed: no more amendments
        file(mission, "professional", mission.professional.user)


def test_waiving_the_last_report_moves_the_mission_on_as_the_manager(completed, manager):
    mission = completed()
    file(mission, "professional", mission.professional.user)
    outcomes.waive(db.session, mission, "host", "No coordinator any more", actor=manager,
                   now=mission.ends_at)
    assert mission.status == "reported"
    assert mission.events[-1].actor_id == manager.id
    with pytest.raises(Conflict):  # a filed report cannot be waived
        outcomes.waive(db.session, mission, "professional", "Not needed", actor=manager,
                       now=mission.ends_at)
    assert db.session.scalar(sa.select(sa.func.count(ReportWaiver.id))) == 1


# --- follow-up surveys --------------------------------------------------------------------

def test_a_survey_is_answered_once_due(completed, host, client, clock):
    mission = completed()
    _facility, coordinator = host
    clock.set(datetime(2026, 7, 1, tzinfo=UTC))          # due 20 July
    _token, token = create_token(db.session, coordinator, "survey", now=clock())
    headers = {"Authorization": f"Bearer {token}"}
    answer = {"practice_in_use": True, "counterparts_in_post": 2, "trainees_cascaded": 6}
    early = client.put(f"/api/v1/missions/{mission.id}/follow-ups/3", headers=headers, json=answer)
    assert early.status_code == 409
    clock.set(datetime(2026, 7, 14, tzinfo=UTC))         # a week before it is due
    answered = client.put(f"/api/v1/missions/{mission.id}/follow-ups/3", headers=headers, json=answer)
    assert answered.status_code == 200 and answered.json["counterparts_in_post"] == 2
    assert client.put(f"/api/v1/missions/{mission.id}/follow-ups/4", headers=headers,
                      json=answer).status_code == 404
    assert client.put(f"/api/v1/missions/{mission.id}/follow-ups/3", headers=headers,
                      json={**answer, "trainees_cascaded": -2}).status_code == 422


def test_only_the_mission_s_people_answer_a_survey(completed, make_user, clock, signed_in):
    mission = completed()
    clock.set(datetime(2026, 8, 1, tzinfo=UTC))
    outsider = signed_in("coordinator")
    assert outsider.get(f"/missions/{mission.id}/follow-ups/3").status_code == 403
    mine = signed_in(mission.professional.user)
    page = mine.get(f"/missions/{mission.id}/follow-ups/3")
    assert page.status_code == 200 and "still in use" in page.get_data(as_text=True)
    sent = mine.post(f"/missions/{mission.id}/follow-ups/3",
                     {"counterparts_in_post": "1", "trainees_cascaded": "0", "note": "Staff moved"})
    assert sent.status_code == 302
    survey = db.session.scalar(sa.select(FollowUp).where(FollowUp.mission_id == mission.id,
                                                         FollowUp.months == 3))
    db.session.refresh(survey)
    assert (survey.practice_in_use, survey.counterparts_in_post, survey.answered_by_id) == (
        False, 1, mission.professional.user_id)


# --- reminder validators ------------------------------------------------------------------

def test_report_reminders_stop_once_the_side_is_in(completed, host, make_user):
    mission = completed()
    _facility, coordinator = host
    still_due = mission_hooks().reminder_validators["report_due"]

    def due(user):
        return still_due(db.session, Notification(user.id, "report_due", mission.id), START)

    assert due(mission.professional.user) and due(coordinator)
    assert not due(make_user("coordinator"))          # not this mission's
    file(mission, "professional", mission.professional.user)
    assert not due(mission.professional.user) and due(coordinator)


def test_report_reminders_stop_for_a_cancelled_mission(host, make_need, make_professional, propose,
                                                       manager):
    mission = propose(make_need(host[0]), make_professional())
    lifecycle.transition(db.session, mission, "cancel", actor=manager, now=START, reason="Strike")
    notification = Notification(mission.professional.user_id, "report_due", mission.id)
    assert not mission_hooks().reminder_validators["report_due"](db.session, notification, START)


def test_follow_up_reminders_stop_once_answered(completed, host, clock):
    mission = completed()
    _facility, coordinator = host
    still_due = mission_hooks().reminder_validators["follow_up_due"]

    def due(months):
        return still_due(db.session, Notification(coordinator.id, "follow_up_due", mission.id,
                                                  {"months": months}), START)

    assert due(3) and due(12) and not due(4)
    clock.set(datetime(2026, 7, 20, tzinfo=UTC))
    outcomes.answer_follow_up(db.session, outcomes.get_follow_up(db.session, mission, 3),
                              {"practice_in_use": True, "counterparts_in_post": 1,
                               "trainees_cascaded": 0}, actor=coordinator, now=clock())
    assert not due(3) and due(6)


# --- pages --------------------------------------------------------------------------------

def test_the_mission_page_offers_each_side_its_report(completed, host, signed_in, manager):
    mission = completed()
    _facility, coordinator = host
    page = signed_in(mission.professional.user).get(f"/missions/{mission.id}").get_data(as_text=True)
    assert f"/missions/{mission.id}/outcomes/professional" in page
    assert f"/missions/{mission.id}/outcomes/host" not in page
    page = signed_in(coordinator).get(f"/missions/{mission.id}").get_data(as_text=True)
    assert f"/missions/{mission.id}/outcomes/host" in page
    page = signed_in(manager).get(f"/missions/{mission.id}").get_data(as_text=True)
    assert f"/missions/{mission.id}/outcomes/host/waive" in page


def test_report_form_round_trip_with_rows(completed, signed_in):
    mission = completed()
    browser = signed_in(mission.professional.user)
    url = f"/missions/{mission.id}/outcomes/professional"
    assert browser.get(url).status_code == 200
    form = {"trained_total": "5", "sessions_held": "2", "hours": "6", "rating": "4",
            "trainees-0-cadre": "2222", "trainees-0-gender": "female", "trainees-0-count": "4",
            "trainees-1-cadre": "", "trainees-1-gender": "", "trainees-1-count": "",
            "items-0-kind": "curriculum", "items-0-title": "Helping Babies Breathe",
            "barriers": ["supplies", "time"], "next_steps": ["follow_up_mission"]}
    wrong = browser.post(url, form)
    assert wrong.status_code == 422 and "add up to the total" in wrong.get_data(as_text=True)
    assert browser.post(url, {**form, "trained_total": "4"}).status_code == 302
    report = db.session.scalar(sa.select(OutcomeReport))
    assert (report.trained_total, report.barriers, report.items[0].title) == (
        4, ["supplies", "time"], "Helping Babies Breathe")
    page = browser.get(f"/missions/{mission.id}/outcomes").get_data(as_text=True)
    assert "Helping Babies Breathe" in page and "Host facility" in page


def test_managers_waive_from_the_mission_page(completed, signed_in, manager):
    mission = completed()
    browser = signed_in(manager)
    refused = browser.post(f"/missions/{mission.id}/outcomes/host/waive", {"reason": ""},
                           follow_redirects=True)
    assert "Give a reason for the waiver" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ReportWaiver.id))) == 0
    assert browser.post(f"/missions/{mission.id}/outcomes/host/waive",
                        {"reason": "Facility closed for works"}).status_code == 302
    assert db.session.scalar(sa.select(ReportWaiver.reason)) == "Facility closed for works"
    again = browser.post(f"/missions/{mission.id}/outcomes/host/waive", {"reason": "Twice over"},
                         follow_redirects=True)
    assert "waived already" in again.get_data(as_text=True)
