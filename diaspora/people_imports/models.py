"""An imported person's invitation: who imported them, what the file said that the profile does
not keep (birth year, for de-duplication), when the invitation was sent and claimed."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..vocabulary import HoldStatus


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


class DuplicateHold(db.Model):
    """A row of an import held, not created: same name with the same phone or birth year as
    ``existing`` (someone in the registry, or a person an earlier row of the file created).
    ``cells`` keeps the row as mapped (text), validated again when a manager decides."""

    __tablename__ = "import_duplicates"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {HoldStatus.codes()!r}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"),
                                               index=True)
    row: Mapped[int]
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    cells: Mapped[dict] = mapped_column(sa.JSON)
    country_of_origin: Mapped[str | None] = mapped_column(sa.String(2))
    existing_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=HoldStatus.PENDING, index=True)
    created_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    decided_at: Mapped[datetime | None]
    # the person merged into, or created
    professional_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="SET NULL"))

    existing = relationship("Professional", foreign_keys=[existing_id])


class SavedMapping(db.Model):
    """A programme's named mapping of a spreadsheet's columns to fields, proposed again for a
    file whose header is the same (``header_key``: the folded columns, in any order)."""

    __tablename__ = "import_mappings"
    __table_args__ = (sa.UniqueConstraint("programme_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id", ondelete="CASCADE"),
                                              index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    header_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    # folded column → field
    mapping: Mapped[dict] = mapped_column(sa.JSON)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    programme = relationship("Programme")
