"""Pages of the requests for missing facilities: coordinators ask, managers add or decline."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from .. import reference
from ..clock import now
from ..extensions import db
from ..forms import form_data, load_form
from ..security import roles_required
from ..vocabulary import FacilityRequestStatus, Role
from ..web import add_nav
from . import requests as services

bp = Blueprint("facility_requests", __name__, url_prefix="/facilities/requests")


@bp.record_once
def _nav(state):
    add_nav(state.app, "facility_requests.index", _l("Facility requests"),
            (Role.COORDINATOR, Role.MANAGER, Role.ADMIN), 46, "facility_requests.index")


@bp.get("")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def index():
    requests = services.visible_requests(db.session, current_user)
    return render_template("facilities/requests.html", requests=requests,
                           Status=FacilityRequestStatus, may_ask=services.may_ask(current_user),
                           decidable=services.decidable(current_user, requests))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def new():
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(services.FacilityRequestSchema())
        if data:
            services.request_facility(db.session, data, actor=current_user, now=now())
            flash(_("Your request was sent to the programme managers."), "success")
            return redirect(url_for("facility_requests.index"))
    return render_template("facilities/request_new.html", errors=errors, form=request.form,
                           countries=list(reference.countries().items())), 422 if errors else 200


@bp.post("/<int:request_id>/add")
@roles_required(Role.MANAGER)
def add(request_id: int):
    facility = services.add_requested(db.session, request_id, actor=current_user, now=now())
    flash(_("Facility added."), "success")
    return redirect(url_for("facilities.detail", facility_id=facility.id))


@bp.post("/<int:request_id>/decline")
@roles_required(Role.MANAGER)
def decline(request_id: int):
    data = form_data(services.DeclineSchema())
    services.decline_requested(db.session, request_id, data["reason"], actor=current_user,
                               now=now())
    flash(_("Request declined."), "success")
    return redirect(url_for("facility_requests.index"))
