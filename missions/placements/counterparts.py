"""Named counterparts and trainees: host health workers linked to missions and sessions, and
each worker's training history.

Naming is the facility's choice: a mission's anonymous counts (outcome reports, session
attendance by cadre and gender) stay as they are and keep feeding the dashboards; a named
link adds who, for the history and the chain counterpart → placed abroad → training others.
The mission's host coordinators and its managers name counterparts, from the host facility's
confirmed staff who gave consent.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from diaspora import audit
from diaspora.db import unit_of_work
from diaspora.errors import Conflict, Forbidden, Invalid
from diaspora.security import Actor
from diaspora.vocabulary import MANAGERS, Role
from diaspora.workforce.models import HostHealthWorker

from ..core import access
from ..core.models import Mission, MissionSession
from ..core.vocabulary import WITHDRAWN, SessionStatus
from .models import MissionCounterpart, Placement, SessionTrainee

NAMING_ROLES = MANAGERS + (Role.COORDINATOR,)


def may_name(session: Session, actor: Actor, mission: Mission) -> bool:
    return access.relation(session, actor, mission) in NAMING_ROLES


def counterparts_of(session: Session, mission: Mission) -> list[HostHealthWorker]:
    return list(session.scalars(
        sa.select(HostHealthWorker).join(MissionCounterpart)
        .where(MissionCounterpart.mission_id == mission.id)
        .order_by(HostHealthWorker.family_name, HostHealthWorker.id)))


def _check(session: Session, actor: Actor, mission: Mission, worker: HostHealthWorker) -> None:
    if not may_name(session, actor, mission):
        raise Forbidden(_("Only the host's coordinators and managers name counterparts."))
    if worker.facility_id != mission.facility_id:
        raise Invalid(_("Counterparts are staff of the host facility."),
                      errors={"worker_id": [_("Counterparts are staff of the host facility.")]})
    if not worker.active:
        raise Invalid(_("Only confirmed staff who gave consent can be named."),
                      errors={"worker_id": [_("Only confirmed staff who gave consent can be named.")]})


def add_counterpart(session: Session, mission: Mission, worker: HostHealthWorker, *,
                    actor: Actor, now: datetime) -> MissionCounterpart:
    _check(session, actor, mission, worker)
    if mission.status in WITHDRAWN:
        raise Conflict(_("The mission was called off."), extra={"current_status": mission.status})
    if session.get(MissionCounterpart, (mission.id, worker.id)) is not None:
        raise Conflict(_("This health worker is named already."))
    link = MissionCounterpart(mission_id=mission.id, worker_id=worker.id, added_at=now,
                              added_by_id=actor.id)
    with unit_of_work(session):
        session.add(link)
        audit.record(session, now=now, actor=actor, action="create", entity="mission_counterpart",
                     entity_id=mission.id, detail={"worker": worker.id})
    return link


def remove_counterpart(session: Session, mission: Mission, worker: HostHealthWorker, *,
                       actor: Actor, now: datetime) -> None:
    if not may_name(session, actor, mission):
        raise Forbidden(_("Only the host's coordinators and managers name counterparts."))
    link = session.get(MissionCounterpart, (mission.id, worker.id))
    if link is None:
        return
    with unit_of_work(session):
        session.delete(link)
        audit.record(session, now=now, actor=actor, action="delete", entity="mission_counterpart",
                     entity_id=mission.id, detail={"worker": worker.id})


def record_trainees(session: Session, mission_session: MissionSession, workers: list, *,
                    actor: Actor, now: datetime) -> None:
    """Who attended a held session, by name (replaces the list; the counts are separate)."""
    mission = mission_session.mission
    for worker in workers:
        _check(session, actor, mission, worker)
    if mission_session.status != SessionStatus.HELD:
        raise Conflict(_("Attendance is recorded once the session is held."),
                       extra={"current_status": mission_session.status})
    with unit_of_work(session):
        session.execute(sa.delete(SessionTrainee).where(
            SessionTrainee.session_id == mission_session.id))
        session.add_all(SessionTrainee(session_id=mission_session.id, worker_id=worker.id,
                                       recorded_at=now) for worker in workers)
        audit.record(session, now=now, actor=actor, action="update", entity="session_trainees",
                     entity_id=mission_session.id, detail={"workers": [w.id for w in workers]})


def trainee_sessions(session: Session, actor: Actor, mission: Mission) -> frozenset[int]:
    """The sessions of ``mission`` whose attendance by name ``actor`` may record (held ones)."""
    if not may_name(session, actor, mission):
        return frozenset()
    return frozenset(s.id for s in mission.sessions if s.status == SessionStatus.HELD)


def trainees_of(session: Session, mission_session: MissionSession) -> list[HostHealthWorker]:
    return list(session.scalars(
        sa.select(HostHealthWorker).join(SessionTrainee)
        .where(SessionTrainee.session_id == mission_session.id)
        .order_by(HostHealthWorker.family_name, HostHealthWorker.given_name, HostHealthWorker.id)))


@dataclass
class TrainingHistory:
    """A worker's missions as a counterpart, sessions attended and placements abroad."""

    missions: list[Mission]
    sessions: list[MissionSession]
    placements: list[Placement]


def history_of(session: Session, worker: HostHealthWorker) -> TrainingHistory:
    missions = session.scalars(
        sa.select(Mission).join(MissionCounterpart, MissionCounterpart.mission_id == Mission.id)
        .where(MissionCounterpart.worker_id == worker.id).order_by(Mission.starts_at))
    sessions = session.scalars(
        sa.select(MissionSession).join(SessionTrainee)
        .where(SessionTrainee.worker_id == worker.id).order_by(MissionSession.starts_at))
    placements = session.scalars(sa.select(Placement).where(Placement.worker_id == worker.id)
                                 .order_by(Placement.starts_on))
    return TrainingHistory(list(missions), list(sessions), list(placements))
