"""Uploaded files (the bytes live in ``storage``; the row says what they are and whose) and the
verifications made against them."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..professionals.models import Licence, Professional, Qualification
from .vocabulary import DocumentPurpose

CONTENT_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/webp")


class Document(db.Model):
    """One stored file. ``professional_id`` names the person a personal document is about
    (mission documents are linked to their mission by the missions package); ``storage_key``
    is random, never derived from the name or the person."""

    __tablename__ = "documents"
    __table_args__ = (
        sa.CheckConstraint(f"purpose IN {DocumentPurpose.codes()!r}", name="purpose"),
        sa.CheckConstraint(f"content_type IN {CONTENT_TYPES!r}", name="content_type"),
        sa.CheckConstraint("size > 0", name="size"),
        # Two uploads of the same file for the same purpose keep one (services.store).
        sa.UniqueConstraint("professional_id", "purpose", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(30))
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime]

    professional: Mapped[Professional | None] = relationship()


class Verification(db.Model):
    """A manager checked a licence or a qualification against a document and a register.

    The licence's number, country and dates are kept as they were checked: the verification
    holds while the licence still says the same, and ends when the licence ends."""

    __tablename__ = "verifications"
    __table_args__ = (
        sa.CheckConstraint("(licence_id IS NULL) <> (qualification_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"),
                                             index=True)
    licence_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("licences.id", ondelete="CASCADE"), index=True)
    qualification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("qualifications.id", ondelete="CASCADE"), index=True)
    register: Mapped[str] = mapped_column(sa.String(200))
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime]
    country: Mapped[str] = mapped_column(sa.String(2))
    number: Mapped[str | None] = mapped_column(sa.String(80))
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]

    document: Mapped[Document] = relationship()
    licence: Mapped[Licence | None] = relationship()
    qualification: Mapped[Qualification | None] = relationship()
    verified_by = relationship("User")

    def holds_for(self, licence: Licence) -> bool:
        """Whether this verification still describes ``licence`` as it is now."""
        return (self.licence_id == licence.id and self.country == licence.country
                and self.number == licence.number and self.valid_from == licence.valid_from
                and self.valid_until == licence.valid_until)
