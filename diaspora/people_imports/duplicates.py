"""Rows of an import held as possible duplicates, for a manager to confirm.

An import holds (does not create) a row whose person has the same name and the same phone or
birth year as someone in the registry or an earlier row of the file (``services._hold``). A
manager sees each held row beside the record it may duplicate (only the fields needed to
decide; the read is audited) and decides once, through ``diaspora.statemachine`` (a
compare-and-set: of two managers deciding at once, one wins, the other gets a 409 saying what
was decided):

- *same person, skip*: nothing changes;
- *same person, merge*: the row fills the existing record's empty fields only;
- *different person*: the row is created as an invited person and the invitation is sent.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from .. import audit, statemachine
from ..db import unit_of_work
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..professionals.models import Professional, ProfessionalLanguage, ProfessionalSpecialty
from ..statemachine import Transition
from ..vocabulary import MANAGERS, HoldStatus
from . import invitations, services
from .models import DuplicateHold, Invitation

ACTIONS = {
    "skip": Transition((HoldStatus.PENDING,), HoldStatus.SKIPPED),
    "merge": Transition((HoldStatus.PENDING,), HoldStatus.MERGED),
    "create": Transition((HoldStatus.PENDING,), HoldStatus.CREATED),
}
# The fields a merge may fill when the existing record has none.
MERGED_FIELDS = ("phone", "gender", "specialties", "languages")


@dataclass
class Side:
    """What a manager needs to tell two people apart."""

    name: str
    email: str
    phone: str | None
    birth_year: int | None
    cadre: str | None
    specialties: list[str]
    country_of_residence: str | None
    gender: str | None
    languages: list[str]


@dataclass
class HoldView:
    hold: DuplicateHold
    row: Side
    existing: Side | None
    can_decide: bool
    can_merge: bool


def _refusal(current: str) -> str:
    return _("Another manager has already decided on this row: %(decision)s.",
             decision=HoldStatus.label_of(current))


def _require_manager(actor) -> None:
    if getattr(actor, "role", None) not in MANAGERS:
        raise Forbidden(_("Only programme managers confirm possible duplicates."))


def _row_side(hold: DuplicateHold) -> Side:
    cells = hold.cells or {}
    item, _messages = services.load_row(cells, hold.country_of_origin)
    if item is None:  # shown as the file gave it
        return Side(name=cells.get("name") or " ".join(
            filter(None, [cells.get("given_name"), cells.get("family_name")])),
            email=hold.email, phone=cells.get("phone"), birth_year=None,
            cadre=cells.get("cadre"), specialties=[], gender=cells.get("gender"),
            country_of_residence=cells.get("country_of_residence"), languages=[])
    return Side(name=f"{item['given_name']} {item['family_name']}", email=item["email"],
                phone=item["phone"], birth_year=item["birth_year"], cadre=item["cadre"],
                specialties=[item["specialty"]] if item["specialty"] else [],
                country_of_residence=item["country_of_residence"], gender=item["gender"],
                languages=item["languages"])


def _existing_side(session, professional: Professional) -> Side:
    year = session.scalar(sa.select(Invitation.birth_year)
                          .where(Invitation.user_id == professional.user_id))
    return Side(name=f"{professional.given_name} {professional.family_name}",
                email=professional.user.email, phone=professional.phone, birth_year=year,
                cadre=professional.cadre,
                specialties=[s.specialty for s in professional.specialties],
                country_of_residence=professional.country_of_residence,
                gender=professional.gender,
                languages=[language.language for language in professional.languages])


def holds_of_job(session, job_id: int, *, actor, now: datetime) -> list[HoldView]:
    """The rows of an import held as possible duplicates (pending first), each beside the
    record it may duplicate; the read of those records is audited."""
    _require_manager(actor)
    holds = list(session.scalars(
        sa.select(DuplicateHold).where(DuplicateHold.job_id == job_id)
        .order_by(sa.case((DuplicateHold.status == HoldStatus.PENDING, 0), else_=1),
                  DuplicateHold.row)))
    views = []
    for hold in holds:
        existing = _existing_side(session, hold.existing) if hold.existing else None
        pending = hold.status == HoldStatus.PENDING
        views.append(HoldView(hold, _row_side(hold), existing, can_decide=pending,
                              can_merge=pending and existing is not None))
    shown = sorted({hold.existing_id for hold in holds if hold.existing_id})
    if shown:
        with unit_of_work(session):
            audit.record(session, now=now, actor=actor, action="read", entity="professional",
                         detail={"duplicates_of_job": job_id, "professionals": shown})
    return views


def pending_count(session, job_id: int) -> int:
    return session.scalar(sa.select(sa.func.count(DuplicateHold.id)).where(
        DuplicateHold.job_id == job_id, DuplicateHold.status == HoldStatus.PENDING)) or 0


def decide(session, hold_id: int, action: str, *, actor, now: datetime) -> DuplicateHold:
    """One manager's decision on a held row (``skip``, ``merge`` or ``create``)."""
    _require_manager(actor)
    transition = ACTIONS.get(action)
    if transition is None:
        raise Invalid(_("Choose what to do with this row."),
                      errors={"action": [_("Choose what to do with this row.")]})
    hold = session.get(DuplicateHold, hold_id)
    if hold is None:
        raise NotFound(_("No such row to confirm."))
    if action == "merge" and hold.existing is None and hold.status == HoldStatus.PENDING:
        raise Invalid(_("The record this row may duplicate is no longer in the registry."),
                      errors={"action": [_("The record this row may duplicate is no longer in "
                                           "the registry.")]})
    item = None
    if action in ("merge", "create"):
        item, messages = services.load_row(hold.cells or {}, hold.country_of_origin)
        if item is None:
            raise Invalid(_("This row is no longer valid: %(messages)s",
                            messages="; ".join(messages)), errors={"action": messages})
    try:
        with unit_of_work(session):
            # the compare-and-set first: the loser of a race writes nothing
            statemachine.apply(session, hold, transition, refusal=_refusal,
                               decided_by_id=actor.id, decided_at=now)
            if action == "merge":
                professional = hold.existing
                filled = _fill_empty(session, professional, item["profile"], now=now)
                hold.professional_id = professional.id
                audit.record(session, now=now, actor=actor, action="update",
                             entity="professional", entity_id=professional.id,
                             detail={"merged_from_import_row": hold.id, "fields": filled})
            elif action == "create":
                user = services._create_invited(session, item, actor=actor, now=now,
                                                job_id=hold.job_id)
                session.flush()
                professional = session.scalar(sa.select(Professional)
                                              .where(Professional.user_id == user.id))
                hold.professional_id = professional.id
                audit.record(session, now=now, actor=actor, action="create",
                             entity="professional", entity_id=professional.id,
                             detail={"import_row": hold.id})
            audit.record(session, now=now, actor=actor, action="update", entity="import_duplicate",
                         entity_id=hold.id, detail={"decision": str(transition.target)})
    except IntegrityError as error:
        raise Conflict(_("An account with this e-mail already exists: choose “same person”."),
                       extra={"current_status": HoldStatus.PENDING}) from error
    if action == "create":
        invitations.send_pending(session, now=now, job_id=hold.job_id)
    return hold


def _fill_empty(session, professional: Professional, profile: dict, *, now: datetime) -> list[str]:
    """Fill the existing record's empty fields from the row; nothing set is overwritten."""
    filled = []
    if not professional.phone and profile.get("phone"):
        professional.phone = profile["phone"]
        filled.append("phone")
    if professional.gender in (None, "", "undisclosed") and profile.get("gender") not in (
            None, "", "undisclosed"):
        professional.gender = profile["gender"]
        filled.append("gender")
    if not professional.specialties and profile.get("specialties"):
        professional.specialties = [ProfessionalSpecialty(specialty=code)
                                    for code in profile["specialties"]]
        filled.append("specialties")
    if not professional.languages and profile.get("languages"):
        professional.languages = [ProfessionalLanguage(**item) for item in profile["languages"]]
        filled.append("languages")
    if filled:
        professional.updated_at = now
    return filled

