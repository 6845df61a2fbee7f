"""Programmes as boundaries: which needs a programme manager acts on.

A need belongs to its programme (``Need.programme_id``). A programme manager acts on the needs
of the programmes they manage and, for a need filed without a programme, on those at facilities
in the origin country of one of their programmes (the programme that would take it on). An
admin, and the application acting on its own, act on every need. A manager attached to no
programme acts on none.

Everything that hangs off a need follows it: its missions, its shortlist, its place in the plan,
the dashboards and exports. Needs, missions, matching, planning and dashboards all ask here
(``need_in_reach``, ``need_ids_in_reach``, ``require_programme``), never in their views.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ..errors import Forbidden
from ..facilities.models import Facility
from ..needs.models import Need
from ..vocabulary import Role
from .models import Programme, programme_managers

BOUNDED_ROLES = (Role.MANAGER,)   # roles held to their programmes; admins are not


@dataclass(frozen=True)
class Reach:
    """The programmes a manager manages and the origin countries of those programmes."""

    programme_ids: frozenset[int]
    countries: frozenset[str]

    def covers(self, programme_id: int | None, country: str | None) -> bool:
        """Whether a need of ``programme_id`` (None: filed without one) at a facility in
        ``country`` is within reach."""
        if programme_id is not None:
            return programme_id in self.programme_ids
        return country in self.countries


def is_bounded(actor) -> bool:
    """Whether ``actor`` is held to their programmes (a programme manager, not an admin)."""
    return getattr(actor, "role", None) in BOUNDED_ROLES


def reach_of(session, actor) -> Reach | None:
    """What ``actor`` manages; None when they are not held to programmes (admins, the system).

    Read once per request: a page asks several times (the filters, the options, each service
    it calls); a flush that changes a programme (its managers) forgets what was read."""
    if not is_bounded(actor):
        return None
    cache = _request_cache()
    if cache is not None and actor.id in cache:
        return cache[actor.id]
    reach = _read_reach(session, actor)
    if cache is not None:
        cache[actor.id] = reach
    return reach


def _request_cache() -> dict | None:
    """The reaches read during the current request (``flask.g`` may outlive one request when
    an app context is already pushed, so the cache names its request)."""
    if not has_request_context():
        return None
    current = request._get_current_object()
    cached = g.get("programme_reach")
    if cached is None or cached[0] is not current:
        cached = g.programme_reach = (current, {})
    return cached[1]


@sa.event.listens_for(Session, "after_flush")
def _forget_reach(session, _context) -> None:
    if has_request_context() and "programme_reach" in g and any(isinstance(obj, Programme) for obj in
                                 (*session.new, *session.dirty, *session.deleted)):
        g.pop("programme_reach", None)


def _read_reach(session, actor) -> Reach:
    rows = session.execute(
        sa.select(Programme.id, Programme.origin_country)
        .join(programme_managers, programme_managers.c.programme_id == Programme.id)
        .where(programme_managers.c.user_id == actor.id)).all()
    return Reach(programme_ids=frozenset(row[0] for row in rows),
                 countries=frozenset(row[1] for row in rows))


def need_in_reach(session, actor, need: Need) -> bool:
    """Whether a manager-level ``actor`` may act on ``need`` (always true for admins)."""
    reach = reach_of(session, actor)
    return reach is None or reach.covers(need.programme_id, need.facility.country)


def need_ids_in_reach(actor) -> sa.Select | None:
    """``SELECT needs.id`` of the needs ``actor`` may act on (the rule of ``Reach.covers``, in
    SQL, for a list to be filtered in the same query); None when every need."""
    if not is_bounded(actor):
        return None
    return needs_managed_by(actor.id)


def needs_managed_by(user_id: int) -> sa.Select:
    """``SELECT needs.id`` of the needs within reach of the manager ``user_id``."""
    managed = sa.select(programme_managers.c.programme_id) \
        .where(programme_managers.c.user_id == user_id)
    countries = sa.select(Programme.origin_country) \
        .join(programme_managers, programme_managers.c.programme_id == Programme.id) \
        .where(programme_managers.c.user_id == user_id)
    return sa.select(Need.id).join(Facility, Facility.id == Need.facility_id).where(sa.or_(
        Need.programme_id.in_(managed),
        sa.and_(Need.programme_id.is_(None), Facility.country.in_(countries))))


def require_programme(session, actor, programme_id: int | None) -> None:
    """Refuse a programme-bound actor who names a programme they do not manage (a filter, a
    plan, a need filed for it)."""
    if programme_id is None:
        return
    reach = reach_of(session, actor)
    if reach is not None and programme_id not in reach.programme_ids:
        raise Forbidden(_("You do not manage this programme."))


def manages_programme(session, actor, programme: Programme) -> bool:
    """Whether ``actor`` may change ``programme`` itself: its managers, and admins."""
    reach = reach_of(session, actor)
    return reach is None or programme.id in reach.programme_ids


def programmes_for(session, actor) -> list[Programme]:
    """The programmes ``actor`` may choose in a filter or a plan: theirs, or all for admins."""
    query = sa.select(Programme).order_by(Programme.name)
    if is_bounded(actor):
        query = query.join(programme_managers,
                           programme_managers.c.programme_id == Programme.id) \
            .where(programme_managers.c.user_id == actor.id)
    return list(session.scalars(query))
