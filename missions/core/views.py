"""Mission pages: propose, a mission with its checklist and history, and the lists by role."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from diaspora.clock import now
from diaspora.errors import DomainError, NotFound
from diaspora.extensions import db
from diaspora.forms import load_form
from diaspora.idempotency import idempotent
from diaspora.limits import record_id
from diaspora.needs.services import can_see as can_see_need, get_need
from diaspora.professionals.models import Professional
from diaspora.security import login_required, roles_required
from diaspora.vocabulary import MANAGERS, Role
from diaspora.web import add_nav

from . import access, lifecycle, next_steps, proposals
from .models import CHECKLIST, Engagement, Mission, MissionSession
from .schemas import ProposalSchema, ScheduleSchema
from .vocabulary import (
    BOARD,
    OVERVIEW,
    MissionAction,
    MissionStatus,
    SessionStatus,
)

bp = Blueprint("missions", __name__)
BOARD_CARDS = 12  # per column, the soonest first; the column links to the full list


@bp.record_once
def _nav(state):
    add_nav(state.app, "missions.index", _l("My missions"), (Role.PROFESSIONAL,), 20, "missions.")
    add_nav(state.app, "missions.index", _l("Our missions"), (Role.COORDINATOR,), 20, "missions.")
    add_nav(state.app, "missions.index", _l("Missions"), MANAGERS, 20, "missions.")
    state.app.extensions.setdefault("need_panels", []).append("missions/_need_missions.html")
    state.app.extensions.setdefault("facility_panels", []).append("missions/_facility_missions.html")
    state.app.extensions.setdefault("overview_panels", []).append("missions/_overview.html")
    state.app.jinja_env.globals.update(
        MissionStatus=MissionStatus, MissionAction=MissionAction, SessionStatus=SessionStatus,
        OVERVIEW=OVERVIEW)


@bp.get("/missions")
@login_required
def index():
    """Managers: a board by status. Professionals and coordinators: their missions."""
    status = request.args.get("status")
    statement = access.mission_query(actor=current_user,
                                       status=status if MissionStatus.has(status) else None)
    if current_user.is_manager and not status:
        return render_template("missions/board.html",
                               columns=access.board_columns(db.session, BOARD_CARDS),
                               totals=access.status_counts(db.session), order=BOARD,
                               per_column=BOARD_CARDS)
    page = db.window(statement, per_page=current_app.config["PAGE_SIZE"])
    return render_template("missions/index.html", page=page, status=status,
                           names_professionals=current_user.role != Role.PROFESSIONAL,
                           own_missions=current_user.role == Role.PROFESSIONAL,
                           facility_missions=current_user.role == Role.COORDINATOR)


@bp.get("/missions/<int:mission_id>")
@login_required
def detail(mission_id: int):
    return _detail(access.get_mission(db.session, mission_id, actor=current_user), contact=None)


@bp.post("/missions/<int:mission_id>/contact")
@login_required
def contact(mission_id: int):
    """*Show contact*: the professional's e-mail and phone on the page (audited)."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    try:
        shown = access.mission_contact(db.session, mission, actor=current_user, now=now())
    except DomainError as error:
        if error.code != 409:
            raise
        flash(error.message, "error")
        return redirect(url_for("missions.detail", mission_id=mission.id))
    return _detail(mission, contact=shown)


def _detail(mission: Mission, *, contact: dict | None):
    acting_as = access.relation(db.session, current_user, mission)
    # its sessions with their attendance, and the engagement's visits with theirs, in a fixed
    # number of queries (not one more per session or per visit)
    db.session.scalars(sa.select(Mission).where(Mission.id == mission.id).options(
        selectinload(Mission.sessions).selectinload(MissionSession.attendance),
        selectinload(Mission.engagement).selectinload(Engagement.missions)
        .selectinload(Mission.sessions))).one()
    instant = now()
    return render_template(
        "missions/detail.html", m=mission,
        actions=lifecycle.available_actions(db.session, mission, current_user, instant),
        tickable=lifecycle.tickable_items(db.session, mission, current_user),
        may_reschedule=lifecycle.may_reschedule(mission, current_user),
        contact=contact, contact_open=access.may_read_contact(db.session, mission, current_user, instant),
        contact_later=acting_as == Role.COORDINATOR,
        links_need=can_see_need(db.session, current_user, mission.need),
        certificate_open=access.certificate_open(db.session, current_user, mission),
        chain=[visit for visit in mission.engagement.missions if visit.in_chain], acting_as=acting_as, now=instant)


