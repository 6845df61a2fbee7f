"""The ranking: the best professionals for a need, checked in the order of their upper bound."""
from __future__ import annotations

import heapq
from collections.abc import Iterator
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
from .pool import pool_query
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
    fewer than ``limit`` of them can do the work. The database ranks those who pass the hard
    filters (``pool``: host country first, then by ceiling) and hands them over ``POOL`` rows at
    a time; they are checked in that order, in batches of ``FIRST_BATCH`` then twice as many
    each time, until nobody left could enter the best ``limit``: the result is exact, and most
    of a large group is never loaded.
    """
    scoring = scoring_for(terms, settings, now)
    rows = _pool(session, scoring, limited=limit is not None)
    fits: dict[bool, list[Fit]] = {True: [], False: []}   # host country's diaspora or not
    seen: set[int] = set()
    pending = next(rows, None)
    group, batch = True, FIRST_BATCH
    while pending is not None:
        if bool(pending[1]) != group:
            group, batch = bool(pending[1]), FIRST_BATCH
        wanted = limit - len(fits[True]) * (not group) if limit else None
        if wanted is not None and (wanted <= 0 or (
                len(fits[group]) >= wanted and
                heapq.nlargest(wanted, (fit.score for fit in fits[group]))[-1] > pending[2])):
            break   # nobody left could enter the list
        chunk = []
        while pending is not None and bool(pending[1]) == group and len(chunk) < batch:
            chunk.append(pending[0])
            pending = next(rows, None)
        ids = [professional_id for professional_id in dict.fromkeys(chunk)
               if professional_id not in seen]
        seen.update(ids)
        profiles = load_batch(session, terms, ids, now=now, settings=settings)
        fits[group].extend(fit for profile in profiles.values()
                           if (fit := best_fit(profile, scoring)) is not None)
        batch *= 2
    ranked = sorted(fits[True] + fits[False], key=lambda fit: (
        not fit.origin_match, -fit.score, fit.first_start, fit.profile.id))
    return Ranking(fits=ranked[:limit] if limit else ranked, checked=len(seen))


def _pool(session, scoring: Scoring, *, limited: bool) -> Iterator[tuple[int, bool, float]]:
    """The pool's rows ``(id, host, ceiling)`` in order, fetched ``POOL`` rows at a time (then
    four times as many each time), or all at once when not ``limited``."""
    offset, size = 0, POOL if limited else None
    while True:
        rows = session.execute(pool_query(session, scoring, limit=size, offset=offset)).all()
        yield from rows
        if size is None or len(rows) < size:
            return
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
