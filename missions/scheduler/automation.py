"""The lifecycle moves the scheduler makes on its own, through the same lifecycle as a
person's action (``lifecycle.transition_many``: the history names the scheduler as the actor):

- a confirmed or ready mission starts at its start, and an ongoing one completes at its end;
- a completed mission whose outcome report is still missing a week after the report was due
  is flagged (``report_overdue_at``) and its managers are told.

Work in batches of ``BATCH`` missions, each one unit of work in a constant number of
statements (the ids due in one query, then per batch: the missions locked and loaded with
what the transition reads, one compare-and-set UPDATE per status seen, the histories, audit
rows and follow-ups inserted together, the needs locked and followed together), so a
catch-up after downtime costs statements in proportion to batches, not missions.

Several schedulers may run this at once: on PostgreSQL a batch's missions are taken with
``SELECT … FOR UPDATE SKIP LOCKED``, so two schedulers take different missions; on SQLite the
first write takes the database's write lock. The compare-and-set (``… WHERE id IN (…) AND
status = :seen``) leaves out a mission whose status someone changed meanwhile (asked again
next run, if still due). The overdue flag is claimed the same way, on ``report_overdue_at``.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from diaspora.db import unit_of_work
from diaspora.errors import DomainError
from diaspora.needs.models import Need
from diaspora.programmes.models import Programme

from ..core import lifecycle
from ..core.models import Mission
from ..core.vocabulary import MissionAction as Action, MissionStatus as Status
from ..notifications import notices, producers
from ..notifications.producers import REPORT_DUE_AFTER

REPORT_OVERDUE_AFTER = REPORT_DUE_AFTER + timedelta(days=7)
BATCH = 500   # missions per unit of work
# what ``recipients.managers`` reads of a mission
MANAGERS_OF = (selectinload(Mission.need).selectinload(Need.programme).selectinload(Programme.managers),
               selectinload(Mission.proposed_by))


def run(session, now: datetime) -> dict[str, int]:
    """Start, complete and flag what is due at ``now``; counts of what was done."""
    started = _move_all(session, Action.START, Mission.starts_at <= now, now)
    completed = _move_all(session, Action.COMPLETE, Mission.ends_at <= now, now)
    return {"started": started, "completed": completed,
            "reports_overdue": _flag_overdue_reports(session, now)}


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start:start + BATCH]


def _move_all(session, action: str, when, now: datetime) -> int:
    sources = lifecycle.TRANSITIONS[action].sources
    due = session.scalars(sa.select(Mission.id).where(Mission.status.in_(sources), when)
                          .order_by(Mission.starts_at, Mission.id)).all()
    moved = 0
    for ids in _chunks(due):
        try:
            with unit_of_work(session):
                missions = _take(session, sa.select(Mission).where(
                    Mission.id.in_(ids), Mission.status.in_(sources), when).options(
                    selectinload(Mission.need)))
                moved += len(lifecycle.transition_many(session, missions, action,
                                                       actor=lifecycle.SCHEDULER, now=now))
        except DomainError:
            # a hook refused one of them (the batch rolled back): one at a time, as a person
            # would, so the others still move
            moved += sum(_move(session, mission_id, action, now) for mission_id in ids)
    return moved


def _move(session, mission_id: int, action: str, now: datetime) -> bool:
    mission = session.get(Mission, mission_id, populate_existing=True)
    if mission is None:
        return False
    try:
        lifecycle.transition(session, mission, action, actor=lifecycle.SCHEDULER, now=now)
    except DomainError:
        return False   # refused, or someone was first: asked again next run
    return True


def _take(session, query: sa.Select) -> list[Mission]:
    """The missions of ``query``, read afresh and locked in id order; on PostgreSQL those
    another scheduler holds are skipped (it is moving them)."""
    query = query.order_by(Mission.id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Mission)
    return list(session.scalars(query))


def _flag_overdue_reports(session, now: datetime) -> int:
    overdue = session.scalars(sa.select(Mission.id).where(
        Mission.status == Status.COMPLETED, Mission.report_overdue_at.is_(None),
        Mission.ends_at <= now - REPORT_OVERDUE_AFTER).order_by(Mission.id)).all()
    flagged = 0
    for ids in _chunks(overdue):
        with unit_of_work(session):
            # the claim: only the rows still unflagged (another scheduler may have been first)
            claimed = session.scalars(
                sa.update(Mission).where(Mission.id.in_(ids), Mission.status == Status.COMPLETED,
                                         Mission.report_overdue_at.is_(None))
                .values(report_overdue_at=now).returning(Mission.id)
                .execution_options(synchronize_session=False)).all()
            if not claimed:
                continue
            missions = session.scalars(
                sa.select(Mission).where(Mission.id.in_(claimed)).order_by(Mission.id)
                .options(*MANAGERS_OF, *producers.people_options())
                .execution_options(populate_existing=True))
            notices.reports_overdue(session, list(missions), now)
            flagged += len(claimed)
    return flagged
