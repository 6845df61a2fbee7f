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
from .pool import plain, pool_query
from .profiles import load_batch
from .scoring import Fit, Scoring, best_fit, scoring_for
from .terms import Settings, Terms, terms_of

FIRST_BATCH = 100            # professionals checked first; each further batch twice as many
POOL = 1000                  # rows of the SQL ranking fetched at a time


@dataclass(frozen=True)
class Ranking:
    fits: list[Fit]       # best first
    checked: int          # professionals that passed the SQL filters and were checked


def rank(session, terms: Terms, *, now: datetime, settings: Settings,
         limit: int | None = None) -> Ranking:
    """The best ``limit`` professionals who can do the work (all when no limit), best first.

    The host country's diaspora ranks first, so they are checked first, the others only when
    fewer than ``limit`` of them can do the work. Within each group, the database ranks those
    who pass the hard filters by their ceiling (``pool``); they are checked in that order, in
    growing batches, until nobody left could enter the best ``limit``: the result is exact, and
    most of a large group is never loaded.
    """
    scoring = scoring_for(terms, settings, now)
    plain(session)
    fits: list[Fit] = []
    checked = 0
    for origin_match in (True, False):
        found, count = _best_fits(session, scoring, origin_match=origin_match, now=now,
                                  wanted=limit - len(fits) if limit else None)
        fits.extend(found)
        checked += count
        if limit and len(fits) >= limit:
            break
    fits.sort(key=lambda fit: (not fit.origin_match, -fit.score, fit.first_start, fit.profile.id))
    return Ranking(fits=fits[:limit] if limit else fits, checked=checked)


def _best_fits(session, scoring: Scoring, *, origin_match: bool, now: datetime,
               wanted: int | None) -> tuple[list[Fit], int]:
    """The fits of one group that could be among the best ``wanted`` (all when None), and how
    many professionals were checked to find them.

    The pool comes from the database highest ceiling first, ``POOL`` rows at a time; its
    professionals are checked in batches of ``FIRST_BATCH``, then twice as many each time.
    """
    terms = scoring.terms
    fits: list[Fit] = []
    seen: set[int] = set()
    offset, size, batch = 0, POOL if wanted else None, FIRST_BATCH
    while True:
        rows = session.execute(pool_query(session, scoring, origin_match=origin_match,
                                          limit=size, offset=offset)).all()
        position = 0
        while position < len(rows):
            if wanted and len(fits) >= wanted and \
                    heapq.nlargest(wanted, (fit.score for fit in fits))[-1] > rows[position][1]:
                return fits, len(seen)
            ids = list(dict.fromkeys(professional_id for professional_id, _ceiling
                                     in rows[position:position + batch]
                                     if professional_id not in seen))
            seen.update(ids)
            profiles = load_batch(session, terms, ids, now=now, settings=scoring.settings)
            fits.extend(fit for profile in profiles.values()
                        if (fit := best_fit(profile, scoring)) is not None)
            position += batch
            batch *= 2
        if size is None or len(rows) < size:
            return fits, len(seen)
        offset += len(rows)
        size *= 4


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
