"""The placement figures of the dashboard, the programme report and a partnership's page.

- Placements that went ahead (confirmed and on) by partner, partner country, cadre and gender.
- Retention: of the follow-ups answered at +6, +12 and +24 months after return, how many found
  the person back in post.
- The chain, per home facility: host health workers named as counterparts of a mission that
  went ahead → of them, placed abroad (abroad or back) → of them, back and training others (a
  follow-up counted colleagues trained in turn). ``colleagues_trained`` is cumulative since the
  return, so a placement counts its latest answer.

The filters are the dashboard's (``missions.dashboards.filters.Filters``, read by attribute):
programme (the offer's), country and region (the home facility's), period (the placement's
first day), cadre (the worker's), and a coordinator's facilities or a manager's programmes.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from diaspora import reference
from diaspora.facilities.models import Facility, facility_coordinators
from diaspora.partners.models import Partnership, ProfessionalEmployer
from diaspora.programmes.models import Programme, programme_managers
from diaspora.workforce.models import HostHealthWorker

from ..core.models import Mission
from ..core.vocabulary import WENT_AHEAD as MISSION_WENT_AHEAD
from ..outcomes.models import OutcomeReport
from .models import FOLLOW_UP_MONTHS, MissionCounterpart, Placement, PlacementOffer
from .vocabulary import RETURNED, WENT_AHEAD, PlacementStatus

PLACED_ABROAD = (PlacementStatus.ABROAD,) + RETURNED


@dataclass
class Retention:
    months: int
    answered: int = 0
    in_post: int = 0

    @property
    def rate(self) -> float | None:
        return self.in_post / self.answered if self.answered else None


@dataclass
class Chain:
    """Counterpart → placed abroad → back and training others (people), and colleagues trained."""

    counterparts: int = 0
    placed_abroad: int = 0
    training_others: int = 0
    colleagues_trained: int = 0


@dataclass
class PlacementFigures:
    placements: int = 0
    by_partner: Counter = field(default_factory=Counter)
    by_country: Counter = field(default_factory=Counter)
    by_cadre: Counter = field(default_factory=Counter)
    by_gender: Counter = field(default_factory=Counter)
    returned: int = 0
    safeguards_flagged: int = 0
    retention: list[Retention] = field(default_factory=list)
    chain: Chain = field(default_factory=Chain)
    chain_by_facility: dict[str, Chain] = field(default_factory=dict)


def latest_answer(placement: Placement):
    answered = [f for f in placement.follow_ups if f.answered_at is not None]
    return max(answered, key=lambda f: f.months) if answered else None


def _conditions(filters) -> list:
    conditions = [Placement.status.in_(WENT_AHEAD)]
    if filters is None:
        return conditions
    if filters.starts_on:
        conditions.append(Placement.starts_on >= filters.starts_on)
    if filters.ends_on:
        conditions.append(Placement.starts_on <= filters.ends_on)
    if filters.programme_id:
        conditions.append(PlacementOffer.programme_id == filters.programme_id)
    if filters.cadre:
        conditions.append(HostHealthWorker.cadre == filters.cadre)
    if filters.country:
        conditions.append(Facility.country == filters.country)
    if filters.region:
        conditions.append(Facility.admin1 == filters.region)
    if filters.coordinator_id:
        conditions.append(Placement.facility_id.in_(
            sa.select(facility_coordinators.c.facility_id)
            .where(facility_coordinators.c.user_id == filters.coordinator_id)))
    if filters.manager_id:
        managed = sa.select(programme_managers.c.programme_id).where(
            programme_managers.c.user_id == filters.manager_id)
        countries = sa.select(Programme.origin_country).join(
            programme_managers, programme_managers.c.programme_id == Programme.id).where(
            programme_managers.c.user_id == filters.manager_id)
        conditions.append(sa.or_(PlacementOffer.programme_id.in_(managed), sa.and_(
            PlacementOffer.programme_id.is_(None), Facility.country.in_(countries))))
    return conditions


def placements_for(session, filters=None, *extra) -> list[Placement]:
    query = (sa.select(Placement).join(PlacementOffer)
             .join(HostHealthWorker, HostHealthWorker.id == Placement.worker_id)
             .join(Facility, Facility.id == Placement.facility_id)
             .where(*_conditions(filters), *extra)
             .options(selectinload(Placement.follow_ups), selectinload(Placement.worker),
                      selectinload(Placement.offer).selectinload(PlacementOffer.partner),
                      selectinload(Placement.facility))
             .order_by(Placement.starts_on, Placement.id))
    return list(session.scalars(query))


def compute(session, filters=None, mission_where: list | None = None) -> PlacementFigures:
    """``mission_where``: the conditions on ``Mission`` of the missions whose named
    counterparts start the chain (the dashboard's mission filters); by default the missions
    at the placements' home facilities."""
    placements = placements_for(session, filters)
    figures = PlacementFigures(placements=len(placements))
    for placement in placements:
        partner = placement.offer.partner
        figures.by_partner[partner.name] += 1
        figures.by_country[reference.country_name(partner.country)] += 1
        figures.by_cadre[reference.CADRES.get(placement.worker.cadre, placement.worker.cadre)] += 1
        figures.by_gender[placement.worker.gender] += 1
        figures.returned += placement.status in RETURNED
        figures.safeguards_flagged += placement.safeguards_flag
    figures.retention = retention_of(placements)
    figures.chain, figures.chain_by_facility = chains_of(session, placements, mission_where)
    return figures


def retention_of(placements: list[Placement]) -> list[Retention]:
    rows = {months: Retention(months) for months in FOLLOW_UP_MONTHS}
    for placement in placements:
        for follow_up in placement.follow_ups:
            if follow_up.answered_at is not None:
                rows[follow_up.months].answered += 1
                rows[follow_up.months].in_post += bool(follow_up.in_post)
    return list(rows.values())


def chains_of(session, placements: list[Placement],
              mission_where: list | None = None) -> tuple[Chain, dict[str, Chain]]:
    """The chain of the counterparts of the missions ``mission_where`` selects (by default at
    ``placements``' home facilities) — see the module docstring."""
    if mission_where is None:
        mission_where = [Mission.facility_id.in_({p.facility_id for p in placements})]
    counterparts = session.execute(
        sa.select(MissionCounterpart.worker_id, Facility.name).join(
            Mission, Mission.id == MissionCounterpart.mission_id)
        .join(Facility, Facility.id == Mission.facility_id)
        .where(Mission.status.in_(MISSION_WENT_AHEAD), *mission_where)
        .distinct()).all()
    by_worker: dict[int, list[Placement]] = {}
    for placement in placements:
        by_worker.setdefault(placement.worker_id, []).append(placement)
    total, per_facility = Chain(), {}
    for worker_id, facility_name in counterparts:
        chain = per_facility.setdefault(facility_name, Chain())
        for step in (total, chain):
            step.counterparts += 1
        abroad = [p for p in by_worker.get(worker_id, []) if p.status in PLACED_ABROAD]
        if not abroad:
            continue
        trained = sum((latest_answer(p).colleagues_trained or 0) if latest_answer(p) else 0
                      for p in abroad)
        for step in (total, chain):
            step.placed_abroad += 1
            step.training_others += trained > 0
            step.colleagues_trained += trained
    return total, per_facility


# --- a partnership's page -----------------------------------------------------------------

def _in_period(partnership: Partnership, day: date) -> bool:
    return partnership.covers(day)


@dataclass
class PartnershipOverview:
    """Both directions of a twinning, over its period, with their outcomes."""

    missions: list[Mission]
    trained_by_mission: dict[int, int]
    placements: list[Placement]
    figures: PlacementFigures


def partnership_overview(session, partnership: Partnership) -> PartnershipOverview:
    """Missions of the partner's staff to the facility, placements of the facility's staff at
    the partner (explicitly on this partnership, or by partner and facility in its period)."""
    employed = sa.select(ProfessionalEmployer.professional_id).where(
        ProfessionalEmployer.partner_id == partnership.partner_id)
    missions = [m for m in session.scalars(
        sa.select(Mission).where(Mission.facility_id == partnership.facility_id,
                                 Mission.professional_id.in_(employed),
                                 Mission.status.in_(MISSION_WENT_AHEAD))
        .order_by(Mission.starts_at)) if _in_period(partnership, m.starts_on)]
    trained = {}
    for report in session.scalars(sa.select(OutcomeReport).where(
            OutcomeReport.mission_id.in_([m.id for m in missions]))):
        if report.side == "host" or report.mission_id not in trained:
            trained[report.mission_id] = report.trained_total
    placements = [p for p in placements_for(
        session, None, PlacementOffer.partner_id == partnership.partner_id,
        Placement.facility_id == partnership.facility_id)
        if p.offer.partnership_id in (None, partnership.id)
        and (p.offer.partnership_id == partnership.id or _in_period(partnership, p.starts_on))]
    figures = PlacementFigures(placements=len(placements))
    figures.returned = sum(p.status in RETURNED for p in placements)
    figures.retention = retention_of(placements)
    figures.chain, figures.chain_by_facility = chains_of(
        session, placements, [Mission.facility_id == partnership.facility_id])
    return PartnershipOverview(missions, trained, placements, figures)
