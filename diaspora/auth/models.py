"""Users and their API tokens."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..vocabulary import MANAGERS, Role


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(f"role IN {Role.codes()!r}", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20), index=True)
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    active: Mapped[bool] = mapped_column(default=True)
    # A coordinator's own words at registration: the facility they ask to be attached to.
    facility_requested: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    # Bumped on sign-out, password change, deactivation and erasure: every session cookie
    # carries the version it was issued with and is refused once it no longer matches.
    session_version: Mapped[int] = mapped_column(default=1)
    # Set when the person's data was erased on request (the row stays for statistics).
    erased_at: Mapped[datetime | None]

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user",
                                                  cascade="all, delete-orphan")
    # Facilities a coordinator is attached to (changed through Facility.coordinators).
    facilities = relationship("Facility", secondary="facility_coordinators", viewonly=True,
                              order_by="Facility.name")

    @property
    def facility_ids(self) -> list[int]:
        return [facility.id for facility in self.facilities]

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: a password change signs every session out
        return f"{self.id}:{self.session_version}"

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGERS

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class ApiToken(db.Model):
    """A personal API token. Only its SHA-256 digest is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")

    def is_usable(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now


class SignInFailure(db.Model):
    """Recent failed sign-ins for one e-mail address (an account or not) from one client
    address, which slow down further tries from there (``throttle.py``).

    ``key`` is an HMAC of both addresses: the table holds neither in the clear.
    """

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int]
    last_failed_at: Mapped[datetime] = mapped_column(index=True)
    blocked_until: Mapped[datetime | None]


class RateLimitCounter(db.Model):
    """A fixed-window counter of flask-limiter's ``database://`` storage (``throttle.py``)."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    count: Mapped[int]
    # Seconds since the epoch, as the limits library counts time.
    expires_at: Mapped[float] = mapped_column(index=True)
