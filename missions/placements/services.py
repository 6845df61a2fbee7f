"""Placement offers, nominations, the placement lifecycle, readiness, return and follow-ups.

- A programme manager records a partner institution's offer of places (``create_offer``).
- A coordinator nominates a confirmed, consenting member of their facility's staff
  (``nominate``); a manager may too.
- Every later change of status goes through ``transition``: allowed from the current status
  (else 409 with it), by the actor's relation (``access.relation``), made as a compare-and-set
  (``diaspora.statemachine.apply``). Selecting takes the worker's lock and the offer's, then
  refuses a clash with another of the worker's placements (409 naming it) and a full offer;
  the database refuses overlaps on its own too (migration 0011).
- A placement is training to strengthen the home facility, never a recruitment route: each
  carries a return-and-service agreement (``service_months``), and one from a country on the WHO
  safeguards list is flagged. Its return creates the follow-up surveys at +6, +12 and +24
  months, which a coordinator of the home facility (or a manager) answers once open (a week
  before they are due, as the missions' surveys: ``outcomes.services.SURVEY_OPENS_BEFORE``).
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, selectinload

from diaspora import audit, safeguards, statemachine
from diaspora.db import unit_of_work
from diaspora.errors import Conflict, Forbidden, Invalid, NotFound
from diaspora.partners.models import PartnerInstitution, Partnership
from diaspora.programmes import access as programmes
from diaspora.security import Actor
from diaspora.statemachine import Transition
from diaspora.vocabulary import MANAGERS, Role
from diaspora.workforce.models import HostHealthWorker
from diaspora.workforce.services import facility_in_reach

from ..notifications import outbox
from ..outcomes.services import SURVEY_OPENS_BEFORE
from . import booking
from .access import relation
from .models import (
    FOLLOW_UP_MONTHS,
    Placement,
    PlacementChecklistItem,
    PlacementEvent,
    PlacementFollowUp,
    PlacementOffer,
)
from .vocabulary import (
    CHECKLIST_OPEN,
    ChecklistItem,
    OfferStatus,
    PlacementAction as Action,
    PlacementStatus as Status,
)

COORDINATING = MANAGERS + (Role.COORDINATOR,)
TRANSITIONS = {
    Action.SELECT: Transition((Status.NOMINATED,), Status.SELECTED, MANAGERS),
    Action.DECLINE: Transition((Status.NOMINATED,), Status.DECLINED, MANAGERS, needs_reason=True),
    Action.CONFIRM: Transition((Status.SELECTED,), Status.CONFIRMED, MANAGERS),
    Action.READY: Transition((Status.CONFIRMED,), Status.READY, MANAGERS),
    Action.DEPART: Transition((Status.READY,), Status.ABROAD, MANAGERS),
    Action.RETURN: Transition((Status.ABROAD,), Status.COMPLETED, COORDINATING),
    Action.REPORT: Transition((Status.COMPLETED,), Status.REPORTED, COORDINATING, needs_reason=True),
    Action.CLOSE: Transition((Status.REPORTED,), Status.CLOSED, MANAGERS),
    Action.CANCEL: Transition((Status.NOMINATED, Status.SELECTED, Status.CONFIRMED, Status.READY,
                               Status.POSTPONED), Status.CANCELLED, COORDINATING, needs_reason=True),
    Action.POSTPONE: Transition((Status.SELECTED, Status.CONFIRMED, Status.READY), Status.POSTPONED,
                                MANAGERS, needs_reason=True),
}
# The reason of these is kept as the placement's status reason; "report"'s is its report.
REASONED = (Action.DECLINE, Action.CANCEL, Action.POSTPONE)
# The home facility's coordinators are told in their inbox (notice kind "placement_<target>").
NOTIFIED = (Action.SELECT, Action.DECLINE, Action.CONFIRM, Action.POSTPONE, Action.CANCEL)


def refusal(status: str) -> str:
    return _("The placement is %(status)s: it cannot be changed this way.", status=status)


# --- offers -------------------------------------------------------------------------------

def create_offer(session: Session, data: dict, *, actor: Actor, now: datetime) -> PlacementOffer:
    """A manager records places a partner institution offers."""
    if not actor.is_manager:
        raise Forbidden(_("Only programme managers record placement offers."))
    errors = {}
    if session.get(PartnerInstitution, data["partner_id"]) is None:
        errors["partner_id"] = [_("Unknown partner institution.")]
    partnership_id = data.get("partnership_id")
    if partnership_id:
        partnership = session.get(Partnership, partnership_id)
        if partnership is None or partnership.partner_id != data["partner_id"]:
            errors["partnership_id"] = [_("Not a partnership of this partner institution.")]
    if errors:
        raise Invalid(_("Some information is not valid."), errors=errors)
    programmes.require_programme(session, actor, data.get("programme_id"))
    offer = PlacementOffer(**data, created_by_id=actor.id, created_at=now)
    with unit_of_work(session):
        session.add(offer)
        session.flush()
        audit.record(session, now=now, actor=actor, action="create", entity="placement_offer",
                     entity_id=offer.id)
    return offer


WITHDRAW = Transition((OfferStatus.OFFERED,), OfferStatus.WITHDRAWN, MANAGERS)


def withdraw_offer(session: Session, offer: PlacementOffer, *, actor: Actor,
                   now: datetime) -> PlacementOffer:
    """The partner takes its offer back: no more nominations or selections (those selected
    keep their place until cancelled)."""
    if not actor.is_manager:
        raise Forbidden(_("Only programme managers record placement offers."))
    with unit_of_work(session):
        statemachine.apply(session, offer, WITHDRAW,
                           refusal=lambda status: _("This offer was withdrawn."))
        audit.record(session, now=now, actor=actor, action="update", entity="placement_offer",
                     entity_id=offer.id, detail={"to": OfferStatus.WITHDRAWN})
    return offer


def list_offers(session: Session, *, open_only: bool = False) -> list[PlacementOffer]:
    query = (sa.select(PlacementOffer).options(selectinload(PlacementOffer.partner))
             .order_by(PlacementOffer.starts_on, PlacementOffer.id))
    if open_only:
        query = query.where(PlacementOffer.status == OfferStatus.OFFERED)
    return list(session.scalars(query))


def places_left(session: Session, offer: PlacementOffer) -> int:
    return max(offer.capacity - booking.places_taken(session, offer.id), 0)


# --- nominations --------------------------------------------------------------------------

def nominate(session: Session, offer: PlacementOffer, worker: HostHealthWorker, *, actor: Actor,
             now: datetime, note: str | None = None) -> Placement:
    """A coordinator (or manager) nominates a member of the facility's staff for ``offer``."""
    if actor.role not in COORDINATING or not facility_in_reach(session, actor, worker.facility):
        raise Forbidden(_("You nominate the staff of your own facility only."))
    if offer.status != OfferStatus.OFFERED:
        raise Conflict(_("This offer was withdrawn."))
    errors = {}
    if not worker.active:
        errors["worker_id"] = [_("Only confirmed staff who gave consent can be nominated.")]
    elif worker.cadre != offer.cadre:
        errors["worker_id"] = [_("The offer is for another cadre.")]
    if errors:
        raise Invalid(_("This health worker cannot be nominated."), errors=errors)
    placement = Placement(offer_id=offer.id, worker_id=worker.id, facility_id=worker.facility_id,
                          status=Status.NOMINATED, starts_on=offer.starts_on, ends_on=offer.ends_on,
                          service_months=offer.service_months, nomination_note=note,
                          safeguards_flag=safeguards.is_listed(worker.facility.country),
                          nominated_by_id=actor.id, created_at=now, updated_at=now)
    try:
        with unit_of_work(session):
            session.add(placement)
            session.flush()
            _record(placement, None, Status.NOMINATED, actor=actor, now=now)
            audit.record(session, now=now, actor=actor, action="create", entity="placement",
                         entity_id=placement.id, detail={"offer": offer.id, "worker": worker.id})
    except IntegrityError as error:
        raise Conflict(_("This health worker is nominated for this offer already.")) from error
    return placement


