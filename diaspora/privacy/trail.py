"""Who read or changed a person's data, in words: the trail in the person's data export and the
administrators' audit log page.

Audit rows store the reader's id and role only (the log is append-only, and must not keep a
name that erasure has to remove); the reader's name is looked up when the trail is shown, so an
erased reader shows as "Erased person".
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _, lazy_gettext as _l

from ..audit import AuditEvent
from ..auth.models import User
from ..professionals.models import Professional
from ..vocabulary import role_label

ACTIONS = {"read": _l("read"), "create": _l("created"), "update": _l("changed"),
           "delete": _l("deleted"), "denied": _l("refused"), "export": _l("exported"),
           "erase": _l("erased"), "login": _l("signed in")}
RECORDS = {"user": _l("account"), "professional": _l("profile"),
           "contact": _l("contact (e-mail and phone)"), "professional_list": _l("registry list"),
           "shortlist": _l("shortlist"), "plan": _l("programme plan"), "need": _l("need"),
           "mission": _l("mission"), "missions": _l("missions export"),
           "fhir_workforce": _l("FHIR workforce export")}
# Why a contact was read (the missions package reads contacts "for a mission").
PURPOSES = {"mission": _l("for a mission"), "proposal": _l("before proposing a mission"),
            "licence_check": _l("checking a licence with them"),
            "data_request": _l("answering their own request")}


def readers(session, events) -> dict[int, User]:
    """The users who acted in ``events``, by id (one query)."""
    ids = {event.actor_id for event in events if event.actor_id is not None}
    if not ids:
        return {}
    return {user.id: user for user in session.scalars(sa.select(User).where(User.id.in_(ids)))}


def describe(event: AuditEvent) -> str:
    """The event's detail in words ("for a mission: mission 12"), "" when it has none."""
    detail = dict(event.detail or {})
    words = []
    if "purpose" in detail:
        purpose = detail.pop("purpose")
        words.append(str(PURPOSES.get(purpose, purpose)))
    if "mission" in detail:
        words.append(_("mission %(id)s", id=detail.pop("mission")))
    if detail.pop("name_search", None):
        words.append(_("searched by name"))
    if "fields" in detail:
        words.append(_("fields: %(fields)s", fields=", ".join(detail.pop("fields"))))
    if "professionals" in detail:
        words.append(_("%(count)d professionals listed", count=len(detail.pop("professionals"))))
    words += [f"{key}: {value}" for key, value in detail.items()]
    return "; ".join(words)


def about(session, user: User, professional: Professional | None) -> list[dict]:
    """Who read or changed this person's account, profile or contact (other than themself),
    oldest first, each reader named with their role."""
    about_them = sa.and_(AuditEvent.entity == "user", AuditEvent.entity_id == user.id)
    if professional is not None:
        about_them = sa.or_(about_them, sa.and_(AuditEvent.entity.in_(("professional", "contact")),
                                                AuditEvent.entity_id == professional.id))
    events = session.scalars(sa.select(AuditEvent).where(
        about_them, sa.or_(AuditEvent.actor_id.is_(None), AuditEvent.actor_id != user.id))
        .order_by(AuditEvent.at, AuditEvent.id)).all()
    people = readers(session, events)
    return [{"at": e.at.isoformat(), "action": e.action, "entity": e.entity,
             "what": f"{RECORDS.get(e.entity, e.entity)} {ACTIONS.get(e.action, e.action)}",
             "by": people[e.actor_id].name if e.actor_id in people else None,
             "by_role": e.actor_role, "by_role_label": role_label(e.actor_role) if e.actor_role else "",
             "detail": describe(e)} for e in events]
