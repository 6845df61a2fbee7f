"""Administrator pages: the audit log, the WHO safeguards list in force, data retention."""
from __future__ import annotations

from datetime import datetime, time, timezone

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import fields, validate

from .. import audit, safeguards
from ..audit import ACTIONS, AuditEvent
from ..clock import now
from ..extensions import db
from ..forms import load_form
from ..idempotency import idempotent
from ..privacy import trail
from ..privacy.services import retention_candidates
from ..schemas import BaseSchema, CountryCode, Text, Trimmed
from ..security import roles_required
from ..web import add_nav
from .models import SafeguardList

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.record_once
def _nav(state):
    add_nav(state.app, "admin.audit_log", _l("Admin"), ("admin",), 90, "admin.")


class AuditQuerySchema(BaseSchema):
    action = fields.String(validate=validate.OneOf(ACTIONS))
    entity = fields.String(validate=validate.Length(max=40))
    actor_id = fields.Integer()
    entity_id = fields.Integer()
    since = fields.Date()
    until = fields.Date()


class SafeguardListSchema(BaseSchema):
    name = Trimmed(required=True, validate=validate.Length(min=3, max=200))
    published = fields.Date(allow_none=True)
    source = Trimmed(required=True, validate=validate.Length(min=3, max=2000))
    criteria = Text(allow_none=True, validate=validate.Length(max=4000))
    countries = fields.List(CountryCode(), required=True, validate=validate.Length(min=1, max=250))


@bp.get("/audit")
@roles_required("admin")
def audit_log():
    schema = AuditQuerySchema()
    raw = {k: v for k, v in request.args.items() if v and k != "page"}
    invalid = schema.validate(raw)
    filters = schema.load({k: v for k, v in raw.items() if k not in invalid})
    statement = sa.select(AuditEvent).order_by(AuditEvent.id.desc())
    for field in ("action", "entity", "actor_id", "entity_id"):
        if field in filters:
            statement = statement.where(getattr(AuditEvent, field) == filters[field])
    if "since" in filters:
        statement = statement.where(AuditEvent.at >= datetime.combine(filters["since"], time.min,
                                                                      tzinfo=timezone.utc))
    if "until" in filters:
        statement = statement.where(AuditEvent.at <= datetime.combine(filters["until"], time.max,
                                                                      tzinfo=timezone.utc))
    page = db.paginate(statement, per_page=50, error_out=False)
    return render_template("admin/audit.html", page=page, args=raw, actions=ACTIONS,
                           people=trail.readers(db.session, page.items), words=trail)


@bp.route("/safeguards", methods=["GET", "POST"])
@roles_required("admin")
@idempotent
def safeguard_list():
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(SafeguardListSchema())
        if data:
            entry = SafeguardList(**data, created_at=now(), created_by_id=current_user.id)
            entry.countries = sorted(set(data["countries"]))
            db.session.add(entry)
            db.session.flush()
            audit.record(db.session, now=now(), actor=current_user, action="update",
                         entity="safeguard_list", entity_id=entry.id,
                         detail={"countries": len(entry.countries)})
            db.session.commit()
            flash(_("The new list is in force."), "success")
            return redirect(url_for("admin.safeguard_list"))
    history = db.session.scalars(sa.select(SafeguardList).order_by(SafeguardList.id.desc())).all()
    return render_template("admin/safeguards.html", current=safeguards.list_in_force(db.session),
                           history=history, errors=errors, form=request.form), 422 if errors else 200


@bp.get("/retention")
@roles_required("admin")
def retention():
    return render_template("admin/retention.html",
                           candidates=retention_candidates(db.session, now=now()),
                           days=current_app.config["RETENTION_INACTIVE_DAYS"])
