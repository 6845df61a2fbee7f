"""Mission pages: propose, a mission with its checklist and history, and the lists by role."""
from __future__ import annotations

from itertools import groupby

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from diaspora.clock import now
from diaspora.errors import DomainError, NotFound
from diaspora.extensions import db
from diaspora.forms import load_form
from diaspora.limits import record_id
from diaspora.idempotency import idempotent
from diaspora.needs.services import get_need
from diaspora.professionals.models import Professional
from diaspora.security import login_required, roles_required
from diaspora.vocabulary import MANAGERS
from diaspora.web import add_nav

from . import access, lifecycle, proposals
from .models import CHECKLIST, Mission
from .schemas import ProposalSchema, ScheduleSchema
from .vocabulary import BOARD, CHECKLIST_OPEN, OVERVIEW, RECORDING, \
    SESSIONS_CANCELLABLE, MissionAction, MissionStatus, SessionStatus

bp = Blueprint("missions", __name__)
BOARD_CARDS = 12  # per column, the soonest first; the column links to the full list


@bp.record_once
def _nav(state):
    add_nav(state.app, "missions.index", _l("My missions"), ("professional",), 20, "missions.")
    add_nav(state.app, "missions.index", _l("Our missions"), ("coordinator",), 20, "missions.")
    add_nav(state.app, "missions.index", _l("Missions"), MANAGERS, 20, "missions.")
    state.app.extensions.setdefault("need_panels", []).append("missions/_need_missions.html")
    state.app.extensions.setdefault("facility_panels", []).append("missions/_facility_missions.html")
    state.app.extensions.setdefault("overview_panels", []).append("missions/_overview.html")
    state.app.jinja_env.globals.update(
        MissionStatus=MissionStatus, MissionAction=MissionAction, SessionStatus=SessionStatus,
        CHECKLIST_OPEN=CHECKLIST_OPEN, RECORDING=RECORDING,
        SESSIONS_CANCELLABLE=SESSIONS_CANCELLABLE, OVERVIEW=OVERVIEW)


@bp.get("/missions")
@login_required
def index():
    """Managers: a board by status. Professionals and coordinators: their missions."""
    status = request.args.get("status")
    statement = access.mission_query(actor=current_user,
                                       status=status if MissionStatus.has(status) else None)
    if current_user.is_manager and not status:
        return render_template("missions/board.html", columns=board_columns(),
                               totals=status_counts(), order=BOARD, per_column=BOARD_CARDS)
    page = db.paginate(statement, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("missions/index.html", page=page, status=status)


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
    instant = now()
    actions = [name for name, rule in lifecycle.TRANSITIONS.items()
               if mission.status in rule.sources and acting_as in rule.roles
               and not (name == "start" and instant < mission.starts_at)]
    tickable = {item for item in CHECKLIST
                if acting_as in MANAGERS or acting_as in lifecycle.CHECKLIST_ROLES[item]}
    chain = [visit for visit in mission.engagement.missions if visit.in_chain]
    return render_template("missions/detail.html", m=mission, actions=actions, tickable=tickable,
                           chain=chain, acting_as=acting_as, now=instant, contact=contact,
                           contact_open=(acting_as in MANAGERS or (
                               acting_as == "coordinator" and access.contact_window(mission, instant))))


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
        flash(_("The mission is now %(status)s.", status=mission.status), "success")
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
@roles_required("manager")
@idempotent
def propose(need_id: int):
    """The proposal form, prefilled from the shortlist (professional, mode, first day)."""
    need = get_need(db.session, need_id, actor=current_user)
    source = request.form if request.method == "POST" else request.args
    professional = db.session.get(Professional, source.get("professional_id", type=record_id) or 0)
    if professional is None:
        raise NotFound(_("Choose a professional from the need's shortlist."))
    errors: dict = {}
    if request.method == "POST" and request.form.get("confirm") == "1":
        data, errors = load_form(ProposalSchema())
        if data:
            try:
                mission = proposals.propose_mission(db.session, need, professional, data,
                                                   actor=current_user, now=now())
            except DomainError as error:
                errors = error.errors or {"starts_on": [error.message]}
            else:
                flash(_("Mission proposed to %(name)s.", name=professional.full_name), "success")
                return redirect(url_for("missions.detail", mission_id=mission.id))
    return render_template("missions/propose.html", need=need, p=professional, errors=errors,
                           form=source), 422 if errors else 200


@bp.route("/missions/<int:mission_id>/reschedule", methods=["GET", "POST"])
@roles_required("manager")
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


def board_columns() -> dict[str, list[Mission]]:
    """The soonest ``BOARD_CARDS`` missions of each board column, in two queries whatever the
    number of missions."""
    rank = sa.func.row_number().over(partition_by=Mission.status,
                                     order_by=(Mission.starts_at, Mission.id)).label("rank")
    ranked = (sa.select(Mission.id, rank).where(Mission.status.in_(BOARD))
              .subquery())
    missions = db.session.scalars(
        sa.select(Mission).join(ranked, ranked.c.id == Mission.id)
        .where(ranked.c.rank <= BOARD_CARDS).options(*access.mission_loading())
        .order_by(Mission.status, Mission.starts_at, Mission.id)).all()
    return {key: list(group) for key, group in groupby(missions, key=lambda m: m.status)}


def status_counts() -> dict[str, int]:
    """Missions by status, for the managers' overview."""
    return dict(db.session.execute(sa.select(Mission.status, sa.func.count(Mission.id))
                                   .group_by(Mission.status)).all())


def need_mission_list(need) -> list[Mission]:
    return db.session.scalars(sa.select(Mission).where(Mission.need_id == need.id)
                              .order_by(Mission.proposed_at)).all()


def facility_mission_list(facility) -> list[Mission]:
    return db.session.scalars(sa.select(Mission).where(Mission.facility_id == facility.id)
                              .order_by(Mission.starts_at.desc()).limit(50)).all()


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
        mission_panels=mission_panels, contact_statuses=access.NAMED_TO_HOST)
