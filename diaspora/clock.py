"""The clock, injected.

Views and CLI commands ask ``now()`` once at the edge and pass the instant into domain code.
Tests replace the clock with ``app.config["CLOCK"] = FakeClock(...)``.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context


def system_clock() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """The current instant (UTC, aware) from the app's clock."""
    if has_app_context():
        return current_app.config.get("CLOCK", system_clock)()
    return system_clock()


class FakeClock:
    """A settable clock for tests and simulations."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.current = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta) -> datetime:
        self.current += timedelta(**delta)
        return self.current

    def set(self, instant: datetime) -> None:
        self.current = instant.astimezone(UTC)
