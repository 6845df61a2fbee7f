"""Append-only audit log of reads and changes of personal data.

Rows are only ever inserted; the migration installs a trigger on both databases that refuses
UPDATE and DELETE, so not even the application can rewrite history.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db

ACTIONS = ("read", "create", "update", "delete", "denied", "export", "erase", "login")


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        sa.CheckConstraint(f"action IN {ACTIONS!r}", name="action"),
        sa.Index("ix_audit_events_entity", "entity", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)  # no FK: the log outlives accounts
    actor_role: Mapped[str | None] = mapped_column(sa.String(20))
    action: Mapped[str] = mapped_column(sa.String(10))
    entity: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None]
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    detail: Mapped[dict | None] = mapped_column(sa.JSON)


def record(session, *, now: datetime, actor, action: str, entity: str,
           entity_id: int | None = None, detail: dict | None = None) -> AuditEvent:
    """Add an audit event to ``session`` (committed with the caller's transaction)."""
    event = AuditEvent(
        at=now,
        actor_id=getattr(actor, "id", None),
        actor_role=getattr(actor, "role", None),
        action=action,
        entity=entity,
        entity_id=entity_id,
        ip=request.remote_addr if has_request_context() else None,
        detail=detail,
    )
    session.add(event)
    return event


def record_many(session, *, now: datetime, actor, action: str, entity: str,
                details: dict[int, dict | None]) -> None:
    """``record`` of one action on many records, ``{entity_id: detail}``, in one INSERT
    (executemany) of the caller's transaction."""
    if not details:
        return
    ip = request.remote_addr if has_request_context() else None
    session.execute(sa.insert(AuditEvent), [
        {"at": now, "actor_id": getattr(actor, "id", None), "actor_role": getattr(actor, "role", None),
         "action": action, "entity": entity, "entity_id": entity_id, "ip": ip, "detail": detail}
        for entity_id, detail in details.items()])