# --- the lifecycle ------------------------------------------------------------------------

def available_actions(session: Session, placement: Placement, actor: Actor) -> list[str]:
    acting_as = relation(session, actor, placement)
    return [action for action, rule in TRANSITIONS.items()
            if rule.allows(placement.status) and acting_as in rule.roles]


def transition(session: Session, placement: Placement, action: str, *, actor: Actor,
               now: datetime, reason: str | None = None,
               returned_on: date | None = None) -> Placement:
    """Apply ``action`` (see ``TRANSITIONS``) in one unit of work."""
    rule = statemachine.rule_for(
        TRANSITIONS, action, placement, acting_as=relation(session, actor, placement),
        refusal=refusal, reason=reason,
        forbidden=_("You cannot %(action)s this placement.", action=action))
    _guard(placement, action, now, returned_on)
    try:
        with unit_of_work(session):
            _change(session, placement, action, rule, actor=actor, now=now, reason=reason,
                    returned_on=returned_on)
    except (IntegrityError, OperationalError) as error:
        if not booking.is_overlap_error(error):
            raise
        raise booking.clash_error(booking.find_clash(session, placement)) from error
    return placement


def _guard(placement: Placement, action: str, now: datetime, returned_on: date | None) -> None:
    if action == Action.SELECT and placement.offer.status != OfferStatus.OFFERED:
        raise Conflict(_("This offer was withdrawn."), extra={"current_status": placement.status})
    if action == Action.READY:
        missing = missing_items(placement)
        if missing:
            raise Conflict(_("The readiness checklist is not complete: %(items)s.",
                             items=", ".join(str(ChecklistItem(i).label) for i in missing)),
                           extra={"current_status": placement.status, "missing": missing})
    if action == Action.RETURN and returned_on is not None and returned_on < placement.starts_on:
        raise Invalid(_("The return cannot be before the placement started."),
                      errors={"returned_on": [_("The return cannot be before the placement started.")]})


