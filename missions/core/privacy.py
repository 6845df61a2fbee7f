"""Erasure of what the missions themselves hold about a person (their export section is
``lifecycle.missions_of``).

``erase_traces`` is an erasure hook of ``diaspora.privacy`` (it runs before the account is
anonymised, so the person's identifiers can still be read); ``missions_touching`` tells the
other packages (notifications, outcomes) which missions' texts may speak of the person.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from diaspora.auth.models import User
from diaspora.facilities.models import facility_coordinators
from diaspora.needs.services import scrub_needs
from diaspora.privacy.scrub import ERASED, scrubber_for
from diaspora.professionals.models import Professional

from .models import ChecklistItem, Mission, MissionEvent


def missions_touching(user_id: int) -> sa.CompoundSelect:
    """Ids of the missions whose texts may speak of the person: theirs as the professional,
    those at facilities they coordinate, those they proposed or changed."""
    return sa.union(
        sa.select(Mission.id).join(Professional, Professional.id == Mission.professional_id)
        .where(Professional.user_id == user_id),
        sa.select(Mission.id).join(facility_coordinators,
                                   facility_coordinators.c.facility_id == Mission.facility_id)
        .where(facility_coordinators.c.user_id == user_id),
        sa.select(Mission.id).where(Mission.proposed_by_id == user_id),
        sa.select(MissionEvent.mission_id).where(MissionEvent.actor_id == user_id),
        sa.select(ChecklistItem.mission_id).where(ChecklistItem.done_by_id == user_id))


def erase_traces(session, user: User, now: datetime) -> None:
    """Erasure hook: the missions' notes, reasons, checklist notes and session topics no
    longer name the person; what they wrote there themself is replaced whole. So are the
    texts of the needs those missions served. The caller commits."""
    scrubber = scrubber_for(session, user)
    missions = session.scalars(sa.select(Mission).where(
        Mission.id.in_(missions_touching(user.id)))).all()
    for mission in missions:
        own_reasons = {e.reason for e in mission.events if e.actor_id == user.id and e.reason}
        if mission.status_reason in own_reasons:
            mission.status_reason = ERASED
        scrubber.rows([mission], "note", "status_reason", "join_url")
        scrubber.own([e for e in mission.events if e.actor_id == user.id], "reason")
        scrubber.rows(mission.events, "reason")
        scrubber.own([c for c in mission.checklist if c.done_by_id == user.id], "note")
        scrubber.rows(mission.checklist, "note")
        scrubber.rows(mission.sessions, "topic", "status_reason")
    scrub_needs(session, sorted({mission.need_id for mission in missions}), scrubber, user)
