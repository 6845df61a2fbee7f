"""The programme-wide plan: one professional per approved need of a period, nobody double-booked.

The plan is a proposal: nothing is booked until a manager proposes the missions.

The model is a weighted assignment with time conflicts, solved by HiGHS (through
``scipy.optimize.milp``; exactly, unless it reaches ``TIME_LIMIT_SECONDS``):

- *Options*: for each need, its best ``TOP_K`` candidates from ``missions.matching``, each at up
  to ``START_OPTIONS`` start dates spread over the days they could start, in their suggested
  mode. An option holds the work's whole days in the host's zone, as a UTC span.
- One binary variable per option. Maximise the sum of the chosen options' weights:
  priority weight × match score × (1 + rural bonus + lower-tier bonus), with a slight preference
  for earlier starts.
- Each need takes at most one option.
- One person's overlapping options: at most one. Overlap of intervals is captured exactly by
  one constraint per instant at which one of the person's options starts, over the options that
  hold that instant (the cliques of an interval graph).

Existing bookings need no constraint: matching has already removed booked days from the options.
Two pieces of online work of one person overlap like any others: a person does one thing at a
time in the plan.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np
import sqlalchemy as sa
from flask_babel import gettext as _
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array
from sqlalchemy.orm import joinedload

from diaspora import audit
from diaspora.db import unit_of_work
from diaspora.facilities.models import Facility
from diaspora.needs.models import Need
from diaspora.programmes import access as programmes
from diaspora.vocabulary import NeedStatus

from ..sessions.series import day_span
from . import batch
from .filters import Diagnosis, diagnose
from .ranking import Ranking
from .terms import Settings, Terms, terms_of

PRIORITY_WEIGHTS = {1: 4.0, 2: 3.0, 3: 2.0, 4: 1.0}  # 1 critical … 4 low
RURAL_BONUS = 0.25                 # added to the need's weight for a rural facility
LOW_TIER_BONUS = 0.25              # … and for a health post or health centre (tiers 1–2)
TOP_K = 25                         # candidates considered per need
START_OPTIONS = 6                  # start dates considered per candidate
EARLIER_START_PREFERENCE = 0.001   # weight given up per later start option
TIME_LIMIT_SECONDS = 120.0        # wall clock: the plan is a background job, not a request
MAX_PERIOD_DAYS = 731
PROGRESS_EVERY = 10                # needs ranked between two reports of the progress


@dataclass(frozen=True)
class NeedSummary:
    id: int
    title: str
    priority: int
    facility_id: int
    facility_name: str
    country: str
    rural: bool
    tier: int | None


@dataclass(frozen=True)
class Option:
    """One way to meet a need: a professional, in a mode, from a start date."""

    need_id: int
    professional_id: int
    name: str
    mode: str
    starts_on: date
    ends_on: date
    starts_at: datetime   # the work's whole days in the host zone, in UTC
    ends_at: datetime
    score: float          # the match score, 0..100
    weight: float         # what the option is worth in the plan


@dataclass(frozen=True)
class Assignment:
    need: NeedSummary
    professional_id: int
    name: str
    mode: str
    starts_on: date
    ends_on: date
    score: float
    weight: float


@dataclass(frozen=True)
class Unmet:
    need: NeedSummary
    reason: str            # "no_candidate", "taken" (by other needs) or "not_chosen"
    explanation: str
    # what the explanation says, to write it again in another language (``explain``)
    detail: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Plan:
    period_start: date
    period_end: date
    assignments: list[Assignment]
    unmet: list[Unmet]
    optimal: bool          # False when the solver stopped at its time limit


@dataclass(frozen=True)
class Selection:
    chosen: list[Option]
    optimal: bool


def needs_in_period(session, *, period_start: date, period_end: date,
                    programme_id: int | None = None, country: str | None = None,
                    within: sa.Select | None = None) -> list[Need]:
    """Approved needs whose whole window lies in the period, most urgent first; only those of
    ``within`` (a ``SELECT needs.id``) when given."""
    query = (sa.select(Need).join(Facility, Need.facility_id == Facility.id)
             .options(joinedload(Need.facility))
             .where(Need.status == NeedStatus.APPROVED, Need.earliest_start >= period_start,
                    Need.latest_end <= period_end)
             .order_by(Need.priority, Need.earliest_start, Need.id))
    if programme_id is not None:
        query = query.where(Need.programme_id == programme_id)
    if country:
        query = query.where(Facility.country == country)
    if within is not None:
        query = query.where(Need.id.in_(within))
    return list(session.scalars(query))


def make_plan(session, *, now: datetime, period_start: date, period_end: date,
              programme_id: int | None = None, country: str | None = None,
              within: sa.Select | None = None, settings: Settings | None = None,
              progress: Callable[[int, int], None] | None = None) -> Plan:
    """The plan for the approved needs of the period, of one programme or host country when
    given, of the needs ``within`` when given (see the module docstring); each unmet need
    says why. ``progress(done, total)`` is told of the needs ranked so far."""
    settings = settings or Settings()
    found = needs_in_period(session, period_start=period_start, period_end=period_end,
                            programme_id=programme_id, country=country, within=within)
    # Read before ranking: reporting the progress commits, which expires the needs.
    summaries = {need.id: _summary(need) for need in found}
    weights = {need.id: need_weight(need) for need in found}
    ids = [need.id for need in found]
    rankings, options = {}, []
    for need_id, (terms, ranking) in zip(ids, rank_needs(session, found, now=now,
                                                         settings=settings, progress=progress)):
        rankings[need_id] = (terms, ranking)
        options.extend(options_for(need_id, weights[need_id], terms, ranking))
    selection = choose(options)
    chosen_by_need = {option.need_id: option for option in selection.chosen}
    assignments = [_assignment(summaries[i], chosen_by_need[i]) for i in ids
                   if i in chosen_by_need]
    unmet = [_unmet(session, summaries[i], *rankings[i], selection, summaries) for i in ids
             if i not in chosen_by_need]
    return Plan(period_start=period_start, period_end=period_end, assignments=assignments,
                unmet=unmet, optimal=selection.optimal)


def rank_needs(session, needs: list[Need], *, now: datetime, settings: Settings,
               progress: Callable[[int, int], None] | None = None):
    """``(terms, ranking)`` of each need: its best ``TOP_K`` candidates, all needs ranked in
    one pass (``batch.rank_many``: the rankings of ``ranking.rank``, need by need)."""
    return batch.rank_many(session, [terms_of(need) for need in needs], now=now,
                           settings=settings, limit=TOP_K, progress=progress,
                           every=PROGRESS_EVERY)


def plan_for(session, data: dict, *, actor, now: datetime,
             settings: Settings | None = None) -> Plan:
    """The plan as a manager asks for it (``data`` from ``PlanRequestSchema``), audited: a
    programme manager plans the needs of their own programmes only."""
    programmes.require_programme(session, actor, data.get("programme_id"))
    plan = make_plan(session, now=now, settings=settings,
                     within=programmes.need_ids_in_reach(actor), **data)
    with unit_of_work(session):
        audit.record(session, now=now, actor=actor, action="read", entity="plan",
                     detail={"period_start": plan.period_start.isoformat(),
                             "period_end": plan.period_end.isoformat(),
                             "professionals": sorted({a.professional_id
                                                      for a in plan.assignments})})
    return plan


def need_weight(need: Need) -> float:
    """Priority weight, raised for rural and lower-tier facilities."""
    facility = need.facility
    bonus = (RURAL_BONUS if facility.setting == "rural" else 0.0) + \
        (LOW_TIER_BONUS if facility.tier in (1, 2) else 0.0)
    return PRIORITY_WEIGHTS[need.priority] * (1 + bonus)


def options_for(need_id: int, weight: float, terms: Terms, ranking: Ranking) -> list[Option]:
    """The ways to meet a need (``weight``: ``need_weight``) from its ranking."""
    zone = terms.zone or "UTC"
    options = []
    for fit in ranking.fits:
        # Every feasible candidate is worth assigning, however low their score.
        worth = weight * max(fit.score, 1.0) / 100
        for order, starts_on in enumerate(_spread(fit.starts(terms), START_OPTIONS)):
            ends_on = starts_on + timedelta(days=fit.span - 1)
            starts_at, ends_at = _day_span(starts_on, ends_on, zone)
            options.append(Option(
                need_id=need_id, professional_id=fit.profile.id, name=fit.profile.name,
                mode=fit.mode, starts_on=starts_on, ends_on=ends_on, starts_at=starts_at,
                ends_at=ends_at, score=fit.score,
                weight=worth * (1 - EARLIER_START_PREFERENCE * order)))
    return options


@lru_cache(maxsize=65536)
def _day_span(first: date, last: date, zone: str) -> tuple[datetime, datetime]:
    return day_span(first, last, zone)


def _spread(starts: list[date], count: int) -> list[date]:
    """At most ``count`` of the start dates, evenly spread from the first to the last."""
    if len(starts) <= count:
        return starts
    step = (len(starts) - 1) / (count - 1)
    return sorted({starts[round(i * step)] for i in range(count)})


def choose(options: list[Option], *, time_limit: float = TIME_LIMIT_SECONDS) -> Selection:
    """The options of greatest total weight with at most one per need and no person holding
    two overlapping options."""
    if not options:
        return Selection(chosen=[], optimal=True)
    rows = _one_per_need(options) + _one_at_a_time(options)
    row_index = [r for r, members in enumerate(rows) for _ in members]
    column_index = [i for members in rows for i in members]
    matrix = csr_array((np.ones(len(column_index)), (row_index, column_index)),
                       shape=(len(rows), len(options)))
    result = milp(c=-np.array([option.weight for option in options]),
                  integrality=np.ones(len(options)), bounds=Bounds(0, 1),
                  constraints=LinearConstraint(matrix, -np.inf, 1),
                  options={"time_limit": time_limit})
    if result.x is None:
        return Selection(chosen=[], optimal=False)
    chosen = [option for option, value in zip(options, result.x) if value > 0.5]
    return Selection(chosen=chosen, optimal=result.status == 0)


def _one_per_need(options: list[Option]) -> list[list[int]]:
    by_need = defaultdict(list)
    for index, option in enumerate(options):
        by_need[option.need_id].append(index)
    return list(by_need.values())


def _one_at_a_time(options: list[Option]) -> list[list[int]]:
    """For each person, the options holding each instant at which one of them starts."""
    by_person = defaultdict(list)
    for index, option in enumerate(options):
        by_person[option.professional_id].append(index)
    rows = []
    for indexes in by_person.values():
        if len({options[i].need_id for i in indexes}) < 2:
            continue  # one need: its own row already allows one option
        for instant in sorted({options[i].starts_at for i in indexes}):
            holding = [i for i in indexes if options[i].starts_at <= instant < options[i].ends_at]
            if len({options[i].need_id for i in holding}) > 1:
                rows.append(holding)
    return rows


def _summary(need: Need) -> NeedSummary:
    facility = need.facility
    return NeedSummary(id=need.id, title=need.title, priority=need.priority,
                       facility_id=facility.id, facility_name=facility.name,
                       country=facility.country, rural=facility.setting == "rural",
                       tier=facility.tier)


def _assignment(need: NeedSummary, option: Option) -> Assignment:
    return Assignment(need=need, professional_id=option.professional_id, name=option.name,
                      mode=option.mode, starts_on=option.starts_on, ends_on=option.ends_on,
                      score=option.score, weight=round(option.weight, 3))


def _unmet(session, need: NeedSummary, terms: Terms, ranking: Ranking,
           selection: Selection, summaries: dict[int, NeedSummary]) -> Unmet:
    if not ranking.fits:
        diagnosis = diagnose(session, terms)
        detail = {"of": diagnosis.of, "filter": diagnosis.filter, "removed": diagnosis.removed}
        return unmet(need, "no_candidate", detail)
    candidates = {fit.profile.id for fit in ranking.fits}
    taken = [option for option in selection.chosen if option.professional_id in candidates]
    if {option.professional_id for option in taken} != candidates:
        return unmet(need, "not_chosen", {})
    needs = sorted({option.need_id for option in taken})
    return unmet(need, "taken", {"count": len(candidates),
                                 "needs": [[i, summaries[i].title] for i in needs]})


def unmet(need: NeedSummary, reason: str, detail: dict) -> Unmet:
    """An unmet need, explained in the current language from ``detail``."""
    return Unmet(need=need, reason=reason, explanation=explain(reason, detail), detail=detail)


def explain(reason: str, detail: dict) -> str:
    """Why a need is unmet, in a sentence, from what ``_unmet`` found."""
    if reason == "no_candidate":
        return why_nobody(Diagnosis(of=detail["of"], filter=detail["filter"],
                                    removed=detail["removed"]))
    if reason == "not_chosen":
        return _("The solver found no place for this need within its time limit.")
    return _("All %(count)d candidates are taken at the same time by needs that weigh more in "
             "the plan: %(needs)s.", count=detail["count"],
             needs=", ".join(f"#{i} {title}" for i, title in detail["needs"]))


def why_nobody(diagnosis: Diagnosis) -> str:
    """Why nobody can do a need's work, in a sentence (the plan's and the shortlist's)."""
    if not diagnosis.of:
        return _("No professional of this cadre is registered.")
    return _("None of the %(of)d professionals of this cadre can do it; the %(filter)s filter "
             "removed the most (%(count)d).", of=diagnosis.of, filter=diagnosis.label,
             count=diagnosis.removed)
