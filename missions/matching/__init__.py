"""Explainable matching: the ranked shortlist of professionals for one approved need.

How a shortlist is made:

1. **Hard filters, in SQL** (``filters.hard_filter_query``): consent given; the cadre (and the
   specialty when the need names one); a mode the need accepts and the professional offers; for
   in-person clinical work a licence in the host country that could cover a stay inside the
   need's window; availability windows that could hold the work. The query is a necessary
   condition, served by indexes (one SELECT per mode and way of holding the cadre: no OR).
2. **Ranking**: the diaspora of the host country first, then by score, then by the earliest
   start. So the host country's diaspora is examined first, the others only when fewer than
   the number asked for can do the work.
3. **Ceilings, in SQL** (``pool``): the same query gives each professional who passes a
   ceiling — the score they would reach were they free on every day their windows cover, with
   no recent mission — from the skills and languages asked that they have, their windows, their
   home or time zone and their missions at the facility. The database sorts on it and hands
   over only the top (ids and ceilings): a bounded pool, not everyone who passes.
4. **Exact checks**, in the pool's order and in growing batches, until nobody left could enter
   the list: the batch's profiles, skills, missions, windows, blackouts, bookings, licences and
   languages are loaded (one query each, ``profiles.load_batch``), and availability is worked
   out day by day over the need's window, mode by mode — available days (windows of that mode;
   online, with enough hours a week) minus blackouts minus days already booked; a run of
   consecutive days long enough for the work; for in-person clinical work one licence valid in
   the host country on every day of the run (the rule of
   ``missions.core.licences.has_licence_for``).
5. **Soft scores** (each 0..1, weighted by ``MATCH_WEIGHTS``) make a score of 0..100; the
   professional's best mode is suggested, with the earliest start that works.

Explanations (translatable sentences) are written only for the candidates shown.

The modules, in the order a shortlist is made: ``terms`` (what the need asks), ``filters``
(1, and ``diagnose``), ``pool`` (3), ``profiles`` (4: loading), ``scoring`` (4, 5),
``ranking`` (2, 4, ``shortlist``), ``explanations``; ``planning`` plans several needs at once, ``views`` serves
shortlists and plans.
"""
from .explanations import CRITERION_LABELS, Candidate, Criterion
from .filters import Diagnosis, diagnose, hard_filter_query
from .ranking import Ranking, rank, shortlist, shortlist_for
from .terms import MODES, Settings, Terms, terms_of

__all__ = ["CRITERION_LABELS", "MODES", "Candidate", "Criterion", "Diagnosis", "Ranking", "Settings",
           "Terms", "diagnose", "hard_filter_query", "rank", "shortlist", "shortlist_for", "terms_of"]
