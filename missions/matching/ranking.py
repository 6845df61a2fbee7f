"""The ranking: the best professionals for a need, checked in the order of their upper bound."""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from diaspora import audit
from diaspora.db import unit_of_work
from diaspora.errors import Conflict
from diaspora.needs import services as needs
from diaspora.needs.models import Need
from diaspora.vocabulary import MATCHABLE, NeedStatus

from .explanations import Candidate, candidate
from .profiles import Profile, load_details, load_profiles
from .scoring import Fit, Scoring, best_fit, scoring_for, upper_bound
from .terms import Settings, Terms, terms_of

FIRST_BATCH = 100            # professionals checked first; each further batch twice as many


@dataclass(frozen=True)
class Ranking:
    fits: list[Fit]       # best first
    checked: int          # professionals that passed the SQL filters and were checked


def rank(session, terms: Terms, *, now: datetime, settings: Settings,
         limit: int | None = None) -> Ranking:
    """The best ``limit`` professionals who can do the work (all when no limit), best first.

    The host country's diaspora ranks first, so they are checked first, the others only when
    fewer than ``limit`` of them can do the work. Within each group, professionals are checked
    in the order of their upper bound (``upper_bound``), in growing batches, until nobody left
    could enter the best ``limit``: the result is exact, and most of a large group is never
    checked.
    """
    scoring = scoring_for(terms, settings, now)
    fits: list[Fit] = []
    checked = 0
    for origin_match in (True, False):
        profiles = load_profiles(session, terms, now=now, settings=settings,
                                 origin_match=origin_match)
        found, count = _best_fits(session, profiles, scoring,
                                  wanted=limit - len(fits) if limit else None)
        fits.extend(found)
        checked += count
        if limit and len(fits) >= limit:
            break
    fits.sort(key=lambda fit: (not fit.origin_match, -fit.score, fit.first_start, fit.profile.id))
    return Ranking(fits=fits[:limit] if limit else fits, checked=checked)


def _best_fits(session, profiles: dict[int, Profile], scoring: Scoring, *,
               wanted: int | None) -> tuple[list[Fit], int]:
    """The fits among ``profiles`` that could be among the best ``wanted`` (all when None),
    and how many professionals were checked to find them."""
    bounds = {profile.id: upper_bound(profile, scoring) for profile in profiles.values()}
    queue = sorted(profiles.values(), key=lambda profile: -bounds[profile.id])
    fits: list[Fit] = []
    checked, batch = 0, FIRST_BATCH
    while checked < len(queue):
        if wanted and len(fits) >= wanted and \
                heapq.nlargest(wanted, (fit.score for fit in fits))[-1] > bounds[queue[checked].id]:
            break
        chunk = {profile.id: profile for profile in queue[checked:checked + batch]}
        load_details(session, scoring.terms, chunk)
        fits.extend(fit for profile in chunk.values()
                    if (fit := best_fit(profile, scoring)) is not None)
        checked += len(chunk)
        batch *= 2
    return fits, checked


def require_matchable(need: Need) -> None:
    """Matching starts only from an approved need."""
    if need.status not in MATCHABLE:
        raise Conflict(_("Only an approved need can be matched (this one is %(status)s).",
                         status=NeedStatus.label_of(need.status)), extra={"current_status": need.status})


def shortlist(session, need: Need, *, now: datetime, limit: int = 20,
              settings: Settings | None = None) -> list[Candidate]:
    """The ranked, explained shortlist of an approved need."""
    require_matchable(need)
    settings = settings or Settings()
    terms = terms_of(need)
    ranking = rank(session, terms, now=now, settings=settings, limit=limit)
    return [candidate(fit, terms, settings) for fit in ranking.fits]


def shortlist_for(session, need_id: int, *, actor, now: datetime, limit: int = 20,
                  settings: Settings | None = None) -> tuple[Need, list[Candidate]]:
    """The shortlist as a manager asks for it: the need checked, the read audited."""
    need = needs.get_need(session, need_id, actor=actor)
    candidates = shortlist(session, need, now=now, limit=limit, settings=settings)
    with unit_of_work(session):
        audit.record(session, now=now, actor=actor, action="read", entity="shortlist",
                     entity_id=need.id,
                     detail={"professionals": [c.professional_id for c in candidates]})
    return need, candidates
