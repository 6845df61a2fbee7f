"""Pages for needs: coordinators file them, programme managers approve them."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from ..clock import now
from ..errors import DomainError
from ..extensions import db
from ..facilities.models import Facility
from ..facilities.services import facility_query
from ..forms import load_form
from ..idempotency import idempotent
from ..limits import record_id
from ..programmes.access import programmes_for
from ..security import roles_required
from ..vocabulary import NEED_ROLES, NeedStatus, Role
from ..web import add_nav
from . import next_steps, services
from .schemas import NeedQuerySchema, NeedSchema

bp = Blueprint("needs", __name__, url_prefix="/needs")


@bp.record_once
def _nav(state):
    add_nav(state.app, "needs.index", _l("Needs"), NEED_ROLES, 15, "needs.")


def _choices():
    """Facilities the user may file for (coordinators: theirs) and programmes (managers:
    theirs)."""
    if current_user.is_manager:
        facilities = []  # managers pick a facility by id from its page, see template
    else:
        facilities = db.session.scalars(facility_query(coordinator=current_user)).all()
    return facilities, programmes_for(db.session, current_user)


@bp.get("")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def index():
    schema = NeedQuerySchema()
    raw = {k: v for k, v in request.args.items() if v and k != "page"}
    invalid = schema.validate(raw)
    filters = schema.load({k: v for k, v in raw.items() if k not in invalid})
    statement = services.need_query(actor=current_user, **filters)
    page = db.window(statement, per_page=current_app.config["PAGE_SIZE"])
    return render_template("needs/index.html", page=page, args=raw,
                           may_file=services.can_file_need(db.session, current_user))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.MANAGER)
@idempotent
def new():
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(NeedSchema())
        if data:
            try:
                need = services.create_need(db.session, data, actor=current_user, now=now(),
                                            submit=request.form.get("then") == "submit")
            except DomainError as error:
                errors = error.errors or {"facility_id": [error.message]}
            else:
                flash(_("Need saved as %(status)s.", status=NeedStatus.label_of(need.status)), "success")
                return redirect(url_for("needs.detail", need_id=need.id))
    facilities, programmes = _choices()
    preset = request.args.get("facility_id", type=record_id)
    facility = db.session.get(Facility, preset) if preset else None
    return render_template("needs/form.html", need=None, errors=errors, form=request.form,
                           facilities=facilities, programmes=programmes,
                           preset_facility=facility), 422 if errors else 200


@bp.get("/<int:need_id>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def detail(need_id: int):
    need = services.get_need(db.session, need_id, actor=current_user)
    return render_template("needs/detail.html", need=need,
                           actions=services.available_actions(need, current_user),
                           may_edit=services.can_edit(need),
                           may_match=services.can_match(need, current_user),
                           panels=current_app.extensions.get("need_panels", []))


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.MANAGER)
def edit(need_id: int):
    need = services.get_need(db.session, need_id, actor=current_user)
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(NeedSchema())
        if data:
            try:
                services.update_need(db.session, need, data, actor=current_user, now=now())
            except DomainError as error:
                errors = error.errors or {"title": [error.message]}
            else:
                flash(_("Need saved."), "success")
                return redirect(url_for("needs.detail", need_id=need.id))
    facilities, programmes = _choices()
    return render_template("needs/form.html", need=need, errors=errors, form=request.form,
                           facilities=facilities, programmes=programmes,
                           preset_facility=need.facility), 422 if errors else 200


@bp.post("/<int:need_id>/<any(submit, approve, return, close):action>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def act(need_id: int, action: str):
    need = services.get_need(db.session, need_id, actor=current_user)
    try:
        services.act(db.session, need, action, actor=current_user, now=now(),
                     reason=request.form.get("reason"))
    except DomainError as error:
        if error.code in (401, 403, 404):
            raise
        flash(error.message if not error.errors else " ".join(
            str(m) for messages in error.errors.values() for m in messages), "error")
    else:
        flash(next_steps.after(need.status), "success")
    return redirect(url_for("needs.detail", need_id=need.id))
