"""The outbox: one row per message to one person.

A row is ``pending`` until it is due; the dispatcher then asks again whether it still makes
sense (see ``missions.scheduler.reminders``) and either delivers it to the person's inbox (``sent``) or
drops it (``skipped``, with ``skip_reason``). When e-mail is configured a delivered row also has
``email_status`` ``pending`` → ``sent`` (or ``failed`` after ``outbox.MAX_EMAIL_ATTEMPTS``);
one dispatcher at a time holds it through ``claimed_by`` / ``claimed_until`` (a lease).

``key`` is the idempotency key: unique, so a reminder is stored — and sent — once, however
often it is produced and however many schedulers run.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db

from ..core.vocabulary import EmailStatus, NotificationStatus


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {NotificationStatus.codes()!r}", name="status"),
        sa.CheckConstraint(f"email_status IN {EmailStatus.codes()!r}", name="email_status"),
        sa.Index("ix_notifications_due", "status", "due_at"),
        sa.Index("ix_notifications_inbox", "user_id", "status", "sent_at"),
        sa.Index("ix_notifications_email", "email_status", "claimed_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    due_at: Mapped[datetime]
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    mission_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("mission_sessions.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default=NotificationStatus.PENDING)
    skip_reason: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    email_status: Mapped[str | None] = mapped_column(sa.String(10))
    attempts: Mapped[int] = mapped_column(default=0)      # e-mail delivery attempts
    claimed_by: Mapped[str | None] = mapped_column(sa.String(80))
    claimed_until: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))

    user = relationship("User")

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} {self.status}>"


class MailOptOut(db.Model):
    """A reminder kind one person does not want e-mailed (it still reaches their inbox)."""

    __tablename__ = "mail_opt_outs"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    created_at: Mapped[datetime]
