"""The WHO health workforce support and safeguards list (WHO Global Code of Practice).

Countries on the list face the most pressing health workforce shortages; needs, missions and
reports touching them are flagged. The 2023 list ships as ``data/who-safeguards-2023.json``
with its source and criteria; an administrator can put a newer version in force
(``admin.models.SafeguardList``), which then takes precedence.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

import sqlalchemy as sa
from flask import g, has_app_context

from .admin.models import SafeguardList
from .extensions import db


@dataclass(frozen=True)
class ListInForce:
    name: str
    published: date | None
    source: str
    criteria: str | None
    countries: frozenset[str]
    shipped: bool


@lru_cache(maxsize=1)
def shipped_list() -> ListInForce:
    text = resources.files("diaspora").joinpath("data/who-safeguards-2023.json").read_text("utf-8")
    data = json.loads(text)
    return ListInForce(data["name"], date.fromisoformat(data["published"]), data["source"],
                       data["criteria"], frozenset(data["countries"]), shipped=True)


def list_in_force(session) -> ListInForce:
    """The newest list an administrator saved, else the shipped one."""
    newest = session.scalar(sa.select(SafeguardList).order_by(SafeguardList.id.desc()).limit(1))
    if newest is None:
        return shipped_list()
    return ListInForce(newest.name, newest.published, newest.source, newest.criteria,
                       frozenset(newest.countries), shipped=False)


def _current_countries() -> frozenset[str]:
    """Read once per request or command (kept on ``g``)."""
    if not has_app_context():
        return shipped_list().countries
    if "safeguard_countries" not in g:
        g.safeguard_countries = list_in_force(db.session).countries
    return g.safeguard_countries


def is_listed(country: str | None) -> bool:
    """True when the ISO alpha-2 ``country`` is on the list in force."""
    return bool(country) and country.upper() in _current_countries()
