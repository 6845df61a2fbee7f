"""Programmes and organisations."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

ORGANISATION_KINDS = ("diaspora_association", "professional_body", "ngo", "government", "other")

programme_managers = sa.Table(
    "programme_managers",
    db.metadata,
    sa.Column("programme_id", sa.ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
              index=True),
)


class Programme(db.Model):
    """A return programme: one origin country, its host countries, funder, budget and period."""

    __tablename__ = "programmes"
    __table_args__ = (
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),
        sa.CheckConstraint("budget IS NULL OR budget >= 0", name="budget"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    origin_country: Mapped[str] = mapped_column(sa.String(2))
    host_countries: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    funder: Mapped[str | None] = mapped_column(sa.String(200))
    budget: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    description: Mapped[str | None] = mapped_column(sa.Text)
    # Where replies to the programme's e-mail go (else its managers' addresses).
    reply_to: Mapped[str | None] = mapped_column(sa.String(254))

    managers = relationship("User", secondary=programme_managers, order_by="User.name")

    @property
    def manager_ids(self) -> list[int]:
        return [user.id for user in self.managers]


class Organisation(db.Model):
    """A diaspora association or other body professionals belong to."""

    __tablename__ = "organisations"
    __table_args__ = (sa.CheckConstraint(f"kind IN {ORGANISATION_KINDS!r}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(30), default="diaspora_association")
    country: Mapped[str | None] = mapped_column(sa.String(2))
    city: Mapped[str | None] = mapped_column(sa.String(120))
    website: Mapped[str | None] = mapped_column(sa.String(255))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
