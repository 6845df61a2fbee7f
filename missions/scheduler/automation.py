"""The lifecycle moves the scheduler makes on its own, through the same ``lifecycle.transition``
as a person's action (the history names the scheduler as the actor):

- a confirmed or ready mission starts at its start, and an ongoing one completes at its end;
- a completed mission whose outcome report is still missing a week after the report was due
  is flagged (``report_overdue_at``) and its managers are told.

Several schedulers may run this at once: the transition's compare-and-set (``… WHERE id = :id
AND status = :seen``) takes the row lock (PostgreSQL) or the write lock (SQLite); whoever comes
second finds the status changed (a 409 to a person) and leaves the mission. The overdue flag is
claimed the same way, on ``report_overdue_at``.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from diaspora.db import unit_of_work
from diaspora.errors import DomainError

from ..core import lifecycle
from ..core.models import Mission
from ..core.vocabulary import MissionAction as Action, MissionStatus as Status
from ..notifications import notices
from ..notifications.producers import REPORT_DUE_AFTER

REPORT_OVERDUE_AFTER = REPORT_DUE_AFTER + timedelta(days=7)


def run(session, now: datetime) -> dict[str, int]:
    """Start, complete and flag what is due at ``now``; counts of what was done."""
    started = _move_all(session, Action.START, Mission.starts_at <= now, now)
    completed = _move_all(session, Action.COMPLETE, Mission.ends_at <= now, now)
    return {"started": started, "completed": completed,
            "reports_overdue": _flag_overdue_reports(session, now)}


def _move_all(session, action: str, when, now: datetime) -> int:
    sources = lifecycle.TRANSITIONS[action].sources
    due = session.scalars(sa.select(Mission.id).where(Mission.status.in_(sources), when)
                          .order_by(Mission.starts_at)).all()
    return sum(_move(session, mission_id, action, now) for mission_id in due)


def _move(session, mission_id: int, action: str, now: datetime) -> bool:
    mission = session.get(Mission, mission_id, populate_existing=True)
    try:
        lifecycle.transition(session, mission, action, actor=lifecycle.SCHEDULER, now=now)
    except DomainError:
        # Another scheduler (or a person) was first, or a guard refused: asked again next run
        # (the transition's unit of work rolled back).
        return False
    return True


def _flag_overdue_reports(session, now: datetime) -> int:
    overdue = session.scalars(sa.select(Mission.id).where(
        Mission.status == Status.COMPLETED, Mission.report_overdue_at.is_(None),
        Mission.ends_at <= now - REPORT_OVERDUE_AFTER)).all()
    flagged = 0
    for mission_id in overdue:
        with unit_of_work(session):
            claimed = _claim(session, mission_id, Mission.report_overdue_at.is_(None),
                             report_overdue_at=now)
            if claimed:
                notices.report_overdue(session, session.get(Mission, mission_id), now)
        flagged += claimed
    return flagged


def _claim(session, mission_id: int, condition, **values) -> bool:
    """Lock the mission if ``condition`` still holds, setting ``values``; False if it does not
    (then nothing was written)."""
    result = session.execute(sa.update(Mission).where(Mission.id == mission_id, condition)
                             .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1
