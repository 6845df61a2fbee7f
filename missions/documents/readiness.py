"""The licence item of the readiness checklist is ticked by a verification, never by hand.

A physical clinical mission needs a licence valid in the host country on every day of it; here
it must also be *verified* against a document (``diaspora.documents``), as it stands now. The
item is ticked when a manager verifies such a licence (the registry's ``licence_verified``
hook) and when a mission whose professional already holds one reaches the checklist; marking
the mission ready is refused without it (a guard), whatever the checklist says.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from diaspora import audit
from diaspora.documents import services as documents
from diaspora.documents.models import Verification
from diaspora.errors import Conflict

from ..core.licences import needs_valid_licence
from ..core.models import Mission
from ..core.vocabulary import CHECKLIST_OPEN

ITEM = "licence_verified"


def by_verification(mission: Mission) -> bool:
    """Whether the mission's licence item is the verification's to tick (not a person's)."""
    return needs_valid_licence(mission.need, mission.kind)


def verification_for(session: Session, mission: Mission) -> Verification | None:
    """A verification of a licence valid in the host country on every day of the mission."""
    for licence in mission.professional.licences:
        if licence.country == mission.facility.country and licence.covers(mission.starts_on,
                                                                          mission.ends_on):
            verification = documents.holding_verification(session, licence)
            if verification is not None:
                return verification
    return None


def _tick(mission: Mission, verification: Verification, now: datetime) -> None:
    entry = next((c for c in mission.checklist if c.item == ITEM), None)
    if entry is None or entry.done_at is not None:
        return
    entry.done_at = now
    entry.done_by_id = verification.verified_by_id
    entry.note = _("Verified against document #%(document)s in %(register)s.",
                   document=verification.document_id, register=verification.register)[:300]


def on_licence_verified(session: Session, verification: Verification, *, actor, now: datetime) -> None:
    """Registry hook: tick the item of every open mission of the professional that this
    licence covers."""
    licence = verification.licence
    missions = session.scalars(sa.select(Mission).where(
        Mission.professional_id == licence.professional_id,
        Mission.status.in_(CHECKLIST_OPEN)))
    for mission in missions:
        if by_verification(mission) and mission.facility.country == licence.country \
                and licence.covers(mission.starts_on, mission.ends_on):
            _tick(mission, verification, now)


def on_licence_changed(session: Session, professional, *, actor, now: datetime) -> None:
    """Registry hook: a licence was changed or removed. Every open mission of the professional
    (ready ones included) whose licence item was ticked, and that no verification in force
    covers any more, has the item unticked, with a note saying why, and the change audited."""
    missions = session.scalars(sa.select(Mission).where(
        Mission.professional_id == professional.id, Mission.status.in_(CHECKLIST_OPEN)))
    for mission in missions:
        entry = next((c for c in mission.checklist if c.item == ITEM), None)
        if entry is None or entry.done_at is None or not by_verification(mission) \
                or verification_for(session, mission) is not None:
            continue
        entry.done_at = None
        entry.done_by_id = None
        entry.note = _("The licence changed after it was verified: verify it again.")[:300]
        audit.record(session, now=now, actor=actor, action="update", entity="mission",
                     entity_id=mission.id, detail={"unticked": ITEM, "status": mission.status})


def after_transition(session: Session, mission: Mission, action: str, actor, now: datetime) -> None:
    """A mission reaching the checklist (or rescheduled) is ticked when a verification holds."""
    if mission.status in CHECKLIST_OPEN and by_verification(mission):
        verification = verification_for(session, mission)
        if verification is not None:
            _tick(mission, verification, now)


def require_verified_licence(session: Session, mission: Mission, now: datetime) -> None:
    """Guard of ``ready``."""
    if by_verification(mission) and verification_for(session, mission) is None:
        raise Conflict(_("No licence valid in the host country on every day of the mission has "
                         "been verified against a document."),
                       extra={"current_status": mission.status, "missing": [ITEM]})
