"""Facilities and the coordinators attached to them."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

CATEGORIES = ("health_post", "community_health_unit", "clinic", "health_centre", "polyclinic",
              "maternity", "hospital", "other")
OWNERSHIPS = ("public", "faith_based", "ngo", "private", "local_authority", "unknown")
SETTINGS = ("rural", "urban", "unknown")

facility_coordinators = sa.Table(
    "facility_coordinators",
    db.metadata,
    sa.Column("facility_id", sa.ForeignKey("facilities.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
              index=True),
)


class Facility(db.Model):
    """A health facility from a master facility list (e.g. WHO 2019 sub-Saharan Africa list).

    ``external_id`` is derived from the source row (see ``importer.external_id``) so that a
    re-import updates the same facility instead of adding a copy.
    """

    __tablename__ = "facilities"
    __table_args__ = (
        sa.CheckConstraint(f"category IN {CATEGORIES!r}", name="category"),
        sa.CheckConstraint(f"ownership IN {OWNERSHIPS!r}", name="ownership"),
        sa.CheckConstraint(f"setting IN {SETTINGS!r}", name="setting"),
        sa.CheckConstraint("tier IS NULL OR tier BETWEEN 1 AND 4", name="tier"),
        sa.CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude"),
        sa.CheckConstraint("longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude"),
        sa.Index("ix_facilities_country_admin1", "country", "admin1"),
        sa.Index("ix_facilities_country_name", "country", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    source: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(255))
    country: Mapped[str] = mapped_column(sa.String(2))  # ISO 3166-1 alpha-2
    admin1: Mapped[str | None] = mapped_column(sa.String(120))
    facility_type: Mapped[str | None] = mapped_column(sa.String(120))  # as in the source
    category: Mapped[str] = mapped_column(sa.String(30), default="other")
    tier: Mapped[int | None] = mapped_column(index=True)
    ownership: Mapped[str] = mapped_column(sa.String(20), default="unknown")
    ownership_source: Mapped[str | None] = mapped_column(sa.String(80))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    location_source: Mapped[str | None] = mapped_column(sa.String(40))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    setting: Mapped[str] = mapped_column(sa.String(10), default="unknown")
    ict_ready: Mapped[bool] = mapped_column(default=False)
    imported_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # From a ministry's list (DHIS2, mCSD): its identifiers, the district below admin1, the
    # path of ancestors in the source hierarchy, and the day the source closed the facility.
    source_uid: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    source_code: Mapped[str | None] = mapped_column(sa.String(64))
    admin2: Mapped[str | None] = mapped_column(sa.String(120))
    source_path: Mapped[str | None] = mapped_column(sa.String(400))
    closed_on: Mapped[date | None]

    coordinators = relationship("User", secondary=facility_coordinators,
                                order_by="User.name")

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def __repr__(self) -> str:
        return f"<Facility {self.id} {self.name!r}>"
