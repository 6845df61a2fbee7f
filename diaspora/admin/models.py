"""Settings an administrator keeps: the WHO health workforce safeguards list in force."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class SafeguardList(db.Model):
    """A version of the WHO health workforce support and safeguards list.

    Rows are never changed: an update adds a version, the newest is in force. Without any row
    the list shipped with the package (data/who-safeguards-2023.json) is in force.
    """

    __tablename__ = "safeguard_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    published: Mapped[date | None]
    source: Mapped[str] = mapped_column(sa.Text)
    criteria: Mapped[str | None] = mapped_column(sa.Text)
    countries: Mapped[list[str]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
