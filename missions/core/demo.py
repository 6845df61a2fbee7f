"""Demo needs and missions on top of the registry's demo people (``flask diaspora demo-data``).

Everything goes through the same services as people's actions, so the demo history reads like a
real one: needs filed, approved, matched from the shortlist, proposed, accepted, confirmed — and
one circular engagement whose first mission already took place.
"""
from __future__ import annotations

from datetime import date, time, timedelta

import sqlalchemy as sa

from diaspora.needs import services as needs
from diaspora.professionals.models import Professional
from diaspora.vocabulary import Mode, NeedStatus

from ..matching import shortlist
from ..outcomes import services as outcomes
from ..outcomes.models import FollowUp
from . import lifecycle, proposals
from .vocabulary import MissionAction as Action, MissionStatus


def load(session, *, now, rng, staff, programme) -> list[str]:
    manager = staff["manager"]
    facilities = [(facility, person) for person in (staff["coordinator"], staff["coordinator2"])
                  for facility in person.facilities]
    if not facilities:
        return ["no coordinated facility: demo needs skipped"]
    today = now.date()
    plans = [
        # (facility index, need fields, status to reach, mission: none, proposed or confirmed)
        (0, {"title": "Emergency obstetric care: training of midwives and doctors", "cadre": "2212",
             "specialty": "obstetrics-gynaecology", "purpose": "training_of_trainers",
             "mode": "physical", "duration_days": 21, "priority": 1, "languages": ["en", "tw"],
             "skills": ["caesarean section"]}, NeedStatus.APPROVED, MissionStatus.CONFIRMED),
        (0, {"title": "Neonatal resuscitation refresher (online)", "cadre": "2221",
             "purpose": "teaching", "mode": "virtual", "sessions_per_week": 1, "weeks": 8,
             "session_hours": 1.5, "priority": 2, "languages": ["en"],
             "skills": ["neonatal resuscitation"]}, NeedStatus.APPROVED, MissionStatus.PROPOSED),
        (0, {"title": "Anaesthesia service support", "cadre": "2212", "specialty": "anaesthesia",
             "purpose": "clinical_service", "mode": "physical", "duration_days": 14,
             "priority": 2, "languages": ["en"]}, NeedStatus.SUBMITTED, None),
        (-1, {"title": "Pharmacy supply chain mentoring", "cadre": "2262",
              "purpose": "management", "mode": "either", "duration_days": 10,
              "sessions_per_week": 1, "weeks": 6, "session_hours": 1, "priority": 3,
              "languages": ["en"]}, NeedStatus.DRAFT, None),
    ]
    made = 0
    for index, fields, status, mission_status in plans:
        facility, coordinator = facilities[index]
        need = needs.create_need(session, {
            "facility_id": facility.id, "programme_id": programme.id,
            "earliest_start": today + timedelta(days=30), "latest_end": today + timedelta(days=150),
            "counterparts": [{"name": "Akosua Boateng", "cadre": "2222"},
                             {"name": "Yaw Mensah", "cadre": "2221"}], **fields},
            actor=coordinator, now=now, submit=status != NeedStatus.DRAFT)
        if status == NeedStatus.APPROVED:
            needs.act(session, need, "approve", actor=manager, now=now)
        made += 1
        if mission_status == MissionStatus.CONFIRMED:
            # A circular engagement: the same person went to this facility earlier this year.
            candidates = shortlist(session, need, now=now, limit=1)
            if candidates:
                _past_mission(session, candidates[0].professional_id, facility, coordinator,
                              manager, programme, now=now)
        if mission_status:
            _mission_from_shortlist(session, need, mission_status, now=now, manager=manager)
    return [f"demo needs: {made}, with missions from their shortlists, and one completed "
            f"mission with its outcome reports"]


def _past_mission(session, professional_id, facility, coordinator, manager, programme, *, now):
    """A mission that took place ~5 months ago, fully reported and followed up."""
    professional = session.get(Professional, professional_id)
    then = now - timedelta(days=200)
    need = needs.create_need(session, {
        "facility_id": facility.id, "programme_id": programme.id,
        "title": "Obstetric emergencies drills (first visit)", "cadre": professional.cadre,
        "purpose": "training_of_trainers", "mode": "physical", "duration_days": 14, "priority": 1,
        "earliest_start": then.date() + timedelta(days=20),
        "latest_end": then.date() + timedelta(days=60), "languages": ["en"],
        "counterparts": [{"name": "Akosua Boateng", "cadre": "2222"}]},
        actor=coordinator, now=then, submit=True)
    needs.act(session, need, "approve", actor=manager, now=then)
    mission = proposals.propose_mission(session, need, professional, {
        "kind": "physical", "starts_on": then.date() + timedelta(days=30)}, actor=manager, now=then)
    lifecycle.transition(session, mission, Action.ACCEPT, actor=professional.user, now=then)
    lifecycle.transition(session, mission, Action.CONFIRM, actor=manager, now=then)
    for item in mission.checklist:
        lifecycle.tick(session, mission, item.item, True, actor=manager, now=then)
    lifecycle.transition(session, mission, Action.READY, actor=manager, now=then)
    lifecycle.transition(session, mission, Action.START, actor=lifecycle.SCHEDULER, now=mission.starts_at)
    lifecycle.transition(session, mission, Action.COMPLETE, actor=lifecycle.SCHEDULER, now=mission.ends_at)
    filed = mission.ends_at + timedelta(days=5)
    report = {"trained_total": 12, "sessions_held": 10, "hours": 40, "patients_seen": 35,
              "procedures_done": 9, "tested_count": 12, "pre_score": 54.0, "post_score": 81.0,
              "trainees": [{"cadre": "2222", "gender": "female", "count": 8},
                           {"cadre": "2211", "gender": "male", "count": 3},
                           {"cadre": "2221", "gender": "female", "count": 1}],
              "items": [], "barriers": [], "next_steps": []}
    outcomes.file_report(session, mission, "professional", {**report, "rating": 5},
                         actor=professional.user, now=filed)
    outcomes.file_report(session, mission, "host", {**report, "rating": 5}, actor=coordinator,
                         now=filed)
    lifecycle.transition(session, mission, Action.CLOSE, actor=manager, now=filed)
    survey = session.scalar(sa.select(FollowUp).where(FollowUp.mission_id == mission.id,
                                                      FollowUp.months == 3))
    if survey is not None and survey.due_at < now:
        outcomes.answer_follow_up(session, survey, {"practice_in_use": True, "counterparts_in_post": 1,
                                                    "trainees_cascaded": 6},
                                  actor=coordinator, now=survey.due_at + timedelta(days=2))


def _mission_from_shortlist(session, need, status, *, now, manager):
    candidates = shortlist(session, need, now=now, limit=5)
    if not candidates:
        return None
    best = candidates[0]
    professional = session.get(Professional, best.professional_id)
    data = {"kind": best.mode, "starts_on": best.suggested_start}
    if best.mode == Mode.VIRTUAL:
        data.update(weekdays=["TU"], session_start=time(14, 0), session_minutes=90,
                    starts_on=_next_tuesday(best.suggested_start))
    mission = proposals.propose_mission(session, need, professional, data, actor=manager, now=now)
    if status == MissionStatus.CONFIRMED:
        lifecycle.transition(session, mission, Action.ACCEPT, actor=professional.user, now=now)
        lifecycle.transition(session, mission, Action.CONFIRM, actor=manager, now=now)
    return mission


def _next_tuesday(day: date) -> date:
    return day + timedelta(days=(1 - day.weekday()) % 7)
