"""Host health worker pages: a facility's staff list, the record form, a worker's page with
their training history (filled by components: ``worker_panels``), confirmation of
self-registrations, and a manager's export and erasure on the worker's request."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from ..clock import now
from ..extensions import db
from ..facilities.models import Facility
from ..forms import load_form
from ..idempotency import idempotent
from ..ratelimit import rate_limited
from ..security import roles_required
from ..vocabulary import MANAGERS, Role
from ..web import add_nav
from . import services
from .schemas import HostHealthWorkerSchema

bp = Blueprint("workforce", __name__, url_prefix="/staff")
STAFF = (Role.COORDINATOR,) + MANAGERS


@bp.record_once
def _nav(state):
    add_nav(state.app, "workforce.index", _l("Health workers"), STAFF, 12, "workforce.index")


@bp.get("")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def index():
    facility_id = request.args.get("facility_id", type=int)
    return render_template("workforce/index.html",
                           workers=services.list_workers(db.session, current_user,
                                                         facility_id=facility_id))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.MANAGER)
@idempotent
def new():
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(HostHealthWorkerSchema())
        if data:
            worker = services.create_worker(db.session, data, actor=current_user, now=now())
            flash(_("Health worker saved."), "success")
            return redirect(url_for("workforce.detail", worker_id=worker.id))
    return render_template("workforce/form.html", errors=errors, form=request.form,
                           facilities=services.facilities_for(db.session, current_user),
                           public=False), 422 if errors else 200


@bp.route("/register", methods=["GET", "POST"])
@rate_limited("10 per hour", methods=["POST"])
@idempotent
def register():
    """A host health worker registers themselves; a coordinator of the facility confirms."""
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(HostHealthWorkerSchema())
        if data:
            services.register_self(db.session, data, now=now())
            flash(_("Thank you. Your facility's coordinator will confirm your registration."),
                  "success")
            return redirect(url_for("main.index"))
    facility_id = request.values.get("facility_id", type=int)
    return render_template("workforce/form.html", errors=errors, form=request.form, public=True,
                           facilities=[f for f in [db.session.get(Facility, facility_id or 0)] if f]), \
        422 if errors else 200


@bp.get("/<int:worker_id>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def detail(worker_id: int):
    worker = services.get_worker(db.session, worker_id, actor=current_user)
    return render_template("workforce/detail.html", worker=worker,
                           worker_panels=current_app.extensions.get("worker_panels", []))


@bp.post("/<int:worker_id>/confirm")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def confirm(worker_id: int):
    worker = services.get_worker(db.session, worker_id, actor=current_user)
    services.confirm(db.session, worker, actor=current_user, now=now())
    flash(_("Registration confirmed."), "success")
    return redirect(url_for("workforce.detail", worker_id=worker.id))


@bp.get("/<int:worker_id>/export")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def export(worker_id: int):
    """Everything held about the worker, as JSON (for their data-access request)."""
    worker = services.get_worker(db.session, worker_id, actor=current_user)
    response = jsonify(services.export_worker(db.session, worker, actor=current_user, now=now()))
    response.headers["Content-Disposition"] = f"attachment; filename=health-worker-{worker.id}.json"
    return response


@bp.post("/<int:worker_id>/erase")
@roles_required(Role.MANAGER)
def erase(worker_id: int):
    worker = services.get_worker(db.session, worker_id, actor=current_user)
    services.erase_worker(db.session, worker, actor=current_user, now=now())
    flash(_("The health worker's personal data were erased."), "success")
    return redirect(url_for("workforce.index"))
