"""What the placements package does for a host health worker's erasure and data export
(registered in ``missions.register`` on ``registry_hooks().worker_*``)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from diaspora.errors import Conflict

from .counterparts import history_of
from .models import Placement, PlacementFollowUp
from .vocabulary import PlacementStatus as Status

# Under way: the worker cannot be erased while travelling or about to.
UNDER_WAY = (Status.CONFIRMED, Status.READY, Status.ABROAD)


def refuse_erasure_while_abroad(session, worker, now: datetime) -> None:
    busy = session.scalar(sa.select(Placement.id).where(Placement.worker_id == worker.id,
                                                        Placement.status.in_(UNDER_WAY)).limit(1))
    if busy is not None:
        raise Conflict(_("This health worker has a placement under way (%(id)s): cancel it or "
                         "wait for the return.", id=busy))


def erase_notes(session, worker, now: datetime) -> None:
    """Free text about the person goes; statuses, dates and counts stay for the figures."""
    session.execute(sa.update(Placement).where(Placement.worker_id == worker.id)
                    .values(nomination_note=None, status_reason=None)
                    .execution_options(synchronize_session=False))
    session.execute(sa.update(PlacementFollowUp).where(PlacementFollowUp.placement_id.in_(
        sa.select(Placement.id).where(Placement.worker_id == worker.id)))
        .values(note=None).execution_options(synchronize_session=False))


def training_of(session, worker) -> tuple[str, object]:
    history = history_of(session, worker)
    return "training", {
        "missions_as_counterpart": [{"mission": m.id, "facility": m.facility.name,
                                     "first_day": m.starts_on.isoformat(),
                                     "last_day": m.ends_on.isoformat()} for m in history.missions],
        "sessions_attended": [{"session": s.id, "mission": s.mission_id,
                               "starts_at": s.starts_at.isoformat()} for s in history.sessions],
        "placements": [{"placement": p.id, "partner": p.offer.partner.name,
                        "title": p.offer.title, "status": p.status,
                        "starts_on": p.starts_on.isoformat(), "ends_on": p.ends_on.isoformat(),
                        "returned_on": p.returned_on.isoformat() if p.returned_on else None,
                        "service_months": p.service_months, "nomination_note": p.nomination_note,
                        "follow_ups": [{"months": f.months, "in_post": f.in_post,
                                        "colleagues_trained": f.colleagues_trained,
                                        "introduced": f.introduced, "note": f.note}
                                       for f in p.follow_ups]}
                       for p in history.placements],
    }
