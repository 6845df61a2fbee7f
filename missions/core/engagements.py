"""Circular engagements: the chain of one professional's visits to one host facility.

The chain holds the visits that took place or will: the engagement's missions in ``HOLDING``
(proposed to closed), numbered 1, 2, 3 … by their first day whatever the order they were
proposed in. ``renumber`` runs whenever that can change: a mission proposed, rescheduled, or
leaving the chain (declined, cancelled, postponed). A mission that leaves keeps the number it
last had — its page says which visit it was to be — and the visits after it move up; a
postponed mission rescheduled joins the chain again at its new date.
"""
from __future__ import annotations

from datetime import datetime
from itertools import count

import sqlalchemy as sa

from diaspora.professionals.models import Professional

from .models import Engagement, Mission


def engagement_for(session, professional: Professional, facility_id: int,
                   now: datetime) -> Engagement:
    """The professional's engagement with the facility, made on their first mission there."""
    engagement = session.scalar(sa.select(Engagement).where(
        Engagement.professional_id == professional.id, Engagement.facility_id == facility_id))
    if engagement is None:
        engagement = Engagement(professional_id=professional.id, facility_id=facility_id,
                                created_at=now)
        session.add(engagement)
        session.flush()
    return engagement


def renumber(session, engagement_id: int) -> None:
    """Number the engagement's visits by date (see the module docstring).

    The caller holds the professional's lock (``booking.lock_professional``), so two changes to
    one chain never number it at once.
    """
    missions = session.scalars(sa.select(Mission).where(Mission.engagement_id == engagement_id)
                               .order_by(Mission.starts_at, Mission.id)).all()
    visits = count(1)
    for mission in missions:
        if mission.in_chain:
            mission.cycle = next(visits)
