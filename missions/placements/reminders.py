"""Reminders of placement follow-up surveys, through the same outbox as the missions'.

A survey at +6, +12 or +24 months after return is reminded to the home facility's coordinators
from its due date, for three months (as the missions' follow-ups); the reminder is dropped
before sending if the survey has been answered meanwhile.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlalchemy.orm import selectinload

from ..scheduler import reminders
from .models import Placement, PlacementFollowUp

KIND = "placement_follow_up_due"
FRESH_FOR = relativedelta(months=3)


def follow_ups_due(session, now: datetime, since: datetime | None = None
                   ) -> Iterator[reminders.Reminder]:
    """Follow-ups open and unanswered for at most ``FRESH_FOR``. ``since`` (the watermark) is
    not needed: the query reads the unanswered follow-ups of three months, one indexed range
    whatever the registry's size, and a follow-up recorded late is still found."""
    due = session.scalars(
        sa.select(PlacementFollowUp)
        .where(PlacementFollowUp.answered_at.is_(None), PlacementFollowUp.due_at <= now,
               PlacementFollowUp.due_at > now - FRESH_FOR)
        .options(selectinload(PlacementFollowUp.placement).selectinload(Placement.facility)))
    for follow_up in due:
        placement = follow_up.placement
        for user in placement.facility.coordinators:
            if not user.active:
                continue
            yield reminders.Reminder(
                user_id=user.id, kind=KIND, due_at=follow_up.due_at,
                key=f"{KIND}:{follow_up.id}:{user.id}",
                payload={"placement": placement.id, "months": follow_up.months,
                         "offer": placement.offer.title,
                         "partner": placement.offer.partner.name})


def follow_ups_still_due(session, notifications: list, now: datetime) -> list[bool]:
    """The batch check (``MissionHooks.reminder_batch_checks``): each row's survey exists and
    is unanswered — one query for the whole batch."""
    placements = {(n.payload or {}).get("placement") for n in notifications} - {None}
    unanswered = set(map(tuple, session.execute(
        sa.select(PlacementFollowUp.placement_id, PlacementFollowUp.months).where(
            PlacementFollowUp.placement_id.in_(placements),
            PlacementFollowUp.answered_at.is_(None))))) if placements else set()
    return [((n.payload or {}).get("placement"), (n.payload or {}).get("months")) in unanswered
            for n in notifications]
