"""Every figure of the programme dashboard, each computed by one aggregate query.

``compute(session, filters, now)`` runs a fixed number of queries whatever the size of the
data: the database counts, sums and ranks; Python only shapes the results. Definitions (also
in the README):

- missions that *went ahead*: confirmed or later (confirmed, ready, in progress, completed,
  reported, closed); *done*: completed, reported or closed;
- a mission's counted figures (people trained, sessions, hours, patients, procedures, scores,
  items) come from its *reference report*: the host facility's report, else the professional's.
  Ratings come from every report: the host's rating of the professional, the professional's
  rating of the placement.

Why one module of about 500 lines: every figure is an aggregate over the same filtered
missions and the same reference-report join, built here once; split across modules, those
shared pieces would have to be passed around or written again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from diaspora import safeguards
from diaspora.facilities.models import Facility
from diaspora.needs.models import Need
from diaspora.vocabulary import Mode, NeedStatus

from ..core.models import Mission, MissionSession
from ..core.vocabulary import DONE, WENT_AHEAD, MissionStatus, SessionStatus
from ..outcomes.models import FollowUp, OutcomeItem, OutcomeReport, OutcomeTrainee, ReportWaiver
from .filters import Filters, mission_conditions, need_conditions
from .sql import seconds_between, year_month

LOWER_TIERS = (1, 2)   # health posts and health centres
DAY = 86400.0


def share(part: float, whole: float) -> float | None:
    """``part`` of ``whole`` (0 to 1), or None when there is nothing to share."""
    return part / whole if whole else None


def _number(value) -> float:
    """A SQL aggregate as a plain number (SUM of nothing is NULL; PostgreSQL gives Decimals)."""
    if value is None:
        return 0
    return float(value) if isinstance(value, Decimal) else value


@dataclass
class ModeCounts:
    """Missions of one status (or month), by mode."""

    label: str
    physical: int = 0
    virtual: int = 0

    @property
    def total(self) -> int:
        return self.physical + self.virtual


@dataclass
class Needs:
    filed: int            # submitted in the period
    approved: int
    filled: int           # with a mission that went ahead
    fulfilled: int        # a mission was completed
    median_days_to_fill: float | None   # from approval to the first confirmed mission


@dataclass
class Reach:
    missions: int         # went ahead
    rural: int
    lower_tier: int
    safeguards: int       # in countries on the WHO health workforce safeguards list

    @property
    def rural_share(self) -> float | None:
        return share(self.rural, self.missions)

    @property
    def lower_tier_share(self) -> float | None:
        return share(self.lower_tier, self.missions)


@dataclass
class Circularity:
    professionals: int    # with at least one mission that went ahead
    missions: int
    returning: int        # professionals with two missions or more
    repeat_host_missions: int   # missions returning a professional to a facility they served

    @property
    def returns_per_professional(self) -> float | None:
        return share(self.missions - self.professionals, self.professionals)

    @property
    def returning_share(self) -> float | None:
        return share(self.returning, self.professionals)

    @property
    def repeat_host_share(self) -> float | None:
        return share(self.repeat_host_missions, self.missions)


@dataclass
class Delivery:
    """Totals of the reference reports."""

    reports: int = 0
    trained: int = 0
    sessions_held: int = 0
    hours: float = 0
    patients_seen: int = 0
    procedures_done: int = 0
    tested: int = 0
    pre_score: float | None = None    # means weighted by the people tested
    post_score: float | None = None

    @property
    def score_gain(self) -> float | None:
        if self.pre_score is None or self.post_score is None:
            return None
        return self.post_score - self.pre_score


@dataclass
class Rating:
    average: float | None
    count: int


@dataclass
class Reporting:
    done: int             # missions done, which owe two reports
    filed: dict[str, int]
    waived: dict[str, int]

    def missing(self, side: str) -> int:
        return self.done - self.filed.get(side, 0) - self.waived.get(side, 0)


@dataclass
class FollowUpFigures:
    months: int
    surveys: int
    due: int
    answered: int
    practice_in_use: int
    counterparts_in_post: int
    trainees_cascaded: int

    @property
    def retention(self) -> float | None:
        """Share of the answered surveys saying the practice is still in use."""
        return share(self.practice_in_use, self.answered)


@dataclass
class Cost:
    currency: str
    missions: int
    amount: float
    trained: int

    @property
    def per_trained(self) -> float | None:
        return self.amount / self.trained if self.trained else None


@dataclass
class HostFacility:
    id: int
    name: str
    country: str
    region: str | None
    latitude: float | None
    longitude: float | None
    missions: int


@dataclass
class Dashboard:
    filters: Filters
    by_status: list[ModeCounts]
    by_month: list[ModeCounts]
    person_days: int
    virtual_hours: float
    needs: Needs
    reach: Reach
    circularity: Circularity
    trained: dict[tuple[str, str], int]       # (cadre, gender) → people trained
    delivery: Delivery
    items: dict[str, int]
    ratings: dict[str, Rating]
    reporting: Reporting
    follow_ups: list[FollowUpFigures]
    costs: list[Cost]
    hosts: list[HostFacility] = field(default_factory=list)

    def status_totals(self) -> dict[str, int]:
        return {row.label: row.total for row in self.by_status}

    def month_totals(self) -> dict[str, int]:
        return {row.label: row.total for row in self.by_month}

    def retention_percent(self) -> dict[int, float]:
        """Follow-up retention in percent by horizon (months), where surveys were answered."""
        return {f.months: round(100 * f.retention, 1) for f in self.follow_ups
                if f.retention is not None}

    @property
    def missions(self) -> int:
        return sum(row.total for row in self.by_status)

    def host_rows(self, limit: int | None) -> tuple[list[HostFacility], int, int]:
        """The first ``limit`` host facilities (all when None), and how many facilities and
        missions the rest hold — the page stays light however many hosts a programme has."""
        shown = self.hosts if limit is None else self.hosts[:limit]
        rest = self.hosts[len(shown):]
        return shown, len(rest), sum(h.missions for h in rest)

    def trained_by(self, position: int) -> dict[str, int]:
        """People trained by cadre (``position`` 0) or by gender (1), largest first."""
        totals: dict[str, int] = {}
        for key, count in self.trained.items():
            totals[key[position]] = totals.get(key[position], 0) + count
        return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def compute(session, filters: Filters, now: datetime) -> Dashboard:
    """All the figures for ``filters``; ``now`` decides which follow-up surveys are due."""
    return Dashboard(
        filters=filters,
        by_status=missions_by_status(session, filters),
        by_month=missions_by_month(session, filters),
        person_days=person_days(session, filters),
        virtual_hours=virtual_hours(session, filters),
        needs=needs_figures(session, filters),
        reach=reach(session, filters),
        circularity=circularity(session, filters),
        trained=people_trained(session, filters),
        delivery=delivery(session, filters),
        items=items_left(session, filters),
        ratings=ratings(session, filters),
        reporting=reporting(session, filters),
        follow_ups=follow_ups(session, filters, now),
        costs=costs(session, filters),
        hosts=host_facilities(session, filters),
    )


# --- missions -----------------------------------------------------------------------------

def _by_mode(rows) -> list[ModeCounts]:
    counts: dict[str, ModeCounts] = {}
    for label, kind, count in rows:
        row = counts.setdefault(label, ModeCounts(label))
        setattr(row, kind, count)
    return list(counts.values())


def missions_by_status(session, filters: Filters) -> list[ModeCounts]:
    """Missions by status and mode, every status of the selection."""
    rows = session.execute(
        sa.select(Mission.status, Mission.kind, sa.func.count())
        .where(*mission_conditions(filters))
        .group_by(Mission.status, Mission.kind))
    return sorted(_by_mode(rows), key=lambda row: MissionStatus.codes().index(row.label))  # lifecycle order


def missions_by_month(session, filters: Filters) -> list[ModeCounts]:
    """Missions that went ahead, by the (UTC) month they started in and by mode."""
    month = year_month(Mission.starts_at)
    rows = session.execute(
        sa.select(month, Mission.kind, sa.func.count())
        .where(*mission_conditions(filters, WENT_AHEAD))
        .group_by(month, Mission.kind).order_by(month))
    counted = {row.label: row for row in _by_mode(rows)}
    if not counted:
        return []
    return [counted.get(label, ModeCounts(label)) for label in _months(min(counted), max(counted))]


def _months(first: str, last: str) -> list[str]:
    """Every "YYYY-MM" from ``first`` to ``last``, so months without missions show as zero."""
    year, month = map(int, first.split("-"))
    labels = []
    while f"{year:04d}-{month:02d}" <= last:
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return labels


def person_days(session, filters: Filters) -> int:
    """Days spent in the host country on in-person missions that are done."""
    days = sa.func.round(seconds_between(Mission.starts_at, Mission.ends_at) / DAY)
    total = session.scalar(sa.select(sa.func.sum(days)).where(
        *mission_conditions(filters, DONE), Mission.kind == Mode.PHYSICAL))
    return int(_number(total))


def virtual_hours(session, filters: Filters) -> float:
    """Hours of the sessions (not cancelled) of online missions that are done."""
    seconds = seconds_between(MissionSession.starts_at, MissionSession.ends_at)
    total = session.scalar(
        sa.select(sa.func.sum(seconds)).join(Mission, Mission.id == MissionSession.mission_id)
        .where(*mission_conditions(filters, DONE), MissionSession.status != SessionStatus.CANCELLED))
    return round(_number(total) / 3600, 1)


def host_facilities(session, filters: Filters) -> list[HostFacility]:
    """Facilities that hosted missions that went ahead, most missions first."""
    count = sa.func.count(Mission.id)
    rows = session.execute(
        sa.select(Facility.id, Facility.name, Facility.country, Facility.admin1,
                  Facility.latitude, Facility.longitude, count)
        .join(Mission, Mission.facility_id == Facility.id)
        .where(*mission_conditions(filters, WENT_AHEAD))
        .group_by(Facility.id, Facility.name, Facility.country, Facility.admin1,
                  Facility.latitude, Facility.longitude)
        .order_by(count.desc(), Facility.name))
    return [HostFacility(*row) for row in rows]


# --- needs --------------------------------------------------------------------------------

def needs_figures(session, filters: Filters) -> Needs:
    """Needs filed in the period, how many were approved, filled and fulfilled, and the median
    days from approval to the first confirmed mission — in one pass over the needs."""
    first = (sa.select(Mission.need_id, sa.func.min(Mission.confirmed_at).label("at"))
             .where(Mission.status.in_(WENT_AHEAD), Mission.confirmed_at.is_not(None))
             .group_by(Mission.need_id).subquery())
    days = seconds_between(Need.approved_at, first.c.at) / DAY
    per_need = (sa.select(Need.status, Need.approved_at, first.c.at, days.label("days"),
                          sa.func.row_number().over(order_by=days.asc().nulls_last()).label("position"),
                          sa.func.count(days).over().label("timed"))
                .outerjoin(first, first.c.need_id == Need.id)
                .where(*need_conditions(filters)).subquery())
    middle = per_need.c.position.in_(((per_need.c.timed + 1) // 2, (per_need.c.timed + 2) // 2))
    filed, approved, filled, fulfilled, median = session.execute(sa.select(
        sa.func.count(), sa.func.count(per_need.c.approved_at), sa.func.count(per_need.c.at),
        sa.func.count(sa.case((per_need.c.status == NeedStatus.FULFILLED, 1))),
        sa.func.avg(sa.case((sa.and_(middle, per_need.c.days.is_not(None)), per_need.c.days))))).one()
    return Needs(filed, approved, filled, fulfilled,
                 None if median is None else round(_number(median), 1))


# --- reach and circularity ----------------------------------------------------------------

def reach(session, filters: Filters) -> Reach:
    """Missions that went ahead, and how many were rural, lower-tier or in safeguards countries."""
    def counted(condition):
        return sa.func.count(sa.case((condition, 1)))

    listed = sorted(safeguards.list_in_force(session).countries)
    row = session.execute(
        sa.select(sa.func.count(Mission.id), counted(Facility.setting == "rural"),
                  counted(Facility.tier.in_(LOWER_TIERS)), counted(Facility.country.in_(listed)))
        .join(Facility, Facility.id == Mission.facility_id)
        .where(*mission_conditions(filters, WENT_AHEAD))).one()
    return Reach(*row)


def circularity(session, filters: Filters) -> Circularity:
    """Professionals, their missions that went ahead, who returned, and repeat-host missions —
    in one query.

    A repeat-host mission is the second or later mission (that went ahead) of one professional
    at one facility, counting missions outside the selection (e.g. before the period) too.
    """
    visit = sa.func.row_number().over(partition_by=Mission.engagement_id,
                                      order_by=(Mission.starts_at, Mission.id))
    visits = (sa.select(Mission.id, visit.label("visit"))
              .where(Mission.status.in_(WENT_AHEAD)).subquery())
    per_professional = (
        sa.select(Mission.professional_id, sa.func.count().label("missions"),
                  sa.func.count(sa.case((visits.c.visit > 1, 1))).label("repeats"))
        .join(visits, visits.c.id == Mission.id)
        .where(*mission_conditions(filters, WENT_AHEAD))
        .group_by(Mission.professional_id).subquery())
    professionals, missions, returning, repeats = session.execute(sa.select(
        sa.func.count(), sa.func.sum(per_professional.c.missions),
        sa.func.count(sa.case((per_professional.c.missions >= 2, 1))),
        sa.func.sum(per_professional.c.repeats))).one()
    return Circularity(professionals, int(_number(missions)), returning, int(_number(repeats)))


# --- outcomes -----------------------------------------------------------------------------

def _reference_reports(query: sa.Select, filters: Filters) -> sa.Select:
    """``query``, which selects from ``OutcomeReport``, limited to the reference reports of the
    selected missions: per mission, the host's report, else the professional's."""
    host = aliased(OutcomeReport)
    return (query.join(Mission, Mission.id == OutcomeReport.mission_id)
            .outerjoin(host, sa.and_(host.mission_id == OutcomeReport.mission_id, host.side == "host"))
            .where(*mission_conditions(filters),
                   sa.or_(OutcomeReport.side == "host", host.id.is_(None))))


def people_trained(session, filters: Filters) -> dict[tuple[str, str], int]:
    """People trained by cadre and gender."""
    query = (sa.select(OutcomeTrainee.cadre, OutcomeTrainee.gender, sa.func.sum(OutcomeTrainee.count))
             .join(OutcomeReport, OutcomeReport.id == OutcomeTrainee.report_id))
    rows = session.execute(_reference_reports(query, filters)
                           .group_by(OutcomeTrainee.cadre, OutcomeTrainee.gender))
    return {(cadre, gender): int(_number(total)) for cadre, gender, total in rows}


def delivery(session, filters: Filters) -> Delivery:
    """Totals of the reference reports and their mean pre/post scores."""
    report = OutcomeReport
    tested = sa.case((report.pre_score.is_not(None), report.tested_count), else_=0)
    query = sa.select(
        sa.func.count(report.id), sa.func.sum(report.trained_total), sa.func.sum(report.sessions_held),
        sa.func.sum(report.hours), sa.func.sum(report.patients_seen),
        sa.func.sum(report.procedures_done), sa.func.sum(tested),
        sa.func.sum(report.pre_score * report.tested_count),
        sa.func.sum(report.post_score * report.tested_count)).select_from(report)
    row = session.execute(_reference_reports(query, filters)).one()
    count, trained, sessions_held, hours, patients, procedures, tested_total, pre, post = map(_number, row)
    return Delivery(int(count), int(trained), int(sessions_held), round(hours, 1), int(patients),
                    int(procedures), int(tested_total),
                    pre / tested_total if tested_total else None,
                    post / tested_total if tested_total else None)


def items_left(session, filters: Filters) -> dict[str, int]:
    """Protocols, guidelines, curricula introduced and equipment installed or repaired."""
    query = (sa.select(OutcomeItem.kind, sa.func.count())
             .join(OutcomeReport, OutcomeReport.id == OutcomeItem.report_id))
    rows = session.execute(_reference_reports(query, filters).group_by(OutcomeItem.kind))
    return dict(rows.all())


def ratings(session, filters: Filters) -> dict[str, Rating]:
    """Mean rating (1–5) given in each side's reports."""
    rows = session.execute(
        sa.select(OutcomeReport.side, sa.func.avg(OutcomeReport.rating),
                  sa.func.count(OutcomeReport.rating))
        .join(Mission, Mission.id == OutcomeReport.mission_id)
        .where(*mission_conditions(filters))
        .group_by(OutcomeReport.side))
    return {side: Rating(round(_number(average), 2), count) for side, average, count in rows if count}


