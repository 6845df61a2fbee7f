"""Explainable matching: the ranked shortlist of professionals for one approved need.

How a shortlist is made:

1. **Hard filters, in SQL** (one query, ``hard_filters``): consent given; the cadre (and the
   specialty when the need names one); a mode the need accepts and the professional offers; for
   in-person clinical work a licence in the host country that could cover a stay inside the
   need's window; availability windows that could hold the work. The query is a necessary
   condition, cheap enough to run over the whole registry.
2. **Ranking**: the diaspora of the host country first, then by score, then by the earliest
   start. So the host country's diaspora is examined first, the others only when fewer than
   the number asked for can do the work.
3. **Upper bounds**: for those who pass, the skills asked for that they have and their
   missions are loaded in bulk (one query each, ``IN`` on their ids). That bounds each
   professional's score: what it would be were they free on every day of the window and
   speaking every language asked.
4. **Exact checks**, in the order of the upper bound and in growing batches, until nobody left
   could enter the list: windows, blackouts, bookings, licences and languages are loaded for
   the batch, and availability is worked out day by day over the need's window, mode by mode
   — available
   days (windows of that mode; online, with enough hours a week) minus blackouts minus days
   already booked; a run of consecutive days long enough for the work; for in-person clinical
   work one licence valid in the host country on every day of the run (the rule of
   ``missions.core.licences.has_licence_for``).
5. **Soft scores** (each 0..1, weighted by ``MATCH_WEIGHTS``) make a score of 0..100; the
   professional's best mode is suggested, with the earliest start that works.

Explanations (translatable sentences) are written only for the candidates shown.

The modules, in the order a shortlist is made: ``terms`` (what the need asks), ``filters``
(1, and ``diagnose``), ``profiles`` (3, 4: loading), ``scoring`` (4, 5), ``ranking`` (2, 4,
``shortlist``), ``explanations``; ``planning`` plans several needs at once, ``views`` serves
shortlists and plans.
"""
from .explanations import CRITERION_LABELS, Candidate, Criterion
from .filters import Diagnosis, diagnose, hard_filter_query
from .ranking import Ranking, rank, shortlist, shortlist_for
from .terms import MODES, Settings, Terms, terms_of

__all__ = ["CRITERION_LABELS", "MODES", "Candidate", "Criterion", "Diagnosis", "Ranking", "Settings",
           "Terms", "diagnose", "hard_filter_query", "rank", "shortlist", "shortlist_for", "terms_of"]
