"""Demo needs and missions on top of the registry's demo people (``flask diaspora demo-data``).

Everything goes through the same services as people's actions, so the demo history reads like a
real one: needs filed, approved, matched from the shortlist, proposed, accepted, confirmed — and
one circular engagement whose first mission already took place.
"""
from __future__ import annotations

from datetime import date, time, timedelta


from diaspora.needs import services as needs
from diaspora.professionals.models import Professional

from . import services
from .matching import shortlist


def load(session, *, now, rng, staff, programme) -> list[str]:
    manager = staff["manager"]
    facilities = [(facility, person) for person in (staff["coordinator"], staff["coordinator2"])
                  for facility in person.facilities]
    if not facilities:
        return ["no coordinated facility: demo needs skipped"]
    today = now.date()
    plans = [
        # (facility index, need fields, status to reach, mission: None / "proposed" / "confirmed")
        (0, {"title": "Emergency obstetric care: training of midwives and doctors", "cadre": "2212",
             "specialty": "obstetrics-gynaecology", "purpose": "training_of_trainers",
             "mode": "physical", "duration_days": 21, "priority": 1, "languages": ["en", "tw"],
             "skills": ["caesarean section"]}, "approved", "confirmed"),
        (0, {"title": "Neonatal resuscitation refresher (online)", "cadre": "2221",
             "purpose": "teaching", "mode": "virtual", "sessions_per_week": 1, "weeks": 8,
             "session_hours": 1.5, "priority": 2, "languages": ["en"],
             "skills": ["neonatal resuscitation"]}, "approved", "proposed"),
        (0, {"title": "Anaesthesia service support", "cadre": "2212", "specialty": "anaesthesia",
             "purpose": "clinical_service", "mode": "physical", "duration_days": 14,
             "priority": 2, "languages": ["en"]}, "submitted", None),
        (-1, {"title": "Pharmacy supply chain mentoring", "cadre": "2262",
              "purpose": "management", "mode": "either", "duration_days": 10,
              "sessions_per_week": 1, "weeks": 6, "session_hours": 1, "priority": 3,
              "languages": ["en"]}, "draft", None),
    ]
    made = 0
    for index, fields, status, mission_status in plans:
        facility, coordinator = facilities[index]
        need = needs.create_need(session, {
            "facility_id": facility.id, "programme_id": programme.id,
            "earliest_start": today + timedelta(days=30), "latest_end": today + timedelta(days=150),
            "counterparts": [{"name": "Akosua Boateng", "cadre": "2222"},
                             {"name": "Yaw Mensah", "cadre": "2221"}], **fields},
            actor=coordinator, now=now, submit=status != "draft")
        if status == "approved":
            needs.act(session, need, "approve", actor=manager, now=now)
        made += 1
        if mission_status:
            _mission_from_shortlist(session, need, mission_status, now=now, manager=manager)
    return [f"demo needs: {made}, with missions from their shortlists"]


def _mission_from_shortlist(session, need, status, *, now, manager):
    candidates = shortlist(session, need, now=now, limit=5)
    if not candidates:
        return None
    best = candidates[0]
    professional = session.get(Professional, best.professional_id)
    data = {"kind": best.mode, "starts_on": best.suggested_start}
    if best.mode == "virtual":
        data.update(weekdays=["TU"], session_start=time(14, 0), session_minutes=90,
                    starts_on=_next_tuesday(best.suggested_start))
    mission = services.propose_mission(session, need, professional, data, actor=manager, now=now)
    if status == "confirmed":
        services.transition(session, mission, "accept", actor=professional.user, now=now)
        services.transition(session, mission, "confirm", actor=manager, now=now)
    return mission


def _next_tuesday(day: date) -> date:
    return day + timedelta(days=(1 - day.weekday()) % 7)
