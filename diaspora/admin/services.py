"""Administration: reading the audit log, putting a new WHO safeguards list in force."""
from __future__ import annotations

from datetime import UTC, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import audit
from ..audit import AuditEvent
from ..db import unit_of_work
from ..security import Actor
from .models import SafeguardList


def audit_query(filters: dict) -> sa.Select:
    """The audit log, newest first, narrowed by the loaded ``AuditQuerySchema`` filters
    (``since`` and ``until`` are whole UTC days)."""
    statement = sa.select(AuditEvent).order_by(AuditEvent.id.desc())
    for field in ("action", "entity", "actor_id", "entity_id"):
        if field in filters:
            statement = statement.where(getattr(AuditEvent, field) == filters[field])
    if "since" in filters:
        statement = statement.where(AuditEvent.at >= datetime.combine(filters["since"], time.min,
                                                                      tzinfo=UTC))
    if "until" in filters:
        statement = statement.where(AuditEvent.at <= datetime.combine(filters["until"], time.max,
                                                                      tzinfo=UTC))
    return statement


def put_in_force(session: Session, data: dict, *, actor: Actor, now: datetime) -> SafeguardList:
    """A new safeguards list (loaded ``SafeguardListSchema``) replaces the one in force."""
    with unit_of_work(session):
        entry = SafeguardList(**data, created_at=now, created_by_id=actor.id)
        entry.countries = sorted(set(data["countries"]))
        session.add(entry)
        session.flush()
        audit.record(session, now=now, actor=actor, action="update",
                     entity="safeguard_list", entity_id=entry.id,
                     detail={"countries": len(entry.countries)})
    return entry


def safeguard_history(session: Session) -> list[SafeguardList]:
    return session.scalars(sa.select(SafeguardList).order_by(SafeguardList.id.desc())).all()
