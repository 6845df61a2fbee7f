"""Certificates of service (a mission in person) and CPD statements (an online series).

A certificate is issued once per mission that went ahead and ended (completed, reported,
closed), when its professional first asks for it; what it states is fixed in its row then:
the holder's name, programme, facility, dates, hours, sessions and people trained. Hours and
sessions of an online series are those of the sessions held; for a mission in person they come
from the professional's outcome report (the host's when theirs is missing). Its code is what a
third party checks on the public page, which shows only name, programme, facility, dates and
hours.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diaspora import audit
from diaspora.db import unit_of_work
from diaspora.errors import Conflict, Forbidden, NotFound
from diaspora.professionals.models import Professional
from diaspora.security import Actor
from diaspora.vocabulary import Role

from ..core.access import may_have_certificate, relation
from ..core.models import Mission
from ..core.vocabulary import DONE, SessionStatus
from ..outcomes.models import OutcomeReport
from .models import AttendanceCertificate, Certificate

# Crockford's base 32: no I, L, O, U, so a code read aloud or typed is not mistaken.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """``ABCD-EFGH-JKMN-PQRS``, as printed."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normal_code(text: str | None) -> str | None:
    """A typed code as stored (case, spaces, dashes and look-alike letters forgiven); None
    when it cannot be one."""
    code = re.sub(r"[\s-]", "", (text or "").upper()).translate(_READ_AS)
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def may_have(session: Session, actor: Actor, mission: Mission) -> bool:
    """The certificate is the professional's own; managers of the mission may print it too."""
    return may_have_certificate(session, actor, mission)


def certificate_for(session: Session, mission: Mission, *, actor: Actor, now: datetime) -> Certificate:
    """The mission's certificate, issued on first request."""
    if not may_have(session, actor, mission):
        raise Forbidden(_("This certificate is not yours."))
    existing = session.scalar(sa.select(Certificate).where(Certificate.mission_id == mission.id))
    if existing is not None:
        if relation(session, actor, mission) != Role.PROFESSIONAL:   # someone else's, read
            with unit_of_work(session):
                audit.record(session, now=now, actor=actor, action="read", entity="certificate",
                             entity_id=existing.id)
        return existing
    if mission.status not in DONE:
        raise Conflict(_("A certificate is issued once the mission is completed."),
                       extra={"current_status": mission.status})
    try:
        with unit_of_work(session):
            certificate = _issue(session, mission, now)
            session.add(certificate)
            session.flush()
            audit.record(session, now=now, actor=actor, action="create", entity="certificate",
                         entity_id=certificate.id, detail={"mission": mission.id})
    except IntegrityError:  # issued at the same moment by another request: theirs stands
        certificate = session.scalar(sa.select(Certificate).where(Certificate.mission_id == mission.id))
        if certificate is None:
            raise
    return certificate


def _issue(session: Session, mission: Mission, now: datetime) -> Certificate:
    need = mission.need
    professional = mission.professional
    online = mission.kind == "virtual"
    reports = {r.side: r for r in session.scalars(
        sa.select(OutcomeReport).where(OutcomeReport.mission_id == mission.id))}
    report = reports.get("professional") or reports.get("host")
    if online:
        held = [s for s in mission.sessions if s.status == SessionStatus.HELD]
        hours = round(sum((s.ends_at - s.starts_at).total_seconds() for s in held) / 3600, 1)
        sessions = len(held)
    else:
        hours = report.hours if report else None
        sessions = report.sessions_held if report else None
    return Certificate(
        code=new_code(), kind="cpd" if online else "service", mission_id=mission.id,
        professional_id=professional.id, holder_name=professional.full_name[:200],
        programme_name=need.programme.name if need.programme else None,
        facility_name=mission.facility.name, country=mission.facility.country,
        starts_on=mission.starts_on, ends_on=mission.ends_on, hours=hours, sessions=sessions,
        people_trained=report.trained_total if report else None, issued_at=now)


def check(session: Session, text: str | None) -> Certificate | AttendanceCertificate:
    """The public check: one answer for every code that is not a certificate's (a
    professional's or a health worker's attendance certificate)."""
    code = normal_code(text)
    certificate = None
    if code:
        certificate = session.scalar(sa.select(Certificate).where(Certificate.code == code)) \
            or session.scalar(sa.select(AttendanceCertificate).where(
                AttendanceCertificate.code == code))
    if certificate is None:
        raise NotFound(_("No certificate has this code."))
    return certificate


def erase_certificates(session, user, now: datetime) -> None:
    """Erasure: the person's certificates go (their codes no longer check)."""
    session.execute(sa.delete(Certificate).where(Certificate.professional_id.in_(
        sa.select(Professional.id).where(Professional.user_id == user.id))))


def certificates_of(session, user) -> tuple[str, list[dict]]:
    """The person's certificates, for their data export."""
    rows = session.scalars(sa.select(Certificate).join(
        Professional, Professional.id == Certificate.professional_id).where(
        Professional.user_id == user.id).order_by(Certificate.issued_at))
    return "certificates", [{
        "code": shown_code(c.code), "kind": c.kind, "mission_id": c.mission_id,
        "programme": c.programme_name, "facility": c.facility_name,
        "starts_on": c.starts_on.isoformat(), "ends_on": c.ends_on.isoformat(), "hours": c.hours,
        "sessions": c.sessions, "people_trained": c.people_trained,
        "issued_at": c.issued_at.isoformat()} for c in rows]
