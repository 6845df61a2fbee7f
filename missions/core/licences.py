"""The licence rule: a physical clinical mission needs a licence valid in the host country."""
from __future__ import annotations

from datetime import date

from diaspora.needs.models import Need
from diaspora.professionals.models import Professional


def needs_valid_licence(need: Need, kind: str) -> bool:
    """A physical clinical mission needs a licence valid in the host country every day."""
    return kind == "physical" and need.purpose == "clinical_service"


def has_licence_for(professional: Professional, country: str, first: date, last: date) -> bool:
    return any(l.country == country and l.covers(first, last) for l in professional.licences)
