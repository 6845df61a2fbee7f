"""The scheduler moves missions on time, through the same transitions as people do."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from diaspora.errors import Conflict
from diaspora.extensions import db
from missions.core import lifecycle
from missions.core.hooks import mission_hooks
from missions.core.models import Mission, MissionEvent
from missions.notifications.models import Notification
from missions.scheduler import automation
from missions.scheduler.process import run_once

from .conftest import START


def act(mission, action, actor, reason=None):
    return lifecycle.transition(db.session, mission, action, actor=actor, now=START, reason=reason)


def confirmed_mission(make_need, make_professional, propose, manager):
    professional = make_professional()
    mission = propose(make_need(), professional)
    act(mission, "accept", professional.user)
    act(mission, "confirm", manager)
    return mission


def history(mission) -> list[tuple]:
    db.session.expire_all()
    return [(e.from_status, e.to_status, e.actor_label)
            for e in db.session.get(Mission, mission.id).events]


def test_a_confirmed_mission_starts_and_completes_on_time(make_need, make_professional, propose,
                                                          manager, clock):
    mission = confirmed_mission(make_need, make_professional, propose, manager)
    clock.set(mission.starts_at - timedelta(seconds=1))
    assert automation.run(db.session, clock())["started"] == 0
    clock.set(mission.starts_at)
    assert automation.run(db.session, clock()) == {"started": 1, "completed": 0,
                                                   "reports_overdue": 0}
    assert automation.run(db.session, clock())["started"] == 0
    clock.set(mission.ends_at)
    assert automation.run(db.session, clock())["completed"] == 1
    assert history(mission)[-2:] == [("confirmed", "in_progress", "scheduler"),
                                     ("in_progress", "completed", "scheduler")]
    assert db.session.get(Mission, mission.id).need.status == "fulfilled"


def test_after_downtime_over_a_whole_mission_one_run_starts_and_completes_it(
        make_need, make_professional, propose, manager, clock):
    mission = confirmed_mission(make_need, make_professional, propose, manager)
    clock.set(mission.ends_at + timedelta(days=1))
    run_once(db.session, clock())
    run_once(db.session, clock())
    assert [step[1] for step in history(mission)] == ["proposed", "accepted", "confirmed",
                                                      "in_progress", "completed"]


def test_unconfirmed_missions_are_left_alone(make_need, make_professional, propose, clock):
    professional = make_professional()
    mission = propose(make_need(), professional)
    act(mission, "accept", professional.user)
    clock.set(mission.starts_at + timedelta(days=1))
    run_once(db.session, clock())
    assert db.session.get(Mission, mission.id).status == "accepted"


def test_a_refusing_guard_leaves_the_mission_for_the_next_run(make_need, make_professional, propose,
                                                              manager, clock):
    mission = confirmed_mission(make_need, make_professional, propose, manager)

    def not_yet(session, mission, now):
        raise Conflict("The host has not opened the ward.")

    mission_hooks().add_guard("start", not_yet)
    clock.set(mission.starts_at)
    assert automation.run(db.session, clock())["started"] == 0
    mission_hooks().guards["start"].remove(not_yet)
    assert automation.run(db.session, clock())["started"] == 1


def test_a_missing_report_is_flagged_a_week_after_it_was_due(make_need, make_professional, propose,
                                                             manager, clock, signed_in, api_client):
    mission = confirmed_mission(make_need, make_professional, propose, manager)
    clock.set(mission.ends_at + timedelta(days=13))
    run_once(db.session, clock())
    assert db.session.get(Mission, mission.id).report_overdue_at is None
    clock.set(mission.ends_at + timedelta(days=14))
    run_once(db.session, clock())
    run_once(db.session, clock())
    assert db.session.get(Mission, mission.id).report_overdue_at == clock()
    notices = db.session.scalars(sa.select(Notification).where(
        Notification.kind == "report_overdue")).all()
    assert [n.user_id for n in notices] == [manager.id]
    page = signed_in(manager).get(f"/missions/{mission.id}").get_data(as_text=True)
    assert "The outcome report is overdue" in page
    client, headers = api_client(manager)
    shown = client.get(f"/api/v1/missions/{mission.id}", headers=headers).json
    assert shown["report_overdue_at"] == clock().isoformat()
    assert db.session.scalar(sa.select(sa.func.count(MissionEvent.id)).where(
        MissionEvent.mission_id == mission.id, MissionEvent.to_status == "completed")) == 1


def test_the_history_names_the_scheduler_in_the_reader_s_language(make_need, make_professional,
                                                                   propose, manager, clock,
                                                                   signed_in):
    mission = confirmed_mission(make_need, make_professional, propose, manager)
    clock.set(mission.starts_at)
    automation.run(db.session, clock())
    page = signed_in(manager).get(f"/missions/{mission.id}?lang=fr").get_data(as_text=True)
    assert "<strong>en cours</strong> (le planificateur)" in page