def _change(session: Session, placement: Placement, action: str, rule: Transition, *,
            actor: Actor, now: datetime, reason: str | None, returned_on: date | None) -> None:
    values: dict = {"updated_at": now}
    if action in REASONED:
        values["status_reason"] = reason
    if action == Action.REPORT:
        values["report"] = reason
    if action == Action.RETURN:
        values["returned_on"] = returned_on or now.date()
    if action == Action.SELECT:
        _hold_a_place(session, placement)
    previous = statemachine.apply(session, placement, rule, refusal=refusal, **values)
    if action == Action.SELECT:
        present = {row.item for row in placement.checklist}
        for item in ChecklistItem.codes():
            if item not in present:
                placement.checklist.append(PlacementChecklistItem(item=item))
    if action == Action.RETURN:
        _create_follow_ups(session, placement, now)
    _record(placement, previous, rule.target, actor=actor, now=now,
            reason=reason if action in REASONED else None)
    if action in NOTIFIED:
        _notify(session, placement, rule.target, actor=actor, now=now, reason=reason)
    audit.record(session, now=now, actor=actor if actor.id else None, action="update",
                 entity="placement", entity_id=placement.id,
                 detail={"from": previous, "to": rule.target})
    session.flush()


def _hold_a_place(session: Session, placement: Placement) -> None:
    """The worker's lock and the offer's, then: no clash, a place left (else 409)."""
    booking.lock_worker(session, placement.worker_id)
    booking.lock_offer(session, placement.offer_id)
    clash = booking.find_clash(session, placement)
    if clash is not None:
        raise booking.clash_error(clash)
    if booking.places_taken(session, placement.offer_id) >= placement.offer.capacity:
        raise Conflict(_("Every place of this offer is taken."),
                       extra={"current_status": placement.status})


def _record(placement: Placement, from_status, to_status, *, actor, now: datetime,
            reason: str | None = None) -> None:
    placement.events.append(PlacementEvent(at=now, actor_id=getattr(actor, "id", None),
                                           actor_label=actor.role, from_status=from_status,
                                           to_status=to_status, reason=reason))


