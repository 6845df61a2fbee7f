"""The licence rule: a physical clinical mission needs a licence valid in the host country."""
from __future__ import annotations

from datetime import date

from diaspora.needs.models import Need
from diaspora.professionals.models import Professional
from diaspora.vocabulary import Mode, Purpose


def needs_valid_licence(need: Need, kind: str) -> bool:
    """A physical clinical mission needs a licence valid in the host country every day."""
    return kind == Mode.PHYSICAL and need.purpose == Purpose.CLINICAL_SERVICE


def has_licence_for(professional: Professional, country: str, first: date, last: date) -> bool:
    return any(l.country == country and l.covers(first, last) for l in professional.licences)
