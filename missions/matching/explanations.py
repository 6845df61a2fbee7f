"""Explanations: a fit as a shortlist line, each criterion with a translatable sentence."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import format_decimal, gettext as _, lazy_gettext as _l, ngettext

from diaspora import reference
from diaspora.i18n import show_date
from diaspora.vocabulary import Mode

from .scoring import Fit
from .terms import Settings, Terms

CRITERION_LABELS = {
    "skill": _l("Skills"),
    "availability": _l("Availability"),
    "language": _l("Languages"),
    "timezone": _l("Time zone"),
    "distance": _l("Distance"),
    "continuity": _l("Continuity"),
    "fairness": _l("Fairness"),
}


@dataclass(frozen=True)
class Criterion:
    key: str
    score: float      # 0..1
    weight: float     # from Settings.weights
    explanation: str


@dataclass(frozen=True)
class Candidate:
    """One line of a shortlist: enough for a manager to propose a mission directly."""

    professional_id: int
    name: str
    score: float              # 0..100
    origin_match: bool        # from the host country's diaspora
    mode: str                 # suggested: physical or virtual
    suggested_start: date
    suggested_end: date
    criteria: list[Criterion]
    checks: list[str]         # hard requirements met that a manager should know of (licence)


def candidate(fit: Fit, terms: Terms, settings: Settings) -> Candidate:
    """A fit with its explanations, ready to show."""
    criteria = [Criterion(key=key, score=round(fit.scores[key], 3),
                          weight=settings.weights.get(key, 0.0),
                          explanation=EXPLAINERS[key](fact, fit, terms))
                for key, fact in fit.facts.items()]
    return Candidate(professional_id=fit.profile.id, name=fit.profile.name, score=fit.score,
                     origin_match=fit.origin_match, mode=fit.mode,
                     suggested_start=fit.first_start, suggested_end=fit.first_end,
                     criteria=criteria, checks=_checks(fit, terms))


def _checks(fit: Fit, terms: Terms) -> list[str]:
    if fit.mode not in terms.licence_modes:
        return []
    covering = [licence for licence in fit.profile.licences
                if licence[0] <= fit.first_start and fit.first_end <= licence[1]]
    until = max(valid_until for _valid_from, valid_until in covering)
    checks = [_("licence valid in %(country)s until %(date)s",
                country=reference.country_name(terms.country), date=show_date(until))]
    if any(licence in fit.profile.verified_licences for licence in covering):
        checks.append(_("licence verified against a document"))
    else:
        checks.append(_("licence not verified yet"))
    return checks


def _explain_skill(matched, fit: Fit, terms: Terms) -> str:
    parts = []
    if terms.specialty:
        parts.append(_("specialty: %(specialty)s",
                       specialty=reference.SPECIALTIES.get(terms.specialty, terms.specialty)))
    if not terms.skills:
        parts.append(_("no particular skill asked"))
    elif matched:
        parts.append(_("%(matched)d of %(asked)d skills asked: %(skills)s", matched=len(matched),
                       asked=len(terms.skills), skills=", ".join(matched)))
    else:
        parts.append(ngettext("does not have the skill asked", "none of the %(num)d skills asked",
                              len(terms.skills)))
    return "; ".join(parts)


def _explain_availability(free_days, fit: Fit, terms: Terms) -> str:
    if fit.mode == Mode.PHYSICAL:
        text = _("available in person %(free)d of %(total)d days from %(first)s to %(last)s",
                 free=free_days, total=terms.days, first=show_date(terms.first),
                 last=show_date(terms.last))
    else:
        text = _("available online (%(hours)s h a week) %(free)d of %(total)d days from "
                 "%(first)s to %(last)s", hours=format_decimal(terms.weekly_hours),
                 free=free_days, total=terms.days, first=show_date(terms.first),
                 last=show_date(terms.last))
    return "; ".join([text, _("can start %(date)s", date=show_date(fit.first_start))])


def _explain_language(spoken, fit: Fit, terms: Terms) -> str:
    if not terms.languages:
        return _("no language asked")
    missing = [code for code in terms.languages if code not in spoken]
    parts = []
    if spoken:
        parts.append(_("speaks %(languages)s", languages=_language_list(spoken)))
    if missing:
        parts.append(_("does not speak %(languages)s", languages=_language_list(missing)))
    return "; ".join(parts)


def _language_list(codes: Iterable[str]) -> str:
    return ", ".join(reference.language_name(code) for code in codes)


def _explain_timezone(hours, fit: Fit, terms: Terms) -> str:
    if hours is None:
        return _("the facility's time zone is not known")
    if hours == 0:
        return _("same time as the facility (%(zone)s)", zone=fit.profile.zone)
    return _("%(hours)s h time difference (%(zone)s)", hours=format_decimal(hours),
             zone=fit.profile.zone)


def _explain_distance(km, fit: Fit, terms: Terms) -> str:
    if km is None:
        return _("distance not known: no coordinates for the home or the facility")
    profile = fit.profile
    home = ", ".join(filter(None, [profile.city, reference.country_name(profile.residence)]))
    return _("lives %(km)s km away (%(home)s)", km=format_decimal(round(km)), home=home)


def _explain_continuity(done_here, fit: Fit, terms: Terms) -> str:
    if not done_here:
        return _("no earlier mission here")
    return ngettext("%(num)d earlier mission here", "%(num)d earlier missions here", done_here)


def _explain_fairness(fact, fit: Fit, terms: Terms) -> str:
    days_since, this_year = fact
    parts = []
    if days_since is not None:
        parts.append(_("last mission ended %(days)d days ago", days=days_since))
    if this_year:
        parts.append(ngettext("%(num)d mission this year", "%(num)d missions this year",
                              this_year))
    return "; ".join(parts) or _("no mission this year")


EXPLAINERS = {
    "skill": _explain_skill,
    "availability": _explain_availability,
    "language": _explain_language,
    "timezone": _explain_timezone,
    "distance": _explain_distance,
    "continuity": _explain_continuity,
    "fairness": _explain_fairness,
}