@bp.post("/missions/<int:mission_id>/<any(accept, decline, confirm, ready, start, complete, report, close, cancel, postpone):action>")
@login_required
def act(mission_id: int, action: str):
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    try:
        lifecycle.transition(db.session, mission, action, actor=current_user, now=now(),
                            reason=request.form.get("reason"))
    except DomainError as error:
        if error.code in (401, 403, 404):
            raise
        flash(error.message, "error")
    else:
        flash(next_steps.after(mission.status), "success")
    return redirect(url_for("missions.detail", mission_id=mission.id))


@bp.post("/missions/<int:mission_id>/checklist/<item>")
@login_required
def tick(mission_id: int, item: str):
    if item not in CHECKLIST:
        abort(404)
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    try:
        lifecycle.tick(db.session, mission, item, request.form.get("done") == "1",
                      actor=current_user, now=now())
    except DomainError as error:
        if error.code in (401, 403, 404):
            raise
        flash(error.message if not error.errors else
              " ".join(str(m) for ms in error.errors.values() for m in ms), "error")
    return redirect(url_for("missions.detail", mission_id=mission.id, _anchor="checklist"))


@bp.route("/needs/<int:need_id>/propose", methods=["GET", "POST"])
@roles_required(Role.MANAGER)
@idempotent
def propose(need_id: int):
    """The proposal form, prefilled from the shortlist (professional, mode, first day)."""
    need = get_need(db.session, need_id, actor=current_user)
    source = request.form if request.method == "POST" else request.args
    professional = db.session.get(Professional, source.get("professional_id", type=record_id) or 0)
    if professional is None:
        raise NotFound(_("Choose a professional from the need's shortlist."))
    errors: dict = {}
    dates = None
    sending = request.form.get("confirm") == "1"
    if request.method == "POST" and (sending or request.form.get("step") == "preview"):
        data, errors = load_form(ProposalSchema())
        if data and data["kind"] == "virtual" and not request.form.getlist("weekdays"):
            data, errors = None, {"weekdays": [_("Tick at least one day of the week.")]}
        if data:
            try:
                if not sending:   # the dates the proposal would book, before it is sent
                    dates = proposals.preview(need, professional, data)
                else:
                    mission = proposals.propose_mission(db.session, need, professional, data,
                                                       actor=current_user, now=now())
            except DomainError as error:
                errors = error.errors or {"starts_on": [error.message]}
            else:
                if sending:
                    flash(_("Mission proposed to %(name)s.", name=professional.full_name)
                          + " " + str(next_steps.NEXT[MissionStatus.PROPOSED]), "success")
                    return redirect(url_for("missions.detail", mission_id=mission.id))
    return render_template("missions/propose.html", need=need, p=professional, errors=errors,
                           form=source, dates=dates), 422 if errors else 200


@bp.route("/missions/<int:mission_id>/reschedule", methods=["GET", "POST"])
@roles_required(Role.MANAGER)
def reschedule(mission_id: int):
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(ScheduleSchema())
        if data:
            try:
                lifecycle.reschedule(db.session, mission, data, actor=current_user, now=now())
            except DomainError as error:
                errors = error.errors or {"starts_on": [error.message]}
            else:
                flash(_("New dates proposed."), "success")
                return redirect(url_for("missions.detail", mission_id=mission.id))
    return render_template("missions/reschedule.html", m=mission, errors=errors,
                           form=request.form), 422 if errors else 200


def need_mission_list(need) -> list[tuple[Mission, bool]]:
    """The need's missions, each with whether the viewer may see the professional's name."""
    return [(mission, access.named_to(mission, current_user))
            for mission in access.missions_of_need(db.session, need.id)]


def facility_mission_list(facility) -> list[Mission] | None:
    """The facility's latest missions, or None when the viewer may not see them."""
    if not access.sees_facility_missions(db.session, current_user, facility.id):
        return None
    return access.missions_at_facility(db.session, facility.id)


def status_counts() -> dict[str, int]:
    return access.status_counts(db.session)


def mission_links(mission) -> list[dict]:
    """Links shown on a mission (e.g. its calendar file), from the registered providers."""
    return [link for provider in current_app.extensions.get("mission_link_providers", [])
            for link in provider(mission)]


def mission_panels() -> list[str]:
    return current_app.extensions.get("mission_panels", [])


@bp.record_once
def _template_helpers(state):
    state.app.jinja_env.globals.update(
        mission_status_counts=status_counts, need_mission_list=need_mission_list,
        facility_mission_list=facility_mission_list, mission_links=mission_links,
        mission_panels=mission_panels)
