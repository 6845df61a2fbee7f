"""Links between a facility of a ministry's list (DHIS2, mCSD) and the WHO-list facility that
is the same place, proposed by name similarity and geodesic distance, decided by a manager.

``propose_links`` looks, for each ministry facility without a link, at the WHO-list facilities
of its country within ``MAX_KM`` (a bounding box first, then geopy's geodesic distance) and
proposes the best one whose score reaches ``MIN_SCORE``. The score is the similarity of the
names once folded and stripped of the words every facility name has ("health centre", "CHPS",
"hôpital" ...) less a penalty growing with the distance (``score``). A manager accepts (same place) or
rejects each proposal through ``diaspora.statemachine``; an accepted link gives the WHO-list
facility the ministry's identifiers in FHIR exports.
"""
from __future__ import annotations

import math
import re
from datetime import datetime
from difflib import SequenceMatcher

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import audit, statemachine
from ..db import unit_of_work
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..geo import distance_km
from ..statemachine import Transition
from ..vocabulary import LinkStatus
from .models import Facility
from .vocabulary import fold

WHO_SOURCE = "who-ssa-2019"
MAX_KM = 5.0
MIN_SCORE = 0.6
GENERIC_WORDS = frozenset(
    "health centre center clinic hospital post chps community based planning and services "
    "centre de sante poste hopital regional district municipal general teaching polyclinic "
    "centro saude posto rural urbano the of maternity dispensary".split())
ACCEPT = Transition((LinkStatus.PROPOSED, LinkStatus.REJECTED), LinkStatus.ACCEPTED)
REJECT = Transition((LinkStatus.PROPOSED, LinkStatus.ACCEPTED), LinkStatus.REJECTED)


class FacilityLink(db.Model):
    __tablename__ = "facility_links"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {LinkStatus.codes()!r}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(
        sa.ForeignKey("facilities.id", ondelete="CASCADE"), unique=True)
    master_id: Mapped[int] = mapped_column(
        sa.ForeignKey("facilities.id", ondelete="CASCADE"), index=True)
    score: Mapped[float]
    distance_km: Mapped[float | None]
    status: Mapped[str] = mapped_column(sa.String(20), default=LinkStatus.PROPOSED, index=True)
    proposed_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    decided_at: Mapped[datetime | None]

    facility = relationship(Facility, foreign_keys=[facility_id])
    master = relationship(Facility, foreign_keys=[master_id])


def name_key(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", fold(name))
    kept = [word for word in words if word not in GENERIC_WORDS]
    return " ".join(kept or words)


def score(name_a: str, name_b: str, km: float | None) -> float:
    """Name similarity (spelling, or the shorter name's words all in the longer one: "Tafo"
    and "Tafo Government") less 0.05 per kilometre."""
    key_a, key_b = name_key(name_a), name_key(name_b)
    words_a, words_b = set(key_a.split()), set(key_b.split())
    shared = len(words_a & words_b) / max(1, min(len(words_a), len(words_b)))
    similarity = max(SequenceMatcher(None, key_a, key_b).ratio(), 0.9 * shared)
    return round(similarity - (0 if km is None else 0.05 * km), 3)


def propose_links(session, *, now: datetime, max_km: float = MAX_KM) -> int:
    """Propose a WHO-list match for each ministry facility without a link; returns how many."""
    linked = sa.select(FacilityLink.facility_id)
    pending = session.scalars(sa.select(Facility).where(
        Facility.source != WHO_SOURCE, Facility.latitude.is_not(None),
        Facility.id.not_in(linked)).order_by(Facility.id)).all()
    degrees = max_km / 111.0
    proposed = 0
    with unit_of_work(session):
        for facility in pending:
            lat, lon = facility.latitude, facility.longitude
            box = degrees / max(0.1, abs(math.cos(math.radians(lat))))
            candidates = session.scalars(sa.select(Facility).where(
                Facility.source == WHO_SOURCE, Facility.country == facility.country,
                Facility.latitude.between(lat - degrees, lat + degrees),
                Facility.longitude.between(lon - box, lon + box)))
            best = None
            for candidate in candidates:
                km = distance_km((lat, lon), (candidate.latitude, candidate.longitude))
                if km > max_km:
                    continue
                value = score(facility.name, candidate.name, km)
                if value >= MIN_SCORE and (best is None or value > best[0]):
                    best = (value, km, candidate)
            if best is not None:
                session.add(FacilityLink(facility_id=facility.id, master_id=best[2].id,
                                         score=best[0], distance_km=round(best[1], 3),
                                         status=LinkStatus.PROPOSED, proposed_at=now))
                proposed += 1
    return proposed


def review_queue(session, status: str = LinkStatus.PROPOSED) -> list[FacilityLink]:
    return list(session.scalars(sa.select(FacilityLink).where(FacilityLink.status == status)
                                .order_by(FacilityLink.score.desc(), FacilityLink.id)))


def decide(session, link_id: int, accept: bool, *, actor, now: datetime) -> FacilityLink:
    """A manager says whether the two facilities are the same place."""
    if getattr(actor, "is_manager", False) is not True:
        raise Forbidden(_("Only programme managers review facility links."))
    link = session.get(FacilityLink, link_id)
    if link is None:
        raise NotFound(_("No such link."))
    with unit_of_work(session):
        statemachine.apply(session, link, ACCEPT if accept else REJECT,
                           refusal=lambda current: _("This link is already %(status)s.",
                                                     status=LinkStatus.label_of(current)),
                           decided_by_id=actor.id, decided_at=now)
        audit.record(session, now=now, actor=actor, action="update", entity="facility",
                     entity_id=link.master_id,
                     detail={"link": link.id, "status": str(link.status)})
    return link


def accepted_sources(session, master: Facility) -> list[Facility]:
    """The ministry facilities accepted as the same place as ``master``."""
    return list(session.scalars(sa.select(Facility).join(
        FacilityLink, FacilityLink.facility_id == Facility.id).where(
        FacilityLink.master_id == master.id, FacilityLink.status == LinkStatus.ACCEPTED)))
