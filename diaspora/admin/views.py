"""Administrator pages: the audit log, the WHO safeguards list in force, data retention."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from .. import safeguards
from ..audit import ACTIONS
from ..clock import now
from ..extensions import db
from ..forms import load_form
from ..idempotency import idempotent
from ..privacy import trail
from ..privacy.services import retention_candidates
from ..security import roles_required
from ..vocabulary import Role
from ..web import add_nav
from . import services
from .schemas import AuditQuerySchema, SafeguardListSchema

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.record_once
def _nav(state):
    add_nav(state.app, "admin.audit_log", _l("Admin"), (Role.ADMIN,), 90, "admin.")


@bp.get("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    schema = AuditQuerySchema()
    raw = {k: v for k, v in request.args.items() if v and k != "page"}
    invalid = schema.validate(raw)
    filters = schema.load({k: v for k, v in raw.items() if k not in invalid})
    page = db.paginate(services.audit_query(filters), per_page=50, error_out=False)
    return render_template("admin/audit.html", page=page, args=raw, actions=ACTIONS,
                           people=trail.readers(db.session, page.items), words=trail)


@bp.route("/safeguards", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@idempotent
def safeguard_list():
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(SafeguardListSchema())
        if data:
            services.put_in_force(db.session, data, actor=current_user, now=now())
            flash(_("The new list is in force."), "success")
            return redirect(url_for("admin.safeguard_list"))
    return render_template("admin/safeguards.html", current=safeguards.list_in_force(db.session),
                           history=services.safeguard_history(db.session), errors=errors, form=request.form), 422 if errors else 200


@bp.get("/retention")
@roles_required(Role.ADMIN)
def retention():
    return render_template("admin/retention.html",
                           candidates=retention_candidates(db.session, now=now()),
                           days=current_app.config["RETENTION_INACTIVE_DAYS"])
