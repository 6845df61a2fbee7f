"""A manager's corrections of a facility, kept apart from what its source says.

A correction is one field's value chosen by a manager (``facility_corrections``). Changing a
facility through ``services.update_facility`` records one per field; every import applies them
again once its rows are written (``apply_corrections``), so the next import of the ministry's
or the WHO list refreshes the source values and the manager's choices still win. The facility
row always holds what is shown: source values where nobody corrected them.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .models import Facility

CORRECTABLE = ("name", "category", "tier", "ownership", "setting", "ict_ready")


class FacilityCorrection(db.Model):
    __tablename__ = "facility_corrections"
    __table_args__ = (sa.CheckConstraint(f"field IN {CORRECTABLE!r}", name="field"),)

    facility_id: Mapped[int] = mapped_column(
        sa.ForeignKey("facilities.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    value: Mapped[object | None] = mapped_column(sa.JSON)
    corrected_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    corrected_at: Mapped[datetime]


def record_corrections(session, facility: Facility, data: dict, *, actor, now: datetime) -> None:
    """Store each corrected field of ``data`` (the caller commits)."""
    for field, value in data.items():
        if field not in CORRECTABLE:
            continue
        correction = session.get(FacilityCorrection, (facility.id, field))
        if correction is None:
            correction = FacilityCorrection(facility_id=facility.id, field=field)
            session.add(correction)
        correction.value = value
        correction.corrected_by_id = getattr(actor, "id", None)
        correction.corrected_at = now


def corrections_of(session, facility_id: int) -> dict[str, object]:
    return dict(session.execute(sa.select(FacilityCorrection.field, FacilityCorrection.value)
                                .where(FacilityCorrection.facility_id == facility_id)).all())


def apply_corrections(session) -> int:
    """Put every correction back on its facility (one UPDATE per field); the rows changed."""
    changed = 0
    table = Facility.__table__
    for field in CORRECTABLE:
        rows = session.execute(sa.select(FacilityCorrection.facility_id, FacilityCorrection.value)
                               .where(FacilityCorrection.field == field)).all()
        if not rows:
            continue
        column = table.c[field]
        for facility_id, value in rows:
            changed += session.execute(
                sa.update(table).where(table.c.id == facility_id,
                                       sa.or_(column.is_(None), column != value))
                .values({field: value})).rowcount
    return changed
