"""Notices sent at once when something happens to a mission that concerns someone.

``on_transition`` is a transition hook (``MissionHooks.after_transition``): it runs inside the
transition's transaction, so a notice exists exactly when the change it reports was committed.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from diaspora.auth.models import User
from diaspora.vocabulary import MANAGERS, Role

from ..core.models import Mission, MissionSession
from . import outbox, recipients

# action -> (kind, who hears of it)
TRANSITION_NOTICES = {
    "propose": ("mission_proposed", recipients.professional),
    "reschedule": ("mission_proposed", recipients.professional),
    "accept": ("mission_accepted", None),    # the managers
    "decline": ("mission_declined", None),
    "confirm": ("mission_confirmed", recipients.mission_people),
    "cancel": ("mission_cancelled", recipients.mission_people),
    "postpone": ("mission_postponed", recipients.mission_people),
}


def on_transition(session, mission: Mission, action: str, actor, now: datetime) -> None:
    if action not in TRANSITION_NOTICES:
        return
    kind, audience = TRANSITION_NOTICES[action]
    people = audience(mission) if audience else recipients.managers(session, mission)
    if action == "cancel" and not actor.is_manager:
        # e.g. the professional withdrew consent: the managers who proposed must know too
        people = list({user.id: user for user in
                       people + recipients.managers(session, mission)}.values())
    # The history's length numbers this change: a key per change and person.
    step = len(mission.events)
    payload = {**recipients.mission_facts(mission), "reason": mission.status_reason}
    for user in people:
        if user.id != actor.id:
            outbox.notify_now(session, user=user, kind=kind, now=now, mission_id=mission.id,
                              key=f"{kind}:{mission.id}:{step}:{user.id}", payload=payload)


def session_cancelled(session, mission_session: MissionSession, actor, now: datetime) -> None:
    """Tell the other people of the mission that one session will not take place."""
    mission = mission_session.mission
    payload = {**recipients.mission_facts(mission), "sequence": mission_session.sequence,
               "starts_at": mission_session.starts_at.isoformat(),
               "reason": mission_session.status_reason}
    for user in recipients.mission_people(mission):
        if user.id != actor.id:
            outbox.notify_now(session, user=user, kind="session_cancelled", now=now,
                              mission_id=mission.id, session_id=mission_session.id,
                              key=f"session_cancelled:{mission_session.id}:{user.id}",
                              payload=payload)


def report_overdue(session, mission: Mission, now: datetime) -> None:
    """Tell the programme's managers that a mission's outcome report is overdue."""
    for user in recipients.managers(session, mission):
        outbox.notify_now(session, user=user, kind="report_overdue", now=now,
                          mission_id=mission.id, key=f"report_overdue:{mission.id}:{user.id}",
                          payload=recipients.mission_facts(mission))


def reports_overdue(session, missions: list[Mission], now: datetime) -> None:
    """``report_overdue`` for many missions, in one INSERT (their managers, needs and people
    loaded by the caller)."""
    outbox.notify_all(session, [
        {"user_id": user.id, "kind": "report_overdue", "mission_id": mission.id,
         "key": f"report_overdue:{mission.id}:{user.id}", "payload": recipients.mission_facts(mission)}
        for mission in missions for user in recipients.managers(session, mission)], now)


def coordinator_registered(session, user, now: datetime) -> None:
    """Registry hook (``user_registered``): tell the active managers and admins that a facility
    coordinator registered and waits to be attached to the facility they named."""
    if user.role != Role.COORDINATOR:
        return
    staff = session.scalars(sa.select(User).where(User.role.in_(MANAGERS),
                                                  User.active.is_(True)).order_by(User.id))
    payload = {"user_id": user.id, "name": user.name, "facility": user.facility_requested}
    for manager in staff:
        outbox.notify_now(session, user=manager, kind="coordinator_registered", now=now,
                          key=f"coordinator_registered:{user.id}:{manager.id}", payload=payload)
