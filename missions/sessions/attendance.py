"""The sessions of a virtual mission one by one: cancelling one, recording who attended.

A session is ``scheduled`` until it is ``held`` — its attendance (local counterparts present,
by cadre and gender) recorded, once it has begun — or ``cancelled``, which frees its time in
the professional's bookings. The mission's professional, the host's coordinators and the
managers may do either.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from diaspora import audit
from diaspora.errors import Conflict, Forbidden, Invalid, NotFound

from ..core import access
from ..core.models import Booking, Mission, MissionSession, SessionAttendance
from ..notifications import notices

# Mission statuses in which attendance can be recorded, and sessions cancelled.
RECORDING = ("in_progress", "completed")
CANCELLING = ("proposed", "accepted", "confirmed", "ready", "in_progress")
SESSION_ROLES = ("professional", "coordinator") + access.MANAGERS


def get_session(session, mission: Mission, session_id: int) -> MissionSession:
    found = session.get(MissionSession, session_id)
    if found is None or found.mission_id != mission.id:
        raise NotFound(_("This mission has no such session."))
    return found


def _check_actor(session, actor, mission: Mission) -> None:
    if access.relation(session, actor, mission) not in SESSION_ROLES:
        raise Forbidden(_("You cannot change this mission's sessions."))


def record_attendance(session, mission_session: MissionSession, rows: list[dict], *, actor,
                      now: datetime) -> MissionSession:
    """Replace the session's attendance with ``rows`` (cadre, gender, count); it was held."""
    mission = mission_session.mission
    _check_actor(session, actor, mission)
    if mission.status not in RECORDING:
        raise Conflict(_("Attendance is recorded once the mission is under way."),
                       extra={"current_status": mission.status})
    if mission_session.status == "cancelled":
        raise Conflict(_("This session was cancelled."), extra={"current_status": "cancelled"})
    if now < mission_session.starts_at:
        raise Conflict(_("This session has not begun yet."),
                       extra={"current_status": mission_session.status})
    mission_session.attendance.clear()
    session.flush()  # the old rows go before new ones with the same cadre and gender arrive
    mission_session.attendance.extend(SessionAttendance(**row) for row in rows)
    _set_status(mission_session, "held", None, now)
    audit.record(session, now=now, actor=actor, action="update", entity="mission_session",
                 entity_id=mission_session.id,
                 detail={"status": "held", "attendees": sum(row["count"] for row in rows)})
    session.commit()
    return mission_session


def cancel_session(session, mission_session: MissionSession, reason: str | None, *, actor,
                   now: datetime) -> MissionSession:
    """Cancel a scheduled session: its booking is released and the others are told."""
    mission = mission_session.mission
    _check_actor(session, actor, mission)
    if mission.status not in CANCELLING:
        raise Conflict(_("The mission is %(status)s: its sessions cannot be cancelled.",
                         status=mission.status), extra={"current_status": mission.status})
    if mission_session.status != "scheduled":
        raise Conflict(_("Only a scheduled session can be cancelled."),
                       extra={"current_status": mission_session.status})
    if not (reason and reason.strip()):
        raise Invalid(_("Give a reason."), errors={"reason": [_("Give a reason.")]})
    _set_status(mission_session, "cancelled", reason, now)
    session.execute(sa.update(Booking).where(Booking.session_id == mission_session.id)
                    .values(active=False).execution_options(synchronize_session="fetch"))
    notices.session_cancelled(session, mission_session, actor, now)
    audit.record(session, now=now, actor=actor, action="update", entity="mission_session",
                 entity_id=mission_session.id, detail={"status": "cancelled"})
    session.commit()
    return mission_session


def _set_status(mission_session: MissionSession, status: str, reason: str | None,
                now: datetime) -> None:
    mission_session.status = status
    mission_session.status_reason = reason
    mission_session.status_changed_at = now
    mission_session.mission.updated_at = now  # calendars publish the change (SEQUENCE, DTSTAMP)
