"""What waits for a person now: the to-do list at the top of each role's home page.

A *source* is ``fn(session, user, now) -> Iterable[Todo]``. The registry adds its own (needs
returned to a coordinator, needs to approve, coordinators waiting for a facility); a component
adds more on the same app (``add_source``; ``missions`` adds proposals, checklists, reports,
surveys, licences). Where the scheduler reminds of something, the source asks the reminder's own
rules (``missions.home``), so the list and the reminders agree. Nothing is kept at module level.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from .auth.models import User
from .clock import now
from .extensions import db
from .facilities.models import facility_coordinators
from .forms import error_links
from .needs.models import Need
from .programmes import access
from .vocabulary import MANAGERS, NeedStatus, Role

EXTENSION = "diaspora.todo"


@dataclass(frozen=True)
class Todo:
    """One thing to do, shown as a link."""

    kind: str                  # a key of ``GROUPS``: the scheduler's reminder kind when it has one
    subject_id: int            # the mission, need, licence, follow-up or user it is about
    text: str                  # translated, in the reader's language
    endpoint: str              # url_for(endpoint, **values)
    values: dict = field(default_factory=dict)
    when: date | datetime | None = None   # the moment it is about (shown as a date)


# kind -> heading, in the order groups are shown.
GROUPS: dict[str, object] = {
    "proposal_waiting": _l("Proposals to answer"),
    "readiness_incomplete": _l("Checklist items to tick"),
    "report_due": _l("Outcome reports due"),
    "follow_up_due": _l("Follow-up surveys due"),
    "licence_expiring": _l("Licences expiring"),
    "need_returned": _l("Needs returned to you"),
    "mission_starts": _l("Missions starting soon"),
    "need_to_approve": _l("Needs to approve"),
    "proposal_unanswered": _l("Proposals not yet answered"),
    "report_overdue": _l("Outcome reports overdue"),
    "coordinator_unattached": _l("People waiting to be attached to a facility"),
}

Source = Callable[[object, User, datetime], Iterable[Todo]]


@dataclass
class TodoGroup:
    kind: str
    title: object
    items: list[Todo]


def add_source(app: Flask, source: Source) -> None:
    app.extensions.setdefault(EXTENSION, []).append(source)


def todo_for(session, user: User, now: datetime) -> list[TodoGroup]:
    """Everything waiting for ``user`` at ``now``, grouped by kind (empty groups left out)."""
    by_kind: dict[str, list[Todo]] = {}
    for source in current_app.extensions.get(EXTENSION, []):
        for item in source(session, user, now):
            by_kind.setdefault(item.kind, []).append(item)
    return [TodoGroup(kind, title, by_kind[kind]) for kind, title in GROUPS.items()
            if by_kind.get(kind)]


# --- the registry's own sources ----------------------------------------------------------------

def needs_returned(session, user: User, now: datetime) -> Iterable[Todo]:
    """A coordinator's needs that a manager sent back for changes."""
    if user.role != Role.COORDINATOR:
        return
    mine = sa.select(facility_coordinators.c.facility_id).where(
        facility_coordinators.c.user_id == user.id)
    for need in session.scalars(sa.select(Need).where(
            Need.status == NeedStatus.RETURNED, Need.facility_id.in_(mine)).order_by(Need.id)):
        yield Todo("need_returned", need.id, _("“%(title)s”: change it and submit it again",
                                               title=need.title),
                   "needs.detail", {"need_id": need.id}, need.updated_at)


def needs_to_approve(session, user: User, now: datetime) -> Iterable[Todo]:
    """Submitted needs within the manager's programmes."""
    if user.role not in MANAGERS:
        return
    query = sa.select(Need).where(Need.status == NeedStatus.SUBMITTED).order_by(Need.submitted_at)
    reach = access.need_ids_in_reach(user)
    if reach is not None:
        query = query.where(Need.id.in_(reach))
    for need in session.scalars(query):
        yield Todo("need_to_approve", need.id, _("“%(title)s” at %(facility)s",
                                                 title=need.title, facility=need.facility.name),
                   "needs.detail", {"need_id": need.id}, need.submitted_at)


def unattached_coordinators(session) -> list[User]:
    """Active facility coordinators attached to no facility yet."""
    attached = sa.select(facility_coordinators.c.user_id)
    return list(session.scalars(sa.select(User).where(
        User.role == Role.COORDINATOR, User.active.is_(True), User.id.not_in(attached))
        .order_by(User.created_at)))


def coordinators_waiting(session, user: User, now: datetime) -> Iterable[Todo]:
    if user.role not in MANAGERS:
        return
    for person in unattached_coordinators(session):
        text = _("%(name)s (%(email)s)", name=person.name, email=person.email)
        if person.facility_requested:
            text = _("%(name)s (%(email)s) asks for “%(facility)s”", name=person.name,
                     email=person.email, facility=person.facility_requested)
        yield Todo("coordinator_unattached", person.id, text, "auth.user_edit",
                   {"user_id": person.id}, person.created_at)


def waiting_for_me() -> list[TodoGroup]:
    """Template global: what waits for the signed-in person now (``main/_waiting.html``)."""
    if not current_user.is_authenticated:
        return []
    return todo_for(db.session, current_user._get_current_object(), now())


def init_app(app: Flask) -> None:
    app.jinja_env.globals["waiting_for_me"] = waiting_for_me
    app.jinja_env.globals["error_links"] = error_links  # the error summary's (macros/forms.html)
    for source in (needs_returned, needs_to_approve, coordinators_waiting):
        add_source(app, source)
