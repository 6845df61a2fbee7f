"""An imported person's invitation: who imported them, what the file said that the profile does
not keep (birth year, for de-duplication), when the invitation was sent and claimed."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Invitation(db.Model):
    """One per imported user. Until ``claimed_at`` the person has no password and no consent:
    they are not matchable, listed to coordinators or proposed (the matching asks for consent)."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id", ondelete="SET NULL"))
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    birth_year: Mapped[int | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]

    user = relationship("User", foreign_keys=[user_id])
