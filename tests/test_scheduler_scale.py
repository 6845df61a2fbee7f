"""The scheduler's work follows what is due, not the registry's size (issue 19).

- An idle run is a handful of statements, the same for a registry ten times larger.
- A catch-up after downtime runs the same statements for 9 or 81 licences fallen due: the
  reminders are produced and re-checked in bulk, not one query per row; and the same for 2 or
  6 missions that start, complete, fall overdue and have their report and follow-up reminders
  re-checked: lifecycle moves and outcome checks go by batches, not by missions.
- Asked with their watermark, the producers yield exactly what the old full reading, run at
  every step, would have stored.
"""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.professionals.models import Professional
from missions.core import lifecycle
from missions.core.hooks import mission_hooks
from missions.core.models import Mission
from missions.scheduler import automation
from missions.scheduler.models import SchedulerWatermark
from missions.scheduler.process import run_once

from .conftest import START
from .test_query_counts import count_queries

IDLE_STATEMENTS_AT_MOST = 50   # the bound for an idle run at 1,000,000 professionals


def licensed(make_professional, count: int, first_end: date) -> None:
    """``count`` professionals, each with a licence ending a day after the previous one's."""
    for n in range(count):
        make_professional(licences=(("GH", date(2024, 1, 1), first_end + timedelta(days=n)),))


def statements_of_run(app, at) -> tuple[int, dict]:
    with count_queries(app) as counted:
        counts = run_once(db.session, at)
    return len(counted), counts


def test_an_idle_run_does_not_grow_with_the_registry(app, make_professional, make_need, propose,
                                                     manager):
    professional = make_professional()
    mission = propose(make_need(), professional)
    lifecycle.transition(db.session, mission, "accept", actor=professional.user, now=START)
    licensed(make_professional, 3, date(2026, 5, 1))
    first = START + timedelta(days=10)
    run_once(db.session, first)                          # the first run reads everything in force
    small, counts = statements_of_run(app, first + timedelta(minutes=1))
    assert counts["stored"] == 0 and counts.get("sent", 0) == 0

    licensed(make_professional, 27, date(2026, 5, 1))  # ten times the registry
    db.session.execute(sa.delete(SchedulerWatermark))  # and a first run over it again
    db.session.commit()
    run_once(db.session, first + timedelta(minutes=2))
    large, counts = statements_of_run(app, first + timedelta(minutes=3))
    assert counts["stored"] == 0
    assert large == small <= IDLE_STATEMENTS_AT_MOST


def test_a_catch_up_runs_the_same_statements_for_ten_times_the_due_rows(app, make_professional):
    """Down for days: the licences whose 90-day warning fell in those days are all sent,
    produced by one query and re-checked with one query per kind of record."""
    licensed(make_professional, 1, date(2027, 1, 1))   # not due in either window
    before = START + timedelta(days=1)
    run_once(db.session, before)
    # warnings on days 2..10 after START: valid_until = warning day + 90 days
    licensed(make_professional, 9, START.date() + timedelta(days=92))
    db.session.execute(sa.update(SchedulerWatermark).values(ran_until=before))
    db.session.commit()
    few, counts = statements_of_run(app, before + timedelta(days=30))
    assert counts["sent"] == 9

    # warnings on days 32..112 after START, in the next 90 days of downtime
    licensed(make_professional, 81, START.date() + timedelta(days=92 + 30))
    many, counts = statements_of_run(app, before + timedelta(days=30 + 90))
    assert counts["sent"] == 81
    assert many == few


def test_a_catch_up_runs_the_same_statements_for_three_times_the_missions(
        app, make_professional, make_need, make_facility, make_user, propose, manager):
    """Missions that start, complete, fall overdue and have their report, follow-up and
    availability reminders re-checked during the downtime: 2 of them, then 6, cost the same
    statements (one batch each)."""
    coordinator = make_user("coordinator")
    facility = make_facility()
    facility.coordinators.append(coordinator)
    downtime = timedelta(days=130)

    def confirmed(count: int, starts_on: date) -> list:
        missions = []
        for _ in range(count):
            professional = make_professional()
            need = make_need(facility, earliest_start=starts_on,
                             latest_end=starts_on + timedelta(days=60))
            mission = propose(need, professional, starts_on=starts_on)
            lifecycle.transition(db.session, mission, "accept", actor=professional.user, now=START)
            lifecycle.transition(db.session, mission, "confirm", actor=manager, now=START)
            missions.append(mission)
        # their availability goes stale a month after the start, inside the same downtime
        db.session.execute(sa.update(Professional).where(
            Professional.id.in_([mission.professional_id for mission in missions])).values(
            availability_updated_at=missions[0].starts_at - timedelta(days=152), updated_at=START))
        db.session.commit()
        return missions

    before = START + timedelta(days=1)
    run_once(db.session, before)
    confirmed(2, date(2026, 3, 20))
    few, counts = statements_of_run(app, before + downtime)
    assert (counts["started"], counts["completed"], counts["reports_overdue"]) == (2, 2, 2)
    sent = counts["sent"]
    assert sent >= 2 * (2 + 2 + 1)   # report due and 3-month survey to both people, stale profile

    missions = confirmed(6, date(2026, 3, 20) + downtime)
    many, counts = statements_of_run(app, before + 2 * downtime)
    assert (counts["started"], counts["completed"], counts["reports_overdue"]) == (6, 6, 6)
    assert counts["sent"] >= 3 * sent
    assert all(mission.status == "completed" for mission in missions)
    assert many == few


