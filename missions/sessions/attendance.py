"""The sessions of a virtual mission one by one: cancelling one, recording who attended.

A session is ``scheduled`` until it is ``held`` — its attendance (local counterparts present,
by cadre and gender) recorded, once it has begun — or ``cancelled``, which frees its time in
the professional's bookings. The mission's professional, the host's coordinators and the
managers may do either. Both are compare-and-set changes of the session's status
(``diaspora.statemachine``): of a cancel and an attendance sent at once, one is a 409.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from diaspora import audit, statemachine
from diaspora.db import unit_of_work
from diaspora.errors import Conflict, Forbidden, Invalid, NotFound
from diaspora.statemachine import Transition
from diaspora.vocabulary import MANAGERS, Role

from ..core import access
from ..core.models import Booking, Mission, MissionSession, SessionAttendance
from ..core.vocabulary import RECORDING, SESSIONS_CANCELLABLE, MissionStatus, SessionStatus
from ..notifications import notices

SESSION_ROLES = (Role.PROFESSIONAL, Role.COORDINATOR) + MANAGERS
# Attendance may be recorded again (corrected) once held.
HOLD = Transition((SessionStatus.SCHEDULED, SessionStatus.HELD), SessionStatus.HELD)
CALL_OFF = Transition((SessionStatus.SCHEDULED,), SessionStatus.CANCELLED)


def get_session(session, mission: Mission, session_id: int) -> MissionSession:
    found = session.get(MissionSession, session_id)
    if found is None or found.mission_id != mission.id:
        raise NotFound(_("This mission has no such session."))
    return found


def _check_actor(session, actor, mission: Mission) -> None:
    if access.relation(session, actor, mission) not in SESSION_ROLES:
        raise Forbidden(_("You cannot change this mission's sessions."))


@dataclass(frozen=True)
class SessionOffer:
    """What the sessions table may offer a viewer: whether they act on sessions at all, and
    the sessions whose attendance they may record and those they may cancel."""

    may_act: bool
    record: frozenset[int]
    cancel: frozenset[int]


def session_offer(mission: Mission, relation: str | None, now: datetime) -> SessionOffer:
    """``relation`` is the viewer's relation to the mission (``access.relation``); the rules
    are those ``record_attendance`` and ``cancel_session`` enforce."""
    if relation not in SESSION_ROLES:
        return SessionOffer(False, frozenset(), frozenset())
    record = frozenset(s.id for s in mission.sessions if mission.status in RECORDING
                       and s.status != SessionStatus.CANCELLED and s.starts_at <= now)
    cancel = frozenset(s.id for s in mission.sessions if mission.status in SESSIONS_CANCELLABLE
                       and s.status == SessionStatus.SCHEDULED)
    return SessionOffer(True, record, cancel)


def record_attendance(session, mission_session: MissionSession, rows: list[dict], *, actor,
                      now: datetime) -> MissionSession:
    """Replace the session's attendance with ``rows`` (cadre, gender, count); it was held."""
    mission = mission_session.mission
    _check_actor(session, actor, mission)
    if mission.status not in RECORDING:
        raise Conflict(_("Attendance is recorded once the mission is under way."),
                       extra={"current_status": mission.status})
    statemachine.check(mission_session, HOLD, _cancelled)
    if now < mission_session.starts_at:
        raise Conflict(_("This session has not begun yet."),
                       extra={"current_status": mission_session.status})
    with unit_of_work(session):
        _set_status(session, mission_session, HOLD, None, now, refusal=_cancelled)
        mission_session.attendance.clear()
        session.flush()  # the old rows go before new ones with the same cadre and gender arrive
        mission_session.attendance.extend(SessionAttendance(**row) for row in rows)
        audit.record(session, now=now, actor=actor, action="update", entity="mission_session",
                     entity_id=mission_session.id,
                     detail={"status": SessionStatus.HELD, "attendees": sum(row["count"] for row in rows)})
    return mission_session


def _cancelled(status: str) -> str:
    return _("This session was cancelled.")


def _not_scheduled(status: str) -> str:
    return _("Only a scheduled session can be cancelled.")


def cancel_session(session, mission_session: MissionSession, reason: str | None, *, actor,
                   now: datetime) -> MissionSession:
    """Cancel a scheduled session: its booking is released and the others are told."""
    mission = mission_session.mission
    _check_actor(session, actor, mission)
    if mission.status not in SESSIONS_CANCELLABLE:
        raise Conflict(_("The mission is %(status)s: its sessions cannot be cancelled.",
                         status=MissionStatus.label_of(mission.status)), extra={"current_status": mission.status})
    statemachine.check(mission_session, CALL_OFF, _not_scheduled)
    if not (reason and reason.strip()):
        raise Invalid(_("Give a reason."), errors={"reason": [_("Give a reason.")]})
    with unit_of_work(session):
        _set_status(session, mission_session, CALL_OFF, reason, now, refusal=_not_scheduled)
        session.execute(sa.update(Booking).where(Booking.session_id == mission_session.id)
                        .values(active=False).execution_options(synchronize_session="fetch"))
        notices.session_cancelled(session, mission_session, actor, now)
        audit.record(session, now=now, actor=actor, action="update", entity="mission_session",
                     entity_id=mission_session.id, detail={"status": SessionStatus.CANCELLED})
    return mission_session


def _set_status(session, mission_session: MissionSession, transition: Transition,
                reason: str | None, now: datetime, *, refusal) -> None:
    """The session's status first (compare-and-set), before anything that follows from it."""
    statemachine.apply(session, mission_session, transition, refusal=refusal,
                       status_reason=reason, status_changed_at=now)
    mission_session.mission.updated_at = now  # calendars publish the change (SEQUENCE, DTSTAMP)
