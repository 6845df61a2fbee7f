"""Needs matching, missions, sessions, the scheduler, calendars and outcomes.

Depends on ``diaspora``, never the reverse: ``register(app)`` is called by the factory.
"""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach the missions package's blueprints, hooks and commands to the app."""
