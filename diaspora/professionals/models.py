"""A professional's profile and everything hanging from it."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..vocabulary import Mode, Recognition

GENDERS = ("female", "male", "other", "undisclosed")
PROFICIENCY = ("basic", "professional", "native")
WINDOW_KINDS = ("available", "blackout")


class Professional(db.Model):
    """A diaspora health worker. One per professional user account."""

    __tablename__ = "professionals"
    __table_args__ = (
        sa.CheckConstraint(f"gender IN {GENDERS!r}", name="gender"),
        sa.CheckConstraint("offers_physical OR offers_virtual", name="offers_a_mode"),
        # the scheduler's windows: changed since a run, availability bases
        sa.Index("ix_professionals_updated", "updated_at"),
        sa.Index("ix_professionals_consent_changed", "consent_changed_at"),
        sa.Index("ix_professionals_availability_updated", "availability_updated_at"),
        sa.Index("ix_professionals_created", "created_at"),
        # the shortlist's first hard filters: consenting professionals of a cadre
        # (SQLite: as the queries state consent; PostgreSQL: read by index-only scans)
        sa.Index("ix_professionals_consenting_cadre", "cadre", "offers_physical", "offers_virtual",
                 postgresql_where=sa.text("consent_given"), sqlite_where=sa.text("consent_given = 1"),
                 postgresql_include=["id", "country_of_origin"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    given_name: Mapped[str] = mapped_column(sa.String(100))
    family_name: Mapped[str] = mapped_column(sa.String(100))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    gender: Mapped[str] = mapped_column(sa.String(12), default="undisclosed")
    cadre: Mapped[str] = mapped_column(sa.String(4), index=True)  # ISCO-08 unit group
    country_of_origin: Mapped[str] = mapped_column(sa.String(2), index=True)  # ISO 3166-1 alpha-2
    country_of_residence: Mapped[str] = mapped_column(sa.String(2))
    city_of_residence: Mapped[str | None] = mapped_column(sa.String(120))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    timezone: Mapped[str] = mapped_column(sa.String(64))
    offers_physical: Mapped[bool] = mapped_column(default=True)
    offers_virtual: Mapped[bool] = mapped_column(default=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    bio: Mapped[str | None] = mapped_column(sa.Text)
    # Consent to be in the registry and be contacted about missions (history in ConsentRecord).
    consent_given: Mapped[bool] = mapped_column(default=False, index=True)
    consent_version: Mapped[str | None] = mapped_column(sa.String(20))
    consent_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    availability_updated_at: Mapped[datetime | None]
    # Bumped by every booking: the UPDATE takes a row lock (PostgreSQL) or the write lock
    # (SQLite), which serialises concurrent bookings of the same person.
    booking_version: Mapped[int] = mapped_column(default=0, server_default="0")

    user = relationship("User")
    organisation = relationship("Organisation")
    specialties: Mapped[list[ProfessionalSpecialty]] = relationship(
        cascade="all, delete-orphan", order_by="ProfessionalSpecialty.specialty")
    other_cadres: Mapped[list[ProfessionalCadre]] = relationship(
        cascade="all, delete-orphan", order_by="ProfessionalCadre.cadre")
    skills: Mapped[list[ProfessionalSkill]] = relationship(
        cascade="all, delete-orphan", order_by="ProfessionalSkill.skill")
    languages: Mapped[list[ProfessionalLanguage]] = relationship(
        cascade="all, delete-orphan", order_by="ProfessionalLanguage.language")
    qualifications: Mapped[list[Qualification]] = relationship(
        back_populates="professional", cascade="all, delete-orphan",
        order_by="Qualification.year.desc()")
    licences: Mapped[list[Licence]] = relationship(
        back_populates="professional", cascade="all, delete-orphan",
        order_by="Licence.valid_until.desc()")
    windows: Mapped[list[AvailabilityWindow]] = relationship(
        back_populates="professional", cascade="all, delete-orphan",
        order_by="AvailabilityWindow.starts_on")
    consent_history: Mapped[list[ConsentRecord]] = relationship(
        back_populates="professional", cascade="all, delete-orphan",
        order_by="ConsentRecord.recorded_at")
    programme_consents: Mapped[list[ProgrammeConsent]] = relationship(
        back_populates="professional", cascade="all, delete-orphan",
        order_by="ProgrammeConsent.programme_id")

    def consents_to(self, programme_id: int | None) -> bool:
        """Whether they may be matched for a need of ``programme_id``: the registry consent,
        and, for a need of a programme, consent to that programme."""
        if not self.consent_given:
            return False
        return programme_id is None or any(c.programme_id == programme_id and c.given
                                           for c in self.programme_consents)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def modes(self) -> list[str]:
        return [mode for mode, on in ((Mode.PHYSICAL, self.offers_physical),
                                      (Mode.VIRTUAL, self.offers_virtual)) if on]

    @property
    def training_countries(self) -> list[str]:
        return sorted({q.country for q in self.qualifications if q.country})

    @property
    def cadres(self) -> list[str]:
        """The main cadre, then the others."""
        return [self.cadre] + [row.cadre for row in self.other_cadres if row.cadre != self.cadre]

    def __repr__(self) -> str:
        return f"<Professional {self.id} {self.cadre}>"


class ProfessionalSpecialty(db.Model):
    __tablename__ = "professional_specialties"
    __table_args__ = (
        # the shortlist's specialty filter (PostgreSQL: read by index-only scans)
        sa.Index("ix_professional_specialties_specialty", "specialty",
                 postgresql_include=["professional_id"]),
    )

    professional_id: Mapped[int] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="CASCADE"), primary_key=True)
    specialty: Mapped[str] = mapped_column(sa.String(40), primary_key=True)


class ProfessionalCadre(db.Model):
    """A cadre held besides the main one (``Professional.cadre``): a nurse-midwife is 2221
    with 2222 here. Matching takes the main cadre or any of these."""

    __tablename__ = "professional_cadres"

    professional_id: Mapped[int] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="CASCADE"), primary_key=True)
    cadre: Mapped[str] = mapped_column(sa.String(4), primary_key=True, index=True)


class ProfessionalSkill(db.Model):
    """A free-text skill tag (normalised to lower case), e.g. "ultrasound", "neonatal resuscitation"."""

    __tablename__ = "professional_skills"

    professional_id: Mapped[int] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="CASCADE"), primary_key=True)
    skill: Mapped[str] = mapped_column(sa.String(80), primary_key=True, index=True)


class ProfessionalLanguage(db.Model):
    __tablename__ = "professional_languages"
    __table_args__ = (sa.CheckConstraint(f"proficiency IN {PROFICIENCY!r}", name="proficiency"),)

    professional_id: Mapped[int] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(3), primary_key=True)  # ISO 639-1 or 639-3
    proficiency: Mapped[str] = mapped_column(sa.String(12), default="professional")


class Qualification(db.Model):
    __tablename__ = "qualifications"
    __table_args__ = (sa.CheckConstraint(f"recognition IN {Recognition.codes()!r}", name="recognition"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    issuing_body: Mapped[str] = mapped_column(sa.String(200))
    country: Mapped[str] = mapped_column(sa.String(2))
    year: Mapped[int]
    recognition: Mapped[str] = mapped_column(sa.String(12), default=Recognition.NONE)

    professional: Mapped[Professional] = relationship(back_populates="qualifications")


class Licence(db.Model):
    """A licence to practise in one country, valid over a closed date range."""

    __tablename__ = "licences"
    __table_args__ = (
        sa.CheckConstraint("valid_until >= valid_from", name="valid_range"),
        sa.Index("ix_licences_country_valid", "country", "valid_until"),
        sa.Index("ix_licences_valid_until", "valid_until"),      # expiry reminders
        sa.Index("ix_licences_professional_country", "professional_id", "country", "valid_until",
                 postgresql_include=["valid_from"]),   # the shortlist's licence filter
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="CASCADE"), index=True)
    country: Mapped[str] = mapped_column(sa.String(2))
    authority: Mapped[str] = mapped_column(sa.String(200))
    number: Mapped[str] = mapped_column(sa.String(80))
    valid_from: Mapped[date]
    valid_until: Mapped[date]
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    professional: Mapped[Professional] = relationship(back_populates="licences")

    def covers(self, first: date, last: date) -> bool:
        """True when the licence is valid on every day from ``first`` to ``last`` inclusive."""
        return self.valid_from <= first and last <= self.valid_until


class AvailabilityWindow(db.Model):
    """A date range (inclusive, in the professional's own zone) when they can serve, or a blackout.

    Available windows say which mode and, for online work, how many hours a week. Blackouts
    subtract from every window. Mission bookings are derived from the missions themselves, never typed here.
    """

    __tablename__ = "availability_windows"
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="date_range"),
        sa.CheckConstraint(f"kind IN {WINDOW_KINDS!r}", name="kind"),
        sa.CheckConstraint(f"mode IN {Mode.codes()!r}", name="mode"),
        sa.CheckConstraint("hours_per_week IS NULL OR (hours_per_week > 0 AND hours_per_week <= 80)",
                           name="hours_per_week"),
        sa.Index("ix_availability_windows_professional_range", "professional_id", "starts_on",
                 "ends_on", postgresql_include=["kind", "mode", "hours_per_week"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(10), default="available")
    mode: Mapped[str] = mapped_column(sa.String(10), default=Mode.EITHER)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    hours_per_week: Mapped[float | None]
    note: Mapped[str | None] = mapped_column(sa.String(200))

    professional: Mapped[Professional] = relationship(back_populates="windows")


class ProgrammeConsent(db.Model):
    """A professional's consent to be matched for one programme's needs (the current state;
    each change is also kept in ``ConsentRecord``). Without a row: not given."""

    __tablename__ = "programme_consents"

    professional_id: Mapped[int] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="CASCADE"), primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True, index=True)
    given: Mapped[bool]
    wording_version: Mapped[str] = mapped_column(sa.String(20))
    changed_at: Mapped[datetime]

    professional: Mapped[Professional] = relationship(back_populates="programme_consents")
    programme = relationship("Programme")


class ConsentRecord(db.Model):
    """Append-only history of consent given and withdrawn, with the wording version shown:
    the registry consent (``programme_id`` None) and each programme's."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="CASCADE"), index=True)
    programme_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    given: Mapped[bool]
    wording_version: Mapped[str] = mapped_column(sa.String(20))
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    professional: Mapped[Professional] = relationship(back_populates="consent_history")
    programme = relationship("Programme")


def _strings(length: int):
    return postgresql.ARRAY(sa.String(length)).with_variant(sa.JSON(), "sqlite")


class MatchRow(db.Model):
    """What the shortlist's hard filters and ceiling read of one consenting professional, for
    one cadre they hold and one mode they offer, on one narrow row (PostgreSQL only).

    Kept by triggers in the transaction that writes the professional, their windows, licences,
    specialties, skills, languages, cadres or programme consents (migration 0022_shortq): never
    stale. A row exists only while they consent and have an available window of the mode.
    On SQLite the table stays empty: the shortlist reads the source tables there.
    """

    __tablename__ = "match_rows"
    __table_args__ = (sa.Index("ix_match_rows_available", "cadre", "mode", "origin", "first_day",
                               "last_day"),)

    professional_id: Mapped[int] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="CASCADE"), primary_key=True)
    cadre: Mapped[str] = mapped_column(sa.String(4), primary_key=True)
    mode: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    origin: Mapped[str] = mapped_column(sa.String(2))
    # the union of their available windows of the mode (online: those giving weekly hours)
    available = mapped_column(postgresql.DATEMULTIRANGE().with_variant(sa.Text(), "sqlite"),
                              nullable=False)
    first_day: Mapped[date]                        # of the union: its first and last day
    last_day: Mapped[date]
    hours: Mapped[float | None]                    # online: the most hours a week of a window
    licence_countries = mapped_column(_strings(2))  # sorted; validity of each below
    licence_spans = mapped_column(
        postgresql.ARRAY(postgresql.DATEMULTIRANGE()).with_variant(sa.JSON(), "sqlite"))
    specialties = mapped_column(_strings(40), nullable=False)
    skills = mapped_column(_strings(80), nullable=False)
    languages = mapped_column(_strings(3), nullable=False)
    programmes = mapped_column(postgresql.ARRAY(sa.Integer()).with_variant(sa.JSON(), "sqlite"),
                               nullable=False)           # programmes consented to
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    timezone: Mapped[str] = mapped_column(sa.String(64))
