"""Links between a facility of a ministry's list (DHIS2, mCSD) and the WHO-list facility that
is the same place, proposed by name similarity and geodesic distance, decided by a manager.

``propose_links`` looks, for each ministry facility without a link, at the WHO-list facilities
of its country within ``MAX_KM`` (a grid of cells first, then geopy's geodesic distance) and
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
    """Propose a WHO-list match for each ministry facility without a link; returns how many.

    The WHO-list facilities of each country are read once, as plain rows, into a grid of
    ``CELL`` degrees; each ministry facility looks only at the cells around it.
    """
    linked = sa.select(FacilityLink.facility_id)
    # Only the countries with WHO-list facilities, one at a time: a ministry's list of a
    # country without any is never read into memory (100,000 units: ~30 MB).
    countries = session.scalars(sa.select(Facility.country).distinct().where(
        Facility.source == WHO_SOURCE, Facility.latitude.is_not(None))).all()
    links = []
    for country in sorted(countries):
        pending = session.execute(sa.select(
            Facility.id, Facility.name, Facility.latitude, Facility.longitude)
            .where(Facility.country == country, Facility.source != WHO_SOURCE,
                   Facility.latitude.is_not(None), Facility.id.not_in(linked))
            .order_by(Facility.id)).all()
        if not pending:
            continue
        grid = _who_grid(session, country)
        for row in pending:
            best = _best_match(grid, row.name, row.latitude, row.longitude, max_km)
            if best is not None:
                links.append({"facility_id": row.id, "master_id": best[2], "score": best[0],
                              "distance_km": round(best[1], 3),
                              "status": LinkStatus.PROPOSED, "proposed_at": now})
    if links:
        with unit_of_work(session):
            session.execute(sa.insert(FacilityLink), links)
    return len(links)


CELL = 0.1  # degrees


def _cell(latitude: float, longitude: float) -> tuple[int, int]:
    return math.floor(latitude / CELL), math.floor(longitude / CELL)


def _who_grid(session, country: str) -> dict[tuple[int, int], list[tuple]]:
    grid: dict[tuple[int, int], list[tuple]] = {}
    for row in session.execute(sa.select(Facility.id, Facility.name, Facility.latitude,
                                         Facility.longitude)
                               .where(Facility.source == WHO_SOURCE, Facility.country == country,
                                      Facility.latitude.is_not(None))):
        grid.setdefault(_cell(row.latitude, row.longitude), []).append(tuple(row))
    return grid


def _best_match(grid, name: str, latitude: float, longitude: float,
                max_km: float) -> tuple[float, float, int] | None:
    """(score, km, WHO facility id) of the best candidate within ``max_km``, or None."""
    span_lat = math.ceil(max_km / 111.0 / CELL)
    span_lon = math.ceil(max_km / 111.0 / max(0.1, math.cos(math.radians(latitude))) / CELL)
    row_cell, column_cell = _cell(latitude, longitude)
    best = None
    for d_lat in range(-span_lat, span_lat + 1):
        for d_lon in range(-span_lon, span_lon + 1):
            for master_id, master_name, master_lat, master_lon in grid.get(
                    (row_cell + d_lat, column_cell + d_lon), ()):
                km = distance_km((latitude, longitude), (master_lat, master_lon))
                if km > max_km:
                    continue
                value = score(name, master_name, km)
                if value >= MIN_SCORE and (best is None or value > best[0]):
                    best = (value, km, master_id)
    return best


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
