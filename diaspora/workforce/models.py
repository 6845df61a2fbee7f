"""Host health workers: a facility's own staff with a minimal record.

Name, cadre (ISCO-08), facility, gender (for reporting), contact only if they give it, and
consent. A coordinator of the facility creates the record (confirmed at once), or the worker
registers themselves (``confirmed_at`` empty until a coordinator confirms). Only confirmed
workers with consent are named as counterparts or nominated for placements.

``booking_version`` serialises the bookings of one worker's time on placements abroad, as
``professionals.booking_version`` does for missions.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..professionals.models import GENDERS


class HostHealthWorker(db.Model):
    __tablename__ = "host_health_workers"
    __table_args__ = (sa.CheckConstraint(f"gender IN {GENDERS!r}", name="gender"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(sa.ForeignKey("facilities.id", ondelete="RESTRICT"),
                                             index=True)
    given_name: Mapped[str] = mapped_column(sa.String(100))
    family_name: Mapped[str] = mapped_column(sa.String(100))
    cadre: Mapped[str] = mapped_column(sa.String(4))
    gender: Mapped[str] = mapped_column(sa.String(12), default="undisclosed")
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    # The language their certificates are printed in (en, fr, pt); else the training's.
    language: Mapped[str | None] = mapped_column(sa.String(10))
    consent_given: Mapped[bool] = mapped_column(default=False)
    consent_changed_at: Mapped[datetime | None]
    self_registered: Mapped[bool] = mapped_column(default=False)
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    booking_version: Mapped[int] = mapped_column(default=0, server_default="0")

    facility = relationship("Facility")

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def active(self) -> bool:
        """Confirmed, consenting and not erased: may be named and nominated."""
        return self.confirmed_at is not None and self.consent_given and self.erased_at is None

    def __repr__(self) -> str:
        return f"<HostHealthWorker {self.id}>"