def test_a_hook_refusing_one_mission_of_a_batch_leaves_the_others_moving(
        app, make_professional, make_need, make_facility, propose, manager):
    """A transition hook that raises a domain error rolls the batch back; the scheduler then
    moves its missions one at a time, so only the refused one stays (asked again later)."""
    from diaspora.errors import Conflict

    facility = make_facility()
    missions = []
    for _ in range(3):
        professional = make_professional()
        mission = propose(make_need(facility), professional)
        lifecycle.transition(db.session, mission, "accept", actor=professional.user, now=START)
        lifecycle.transition(db.session, mission, "confirm", actor=manager, now=START)
        missions.append(mission)
    refused = missions[1].id

    def refuse(session, mission, action, actor, now):
        if action == "start" and mission.id == refused:
            raise Conflict("not this one")

    hooks = mission_hooks()
    hooks.after_transition.append(refuse)
    try:
        counts = automation.run(db.session, missions[0].starts_at + timedelta(hours=1))
    finally:
        hooks.after_transition.remove(refuse)
    statuses = {mission.id: db.session.get(Mission, mission.id).status for mission in missions}
    assert counts["started"] == 2
    assert statuses == {mission.id: "confirmed" if mission.id == refused else "in_progress"
                        for mission in missions}


def keys(reminders) -> set[str]:
    return {reminder.key for reminder in reminders}


def test_windowed_production_equals_the_full_reading_at_every_step(
        app, make_professional, make_need, make_facility, propose, manager):
    """A year of steps over licences, proposals, readiness, starts, reports and follow-ups."""
    for n, end in enumerate((date(2026, 5, 10), date(2026, 7, 31), date(2026, 8, 31))):
        make_professional(licences=(("GH", date(2024, 1, 1), end),
                                                   ("SN", date(2024, 1, 1), end + timedelta(days=n))))
    make_professional(licences=(("GH", date(2024, 1, 1), date(2026, 6, 1)),   # renewed
                                ("GH", date(2026, 6, 1), date(2029, 6, 1))))
    facility = make_facility()
    facility.coordinators.append(manager)
    waiting = make_professional()
    propose(make_need(facility), waiting, starts_on=date(2026, 6, 1))
    going = make_professional()
    mission = propose(make_need(facility), going, starts_on=date(2026, 4, 20))
    lifecycle.transition(db.session, mission, "accept", actor=going.user, now=START)
    lifecycle.transition(db.session, mission, "confirm", actor=manager, now=START)
    db.session.commit()

    producers = mission_hooks().reminder_producers
    stored_before, stored_now = set(), set()
    steps = sorted([START + timedelta(days=days, hours=days % 5) for days in range(0, 420, 7)]
                   + [mission.starts_at - timedelta(hours=12)])  # the day-before reminder
    previous = None
    for at in steps:
        automation.run(db.session, at)  # missions start and complete as time passes
        for producer in producers:
            stored_before |= keys(producer(db.session, at))
            stored_now |= keys(producer(db.session, at, since=previous))
        previous = at
    kinds = {key.split(":")[0] for key in stored_now}
    assert {"licence_expiring", "proposal_waiting", "readiness_incomplete", "mission_starts",
            "report_due", "follow_up_due", "availability_stale"} <= kinds
    assert stored_now == stored_before


def test_a_producer_without_a_watermark_argument_still_runs_at_every_run(app, make_user, clock):
    """A producer written to the older contract ``fn(session, now)`` reads all it has."""
    from missions.scheduler import reminders

    user = make_user("professional")
    asked = []

    def legacy(session, now):
        asked.append(now)
        yield reminders.Reminder(user_id=user.id, kind="report_due", key=f"legacy:{now:%j}",
                                 due_at=now)

    hooks = mission_hooks()
    hooks.reminder_producers.append(legacy)
    try:
        first = run_once(db.session, START)
        second = run_once(db.session, START + timedelta(days=1))
    finally:
        hooks.reminder_producers.remove(legacy)
    assert asked == [START, START + timedelta(days=1)]
    assert first["stored"] == second["stored"] == 1