def reporting(session, filters: Filters) -> Reporting:
    """Missions done, and their reports filed and waived by side."""
    sides = ("professional", "host")
    reports = {side: aliased(OutcomeReport) for side in sides}
    waivers = {side: aliased(ReportWaiver) for side in sides}
    query = sa.select(sa.func.count(Mission.id), *[sa.func.count(reports[s].id) for s in sides],
                      *[sa.func.count(waivers[s].id) for s in sides])
    for side in sides:  # at most one report and one waiver per side and mission
        for model in (reports[side], waivers[side]):
            query = query.outerjoin(model, sa.and_(model.mission_id == Mission.id, model.side == side))
    row = session.execute(query.where(*mission_conditions(filters, DONE))).one()
    return Reporting(row[0], filed=dict(zip(sides, row[1:3])), waived=dict(zip(sides, row[3:5])))


def follow_ups(session, filters: Filters, now: datetime) -> list[FollowUpFigures]:
    """Follow-up surveys by horizon: due by ``now``, answered, and what the answers say."""
    rows = session.execute(
        sa.select(FollowUp.months, sa.func.count(), sa.func.count(sa.case((FollowUp.due_at <= now, 1))),
                  sa.func.count(FollowUp.answered_at),
                  sa.func.count(sa.case((FollowUp.practice_in_use.is_(True), 1))),
                  sa.func.sum(FollowUp.counterparts_in_post), sa.func.sum(FollowUp.trainees_cascaded))
        .join(Mission, Mission.id == FollowUp.mission_id)
        .where(*mission_conditions(filters))
        .group_by(FollowUp.months).order_by(FollowUp.months))
    return [FollowUpFigures(months, surveys, due, answered, in_use, int(_number(in_post)),
                            int(_number(cascaded)))
            for months, surveys, due, answered, in_use, in_post, cascaded in rows]


def costs(session, filters: Filters) -> list[Cost]:
    """Per currency: the cost of the missions done that have both a cost and a reference
    report, and the people those missions trained."""
    query = (sa.select(Mission.cost_currency, sa.func.count(), sa.func.sum(Mission.cost_amount),
                       sa.func.sum(OutcomeReport.trained_total)).select_from(OutcomeReport))
    rows = session.execute(
        _reference_reports(query, filters)
        .where(Mission.status.in_(DONE), Mission.cost_amount.is_not(None),
               Mission.cost_currency.is_not(None))
        .group_by(Mission.cost_currency).order_by(Mission.cost_currency))
    return [Cost(currency, missions, float(_number(amount)), int(_number(people)))
            for currency, missions, amount, people in rows]
