"""Outcome pages: a mission's reports, the report form of each side, waivers, follow-up surveys,
and the panel shown on the mission page."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from diaspora.clock import now
from diaspora.errors import Conflict, Invalid
from diaspora.extensions import db
from diaspora.forms import load_form
from diaspora.idempotency import idempotent
from diaspora.security import login_required, roles_required
from diaspora.vocabulary import Role

from ..core import access
from . import labels, services
from .schemas import FollowUpAnswerSchema, OutcomeReportSchema, WaiverSchema

bp = Blueprint("outcomes", __name__)
SIDE = "<any(professional, host):side>"


@bp.record_once
def _register(state):
    state.app.extensions.setdefault("mission_panels", []).append("outcomes/_mission_panel.html")
    state.app.jinja_env.globals.update(mission_outcomes=_panel_outcomes, outcome_labels=labels,
                                       survey_open=services.survey_open,
                                       report_side_of=services.SIDE_OF_RELATION)


def _panel_outcomes(mission):
    return services.outcomes_of(db.session, mission)


@bp.get("/missions/<int:mission_id>/outcomes")
@login_required
def reports(mission_id: int):
    """Both reports, the waivers and the follow-up answers of a mission."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    return render_template("outcomes/reports.html", m=mission,
                           outcomes=services.outcomes_of(db.session, mission),
                           my_side=services.side_of(db.session, current_user, mission), now=now())


@bp.route(f"/missions/<int:mission_id>/outcomes/{SIDE}", methods=["GET", "POST"])
@roles_required(Role.PROFESSIONAL, Role.COORDINATOR)
@idempotent
def file(mission_id: int, side: str):
    """The report form of one side (the mission's professional, or a host coordinator)."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    services.require_author(db.session, current_user, mission, side)
    report = services.outcomes_of(db.session, mission).reports.get(side)
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(OutcomeReportSchema())
        if data:
            try:
                services.file_report(db.session, mission, side, data, actor=current_user, now=now())
            except Invalid as error:
                errors = error.errors or {"trained_total": [error.message]}
            else:
                flash(_("Report saved. Thank you."), "success")
                return redirect(url_for("outcomes.reports", mission_id=mission.id))
    return render_template("outcomes/report_form.html", m=mission, side=side, report=report,
                           errors=errors, form=request.form), 422 if errors else 200


@bp.post(f"/missions/<int:mission_id>/outcomes/{SIDE}/waive")
@roles_required(Role.MANAGER)
def waive(mission_id: int, side: str):
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    data, errors = load_form(WaiverSchema())
    if errors:
        flash(_("Give a reason for the waiver."), "error")
    else:
        try:
            services.waive(db.session, mission, side, data["reason"], actor=current_user, now=now())
        except Conflict as error:
            flash(error.message, "error")
        else:
            flash(_("Report waived."), "success")
    return redirect(url_for("missions.detail", mission_id=mission.id, _anchor="outcomes"))


@bp.route("/missions/<int:mission_id>/follow-ups/<int:months>", methods=["GET", "POST"])
@roles_required(Role.PROFESSIONAL, Role.COORDINATOR)
@idempotent
def follow_up(mission_id: int, months: int):
    """A follow-up survey: is the practice in use, are counterparts in post, who was trained since."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    survey = services.get_follow_up(db.session, mission, months)
    services.require_respondent(db.session, current_user, survey, now())
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(FollowUpAnswerSchema())
        if data:
            services.answer_follow_up(db.session, survey, data, actor=current_user, now=now())
            flash(_("Survey answered. Thank you."), "success")
            return redirect(url_for("outcomes.reports", mission_id=mission.id))
    return render_template("outcomes/follow_up_form.html", m=mission, survey=survey,
                           errors=errors, form=request.form), 422 if errors else 200
