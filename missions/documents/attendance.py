"""Attendance certificates for named trainees and counterparts (host health workers).

A host health worker has no account: the certificate is issued, on first request, by those who
keep the training's records — the host facility's coordinators and the programme's managers —
who print it or send it to the worker. It states, fixed in its row: the worker's name, the
training (the need's title), programme, facility, the trainer (the professional), the dates,
and for an online series the sessions the worker attended by name and their hours. For a
mission in person the worker is a named counterpart over the mission's days; nobody records a
counterpart's hours, so none are stated. Printed in the worker's language (their record's
``language``, else the first of the need's languages we print in, else English). Its code
checks on the public page like any certificate's; erasing the worker deletes it, so the code
then answers as an unknown one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diaspora import audit
from diaspora.db import unit_of_work
from diaspora.errors import Conflict, Forbidden, NotFound
from diaspora.professionals.models import Professional
from diaspora.security import Actor
from diaspora.vocabulary import MANAGERS, Role
from diaspora.workforce.models import HostHealthWorker

from ..core.access import relation
from ..core.models import Mission, MissionSession
from ..core.vocabulary import DONE, SessionStatus
from ..placements.models import MissionCounterpart, SessionTrainee
from .certificates import new_code, shown_code
from .models import AttendanceCertificate

ISSUERS = (Role.COORDINATOR, *MANAGERS)
LOCALES = ("en", "fr", "pt")


def may_issue(session: Session, actor: Actor, mission: Mission) -> bool:
    return relation(session, actor, mission) in ISSUERS


def language_of(worker: HostHealthWorker, mission: Mission) -> str:
    if worker.language in LOCALES:
        return worker.language
    return next((code for code in mission.need.languages or () if code in LOCALES), "en")


def _attended(session: Session, mission: Mission, worker_id: int) -> list[MissionSession]:
    return list(session.scalars(
        sa.select(MissionSession).join(SessionTrainee, SessionTrainee.session_id == MissionSession.id)
        .where(MissionSession.mission_id == mission.id, SessionTrainee.worker_id == worker_id,
               MissionSession.status == SessionStatus.HELD).order_by(MissionSession.starts_at)))


@dataclass(frozen=True)
class Attendee:
    worker: HostHealthWorker
    certificate: AttendanceCertificate | None


def attendees(session: Session, mission: Mission) -> list[Attendee]:
    """Who may have an attendance certificate of ``mission`` (its named counterparts, and the
    trainees named at its held sessions), with the certificate issued already if any."""
    if mission.status not in DONE:
        return []
    named = sa.select(MissionCounterpart.worker_id).where(MissionCounterpart.mission_id == mission.id)
    trained = sa.select(SessionTrainee.worker_id).join(
        MissionSession, MissionSession.id == SessionTrainee.session_id).where(
        MissionSession.mission_id == mission.id, MissionSession.status == SessionStatus.HELD)
    workers = session.scalars(sa.select(HostHealthWorker).where(
        HostHealthWorker.id.in_(named.union(trained)), HostHealthWorker.erased_at.is_(None))
        .order_by(HostHealthWorker.family_name, HostHealthWorker.given_name, HostHealthWorker.id))
    issued = {c.worker_id: c for c in session.scalars(sa.select(AttendanceCertificate).where(
        AttendanceCertificate.mission_id == mission.id))}
    return [Attendee(w, issued.get(w.id)) for w in workers]


def certificate_for(session: Session, mission: Mission, worker_id: int, *, actor: Actor,
                    now: datetime) -> AttendanceCertificate:
    """The worker's attendance certificate of ``mission``, issued on first request; every
    download is audited (it is someone else's personal data)."""
    if not may_issue(session, actor, mission):
        raise Forbidden(_("Only the host's coordinators and the programme's managers issue "
                          "attendance certificates."))
    worker = session.get(HostHealthWorker, worker_id)
    if worker is None or worker.erased_at is not None or worker.facility_id != mission.facility_id:
        raise NotFound(_("No such health worker."))
    existing = session.scalar(sa.select(AttendanceCertificate).where(
        AttendanceCertificate.mission_id == mission.id, AttendanceCertificate.worker_id == worker.id))
    if existing is not None:
        with unit_of_work(session):
            audit.record(session, now=now, actor=actor, action="read",
                         entity="attendance_certificate", entity_id=existing.id)
        return existing
    if mission.status not in DONE:
        raise Conflict(_("A certificate is issued once the mission is completed."),
                       extra={"current_status": mission.status})
    certificate = _issue(session, mission, worker, actor, now)
    try:
        with unit_of_work(session):
            session.add(certificate)
            session.flush()
            audit.record(session, now=now, actor=actor, action="create",
                         entity="attendance_certificate", entity_id=certificate.id,
                         detail={"mission": mission.id, "worker": worker.id})
    except IntegrityError:  # issued at the same moment by another request: theirs stands
        certificate = session.scalar(sa.select(AttendanceCertificate).where(
            AttendanceCertificate.mission_id == mission.id,
            AttendanceCertificate.worker_id == worker.id))
        if certificate is None:
            raise
    return certificate


def _issue(session: Session, mission: Mission, worker: HostHealthWorker, actor: Actor,
           now: datetime) -> AttendanceCertificate:
    need = mission.need
    online = mission.kind == "virtual"
    hours = sessions = None
    if online:
        attended = _attended(session, mission, worker.id)
        if not attended:
            raise Conflict(_("%(name)s is not recorded at any session held.", name=worker.full_name))
        days = [s.starts_at.astimezone(ZoneInfo(s.timezone)).date() for s in attended]
        starts_on, ends_on = days[0], days[-1]
        hours = round(sum((s.ends_at - s.starts_at).total_seconds() for s in attended) / 3600, 1)
        sessions = len(attended)
    else:
        if session.get(MissionCounterpart, (mission.id, worker.id)) is None:
            raise Conflict(_("%(name)s is not a named counterpart of this mission.",
                             name=worker.full_name))
        starts_on, ends_on = mission.starts_on, mission.ends_on
    return AttendanceCertificate(
        code=new_code(), mission_id=mission.id, worker_id=worker.id,
        holder_name=worker.full_name[:200],
        programme_name=need.programme.name if need.programme else None,
        facility_name=mission.facility.name, country=mission.facility.country,
        training=need.title[:200], trainer_name=mission.professional.full_name[:200],
        online=online, starts_on=starts_on, ends_on=ends_on, hours=hours, sessions=sessions,
        issued_at=now, issued_by_id=actor.id)


def get_issued(session: Session, mission: Mission, worker_id: int) -> AttendanceCertificate:
    found = session.scalar(sa.select(AttendanceCertificate).where(
        AttendanceCertificate.mission_id == mission.id, AttendanceCertificate.worker_id == worker_id))
    if found is None:
        raise NotFound(_("No such certificate."))
    return found


# --- privacy ------------------------------------------------------------------------------

def erase_worker_certificates(session: Session, worker: HostHealthWorker, now: datetime) -> None:
    """The worker's erasure: their certificates go; their codes then check as unknown ones."""
    session.execute(sa.delete(AttendanceCertificate).where(
        AttendanceCertificate.worker_id == worker.id))


def worker_certificates(session: Session, worker: HostHealthWorker) -> tuple[str, list[dict]]:
    """The worker's attendance certificates, for their data export."""
    rows = session.scalars(sa.select(AttendanceCertificate).where(
        AttendanceCertificate.worker_id == worker.id).order_by(AttendanceCertificate.issued_at))
    return "attendance_certificates", [{
        "code": shown_code(c.code), "mission_id": c.mission_id, "training": c.training,
        "programme": c.programme_name, "facility": c.facility_name, "trainer": c.trainer_name,
        "starts_on": c.starts_on.isoformat(), "ends_on": c.ends_on.isoformat(),
        "hours": c.hours, "sessions": c.sessions, "issued_at": c.issued_at.isoformat()}
        for c in rows]


def forget_trainer(session: Session, user, now: datetime) -> None:
    """A professional's erasure: the certificates of those she trained keep their facts but no
    longer name her."""
    their_missions = sa.select(Mission.id).join(Professional).where(Professional.user_id == user.id)
    session.execute(sa.update(AttendanceCertificate).where(
        AttendanceCertificate.mission_id.in_(their_missions)).values(trainer_name=None))