def _notify(session: Session, placement: Placement, status: str, *, actor: Actor, now: datetime,
            reason: str | None) -> None:
    """A notice to each of the home facility's coordinators (but the one who acted)."""
    payload = {"placement": placement.id, "worker": placement.worker.full_name,
               "offer": placement.offer.title, "partner": placement.offer.partner.name,
               "reason": reason}
    for user in placement.facility.coordinators:
        if user.active and user.id != getattr(actor, "id", None):
            outbox.notify_now(session, user=user, kind=f"placement_{status}", now=now,
                              key=f"placement_{status}:{placement.id}:{len(placement.events)}:{user.id}",
                              payload=payload)


# --- readiness ----------------------------------------------------------------------------

def missing_items(placement: Placement) -> list[str]:
    done = {row.item for row in placement.checklist if row.done_at is not None}
    return [item for item in ChecklistItem.codes() if item not in done]


def tick(session: Session, placement: Placement, item: str, done: bool, *, actor: Actor,
         now: datetime) -> PlacementChecklistItem:
    """Tick (or untick) a readiness item; the coordinators of the home facility and managers."""
    if relation(session, actor, placement) not in COORDINATING:
        raise Forbidden(_("You cannot change this checklist."))
    if not ChecklistItem.has(item):
        raise NotFound(_("Unknown checklist item."))
    if placement.status not in CHECKLIST_OPEN:
        raise Conflict(_("The checklist is kept from selection until departure."),
                       extra={"current_status": placement.status})
    row = next(row for row in placement.checklist if row.item == item)
    with unit_of_work(session):
        if done and row.done_at is None:
            row.done_at, row.done_by_id = now, actor.id
        elif not done:
            row.done_at = row.done_by_id = None
            if placement.status == Status.READY:  # not ready any more
                previous = statemachine.apply(session, placement, Transition(
                    (Status.READY,), Status.CONFIRMED), refusal=refusal, updated_at=now)
                _record(placement, previous, Status.CONFIRMED, actor=actor, now=now)
        audit.record(session, now=now, actor=actor, action="update", entity="placement",
                     entity_id=placement.id, detail={"item": item, "done": done})
    return row


# --- return and follow-ups ----------------------------------------------------------------

def follow_up_due_at(returned_on: date, months: int) -> datetime:
    return datetime.combine(returned_on + relativedelta(months=months), time.min, tzinfo=UTC)


def _create_follow_ups(session: Session, placement: Placement, now: datetime) -> None:
    existing = {row.months for row in placement.follow_ups}
    for months in FOLLOW_UP_MONTHS:
        if months not in existing:
            placement.follow_ups.append(PlacementFollowUp(
                months=months, created_at=now,
                due_at=follow_up_due_at(placement.returned_on, months)))


def service_ends_on(placement: Placement) -> date | None:
    """The last day of the return-and-service agreement (once back)."""
    if placement.returned_on is None:
        return None
    return placement.returned_on + relativedelta(months=placement.service_months)


def survey_open(follow_up: PlacementFollowUp, now: datetime) -> bool:
    return now >= follow_up.due_at - SURVEY_OPENS_BEFORE


def get_follow_up(placement: Placement, months: int) -> PlacementFollowUp:
    follow_up = next((row for row in placement.follow_ups if row.months == months), None)
    if follow_up is None:
        raise NotFound(_("This placement has no such follow-up survey."))
    return follow_up


def answer_follow_up(session: Session, follow_up: PlacementFollowUp, data: dict, *, actor: Actor,
                     now: datetime) -> PlacementFollowUp:
    """Back in post? what was introduced? how many colleagues trained in turn?"""
    if relation(session, actor, follow_up.placement) not in COORDINATING:
        raise Forbidden(_("The home facility's coordinators and managers answer this survey."))
    if not survey_open(follow_up, now):
        raise Conflict(_("This survey opens on %(day)s.",
                         day=(follow_up.due_at - SURVEY_OPENS_BEFORE).date()))
    with unit_of_work(session):
        for key, value in {"introduced": None, "note": None, **data}.items():
            setattr(follow_up, key, value)
        follow_up.answered_at, follow_up.answered_by_id = now, actor.id
        audit.record(session, now=now, actor=actor, action="update", entity="placement_follow_up",
                     entity_id=follow_up.id, detail={"placement": follow_up.placement_id,
                                                     "months": follow_up.months})
    return follow_up
