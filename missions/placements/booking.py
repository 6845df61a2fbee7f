"""A host health worker's time on placements abroad, as ``missions.core.booking`` for missions.

``lock_worker`` bumps the worker's ``booking_version`` (an UPDATE: a row lock on PostgreSQL, the
write lock on SQLite), so two selections of one worker run one after the other; the second then
finds the first's placement (``find_clash``) and answers 409 naming it. The database refuses an
overlap on its own too (migration 0011), which ``hold`` reports the same way.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from diaspora.errors import Conflict
from diaspora.workforce.models import HostHealthWorker

from .models import Placement, PlacementOffer
from .vocabulary import HOLDING


def lock_worker(session, worker_id: int) -> None:
    session.execute(sa.update(HostHealthWorker).where(HostHealthWorker.id == worker_id)
                    .values(booking_version=HostHealthWorker.booking_version + 1)
                    .execution_options(synchronize_session=False))


def lock_offer(session, offer_id: int) -> None:
    session.execute(sa.update(PlacementOffer).where(PlacementOffer.id == offer_id)
                    .values(places_version=PlacementOffer.places_version + 1)
                    .execution_options(synchronize_session=False))


def find_clash(session, placement: Placement) -> Placement | None:
    """Another placement of the same worker holding days that overlap ``placement``'s."""
    return session.scalar(sa.select(Placement).where(
        Placement.worker_id == placement.worker_id, Placement.id != placement.id,
        Placement.status.in_(HOLDING), Placement.starts_on <= placement.ends_on,
        placement.starts_on <= Placement.ends_on).order_by(Placement.starts_on).limit(1))


def places_taken(session, offer_id: int) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Placement).where(
        Placement.offer_id == offer_id, Placement.status.in_(HOLDING)))


def clash_error(clash: Placement | None) -> Conflict:
    if clash is None:
        return Conflict(_("This health worker already has a placement at that time."))
    return Conflict(_("This health worker already has a placement at that time: placement "
                      "%(id)s (%(first)s to %(last)s).", id=clash.id, first=clash.starts_on,
                      last=clash.ends_on),
                    extra={"conflicting_placement": clash.id, "current_status": "nominated"})


def is_overlap_error(error: Exception) -> bool:
    text = str(getattr(error, "orig", error)).lower()
    return ("placements_no_overlap" in text or "placement overlaps" in text
            or "database is locked" in text)
