"""Partner institutions abroad (hospitals, universities, professional bodies), the memoranda
they sign with host facilities or a ministry, and twinning partnerships.

A professional's employer may be a partner institution (``ProfessionalEmployer``): the basis
of release and leave agreements. A partnership twins one partner institution with one host
facility for a period; missions of the institution's staff to the facility and placements of the
facility's staff at the institution belong to it (see ``missions.placements.figures``).
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

PARTNER_KINDS = {"hospital": _l("Hospital"), "university": _l("University"),
                 "professional_body": _l("Professional body"), "other": _l("Other")}


class PartnerInstitution(db.Model):
    __tablename__ = "partner_institutions"
    __table_args__ = (sa.CheckConstraint(f"kind IN {tuple(PARTNER_KINDS)!r}", name="kind"),
                      sa.UniqueConstraint("name", "country", name="uq_partner_institutions_name"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    country: Mapped[str] = mapped_column(sa.String(2), index=True)   # ISO 3166-1 alpha-2
    city: Mapped[str | None] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(20))
    contact_name: Mapped[str | None] = mapped_column(sa.String(200))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    website: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    agreements: Mapped[list[PartnerAgreement]] = relationship(
        back_populates="partner", cascade="all, delete-orphan", order_by="PartnerAgreement.starts_on")
    partnerships: Mapped[list[Partnership]] = relationship(
        back_populates="partner", order_by="Partnership.starts_on")

    def __repr__(self) -> str:
        return f"<PartnerInstitution {self.id} {self.name!r}>"


class PartnerAgreement(db.Model):
    """A memorandum of a partner institution with a host facility or, without one, a ministry."""

    __tablename__ = "partner_agreements"
    __table_args__ = (sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("partner_institutions.id", ondelete="CASCADE"), index=True)
    facility_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("facilities.id", ondelete="CASCADE"), index=True)
    counterparty: Mapped[str | None] = mapped_column(sa.String(200))  # e.g. "Ministry of Health"
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    created_at: Mapped[datetime]

    partner: Mapped[PartnerInstitution] = relationship(back_populates="agreements")
    facility = relationship("Facility")


class Partnership(db.Model):
    """Twinning: a partner institution and a host facility, for a period, with its aims."""

    __tablename__ = "partnerships"
    __table_args__ = (sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("partner_institutions.id", ondelete="RESTRICT"), index=True)
    facility_id: Mapped[int] = mapped_column(sa.ForeignKey("facilities.id", ondelete="RESTRICT"),
                                             index=True)
    programme_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="SET NULL"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    aims: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime]

    partner: Mapped[PartnerInstitution] = relationship(back_populates="partnerships")
    facility = relationship("Facility")
    programme = relationship("Programme")

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class ProfessionalEmployer(db.Model):
    """A professional's employer, when it is a partner institution (at most one)."""

    __tablename__ = "professional_employers"

    professional_id: Mapped[int] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="CASCADE"), primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("partner_institutions.id", ondelete="CASCADE"), index=True)
    since: Mapped[date | None]

    professional = relationship("Professional")
    partner: Mapped[PartnerInstitution] = relationship()
