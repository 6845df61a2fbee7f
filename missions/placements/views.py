"""Placement pages: offers, an offer with its nominations, a placement with its checklist,
history and follow-ups, the follow-up form, a partnership's page (both directions), and the
panels shown on a mission (named counterparts) and a health worker (training history)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user

from diaspora.clock import now
from diaspora.errors import DomainError, Forbidden
from diaspora.extensions import db
from diaspora.forms import form_data, load_form
from diaspora.idempotency import idempotent
from diaspora.partners import services as partners
from diaspora.programmes import access as programmes
from diaspora.security import roles_required
from diaspora.vocabulary import MANAGERS, Role
from diaspora.web import add_nav
from diaspora.workforce import services as workforce

from ..core import access as mission_access
from ..sessions import attendance
from . import access, counterparts, figures, services
from .schemas import (
    PlacementActionSchema,
    PlacementFollowUpAnswerSchema,
    PlacementNominationSchema,
    PlacementOfferSchema,
)
from .vocabulary import CHECKLIST_OPEN, ChecklistItem, PlacementAction, PlacementStatus

bp = Blueprint("placements", __name__)
STAFF = (Role.COORDINATOR,) + MANAGERS
ACTION = f"<any({', '.join(PlacementAction.codes())}):action>"


@bp.record_once
def _register(state):
    add_nav(state.app, "placements.offers", _l("Placements abroad"), STAFF, 27, "placements.")
    state.app.extensions.setdefault("mission_panels", []).append(
        "placements/_mission_counterparts.html")
    state.app.extensions.setdefault("worker_panels", []).append("placements/_worker_history.html")
    state.app.jinja_env.globals.update(
        PlacementStatus=PlacementStatus, PlacementAction=PlacementAction,
        ChecklistItem=ChecklistItem, mission_counterparts=_mission_counterparts,
        training_history=_training_history, placement_survey_open=services.survey_open,
        trainee_sessions=lambda mission: counterparts.trainee_sessions(db.session, current_user,
                                                                       mission),
        latest_answer=figures.latest_answer)


def _mission_counterparts(mission) -> dict:
    may_name = counterparts.may_name(db.session, current_user, mission)
    named = counterparts.counterparts_of(db.session, mission)
    choices = []
    if may_name:
        taken = {worker.id for worker in named}
        choices = [w for w in workforce.list_workers(db.session, current_user,
                                                     facility_id=mission.facility_id)
                   if w.active and w.id not in taken]
    return {"named": named, "may_name": may_name, "choices": choices}


def _training_history(worker):
    return counterparts.history_of(db.session, worker)


# --- offers -------------------------------------------------------------------------------

@bp.get("/placements")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def offers():
    """Open offers, and the placements the viewer follows."""
    return render_template("placements/offers.html",
                           offers=services.list_offers(db.session),
                           placements=db.session.scalars(
                               access.placement_query(db.session, current_user).limit(100)).all())


@bp.route("/placements/offers/new", methods=["GET", "POST"])
@roles_required(Role.MANAGER)
@idempotent
def new_offer():
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(PlacementOfferSchema())
        if data:
            try:
                offer = services.create_offer(db.session, data, actor=current_user, now=now())
            except DomainError as error:
                if not error.errors:
                    raise
                errors = error.errors
            else:
                flash(_("Offer saved."), "success")
                return redirect(url_for("placements.offer", offer_id=offer.id))
    return render_template("placements/offer_form.html", errors=errors, form=request.form,
                           partners=partners.list_partners(db.session),
                           programmes=programmes.programmes_for(db.session, current_user)), \
        422 if errors else 200


@bp.get("/placements/offers/<int:offer_id>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def offer(offer_id: int):
    found = access.get_offer(db.session, offer_id)
    visible = [p for p in found.placements if access.relation(db.session, current_user, p)]
    nominable = [w for w in workforce.list_workers(db.session, current_user)
                 if w.active and w.cadre == found.cadre
                 and w.id not in {p.worker_id for p in found.placements}] \
        if current_user.role == Role.COORDINATOR or current_user.is_manager else []
    return render_template("placements/offer.html", offer=found, placements=visible,
                           places_left=services.places_left(db.session, found),
                           nominable=nominable, errors={})


@bp.post("/placements/offers/<int:offer_id>/withdraw")
@roles_required(Role.MANAGER)
def withdraw_offer(offer_id: int):
    found = access.get_offer(db.session, offer_id)
    services.withdraw_offer(db.session, found, actor=current_user, now=now())
    flash(_("Offer withdrawn."), "success")
    return redirect(url_for("placements.offer", offer_id=found.id))


@bp.post("/placements/offers/<int:offer_id>/nominations")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@idempotent
def nominate(offer_id: int):
    found = access.get_offer(db.session, offer_id)
    data = form_data(PlacementNominationSchema())
    worker = workforce.get_worker(db.session, data["worker_id"], actor=current_user)
    placement = services.nominate(db.session, found, worker, actor=current_user, now=now(),
                                  note=data.get("note"))
    flash(_("%(name)s is nominated.", name=worker.full_name), "success")
    return redirect(url_for("placements.detail", placement_id=placement.id))


# --- a placement --------------------------------------------------------------------------

@bp.get("/placements/<int:placement_id>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def detail(placement_id: int):
    placement = access.get_placement(db.session, placement_id, actor=current_user)
    acting_as = access.relation(db.session, current_user, placement)
    return render_template("placements/detail.html", p=placement,
                           actions=services.available_actions(db.session, placement, current_user),
                           may_tick=acting_as in services.COORDINATING
                           and placement.status in CHECKLIST_OPEN,
                           service_ends_on=services.service_ends_on(placement), now=now())


@bp.post(f"/placements/<int:placement_id>/{ACTION}")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def act(placement_id: int, action: str):
    placement = access.get_placement(db.session, placement_id, actor=current_user)
    data = form_data(PlacementActionSchema())
    services.transition(db.session, placement, action, actor=current_user, now=now(),
                        reason=data.get("reason"), returned_on=data.get("returned_on"))
    flash(_("Placement %(status)s.", status=PlacementStatus(placement.status).label), "success")
    return redirect(url_for("placements.detail", placement_id=placement.id))


@bp.post("/placements/<int:placement_id>/checklist/<item>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def tick(placement_id: int, item: str):
    placement = access.get_placement(db.session, placement_id, actor=current_user)
    services.tick(db.session, placement, item, request.form.get("done") == "1",
                  actor=current_user, now=now())
    return redirect(url_for("placements.detail", placement_id=placement.id, _anchor="checklist"))


@bp.route("/placements/<int:placement_id>/follow-ups/<int:months>", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.MANAGER)
@idempotent
def follow_up(placement_id: int, months: int):
    placement = access.get_placement(db.session, placement_id, actor=current_user)
    survey = services.get_follow_up(placement, months)
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(PlacementFollowUpAnswerSchema())
        if data:
            services.answer_follow_up(db.session, survey, data, actor=current_user, now=now())
            flash(_("Survey answered. Thank you."), "success")
            return redirect(url_for("placements.detail", placement_id=placement.id))
    return render_template("placements/follow_up_form.html", p=placement, survey=survey,
                           errors=errors, form=request.form), 422 if errors else 200


# --- a partnership ------------------------------------------------------------------------

@bp.get("/partnerships/<int:partnership_id>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def partnership(partnership_id: int):
    """Both directions of a twinning over its period, with their outcomes."""
    found = partners.get_partnership(db.session, partnership_id, actor=current_user)
    return render_template("placements/partnership.html", ps=found,
                           o=figures.partnership_overview(db.session, found))


# --- named counterparts of a mission --------------------------------------------------------

@bp.post("/missions/<int:mission_id>/counterparts")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def add_counterpart(mission_id: int):
    mission = mission_access.get_mission(db.session, mission_id, actor=current_user)
    worker = workforce.get_worker(db.session, request.form.get("worker_id", type=int) or 0,
                                  actor=current_user)
    counterparts.add_counterpart(db.session, mission, worker, actor=current_user, now=now())
    flash(_("%(name)s is named as a counterpart.", name=worker.full_name), "success")
    return redirect(url_for("missions.detail", mission_id=mission.id, _anchor="counterparts"))


@bp.post("/missions/<int:mission_id>/counterparts/<int:worker_id>/remove")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def remove_counterpart(mission_id: int, worker_id: int):
    mission = mission_access.get_mission(db.session, mission_id, actor=current_user)
    worker = workforce.get_worker(db.session, worker_id, actor=current_user)
    counterparts.remove_counterpart(db.session, mission, worker, actor=current_user, now=now())
    return redirect(url_for("missions.detail", mission_id=mission.id, _anchor="counterparts"))


# --- who attended a session, by name --------------------------------------------------------

@bp.route("/missions/<int:mission_id>/sessions/<int:session_id>/trainees", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.MANAGER)
def session_trainees(mission_id: int, session_id: int):
    """Tick who attended a held session, by name, from the host facility's staff (phone-sized:
    one tap target per person)."""
    mission = mission_access.get_mission(db.session, mission_id, actor=current_user)
    held = attendance.get_session(db.session, mission, session_id)
    if not counterparts.may_name(db.session, current_user, mission):
        raise Forbidden(_("Only the host's coordinators and managers name counterparts."))
    recorded = counterparts.trainees_of(db.session, held)
    staff = {w.id: w for w in recorded}
    staff.update((w.id, w) for w in workforce.list_workers(db.session, current_user,
                                                           facility_id=mission.facility_id)
                 if w.active)
    errors: dict = {}
    chosen = {w.id for w in recorded}
    if request.method == "POST":
        ticked = request.form.getlist("worker_ids")
        chosen = {int(v) for v in ticked if v.isdigit()}
        if len(chosen) != len(ticked) or not chosen <= staff.keys():
            errors = {"worker_ids": [_("Choose from the facility's staff listed here.")]}
        else:
            try:
                counterparts.record_trainees(db.session, held, [staff[i] for i in sorted(chosen)],
                                             actor=current_user, now=now())
            except DomainError as error:
                if error.code in (401, 403, 404):
                    raise
                errors = {"worker_ids": [m for ms in (error.errors or {}).values() for m in ms]
                          or [error.message]}
            else:
                flash(ngettext("%(num)d person recorded at session %(n)d.",
                               "%(num)d people recorded at session %(n)d.", len(chosen),
                               n=held.sequence), "success")
                return redirect(url_for("missions.detail", mission_id=mission.id,
                                        _anchor="sessions"), code=303)
    people = sorted(staff.values(), key=lambda w: (w.family_name, w.given_name, w.id))
    return render_template("placements/session_trainees.html", m=mission, s=held, people=people,
                           chosen=chosen, errors=errors), 422 if errors else 200
