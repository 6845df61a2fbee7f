"""Pages for programme managers: overview, programmes, organisations."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from ..auth.models import User
from ..clock import now
from ..errors import DomainError
from ..extensions import db
from ..facilities.models import Facility
from ..forms import load_form
from ..idempotency import idempotent
from ..professionals.models import Professional
from ..security import login_required, roles_required
from ..vocabulary import MANAGERS, Role
from ..web import add_nav
from . import services
from .models import Organisation, Programme
from .schemas import OrganisationSchema, ProgrammeSchema

bp = Blueprint("programmes", __name__)

ENTITY_PAGES = {
    "programmes": ("programme", ProgrammeSchema, _l("programme")),
    "organisations": ("organisation", OrganisationSchema, _l("organisation")),
}


@bp.record_once
def _nav(state):
    add_nav(state.app, "programmes.overview", _l("Overview"), MANAGERS, 5,
            "programmes.overview")
    add_nav(state.app, "programmes.records", _l("Programmes"), MANAGERS, 60,
            "programmes.record")


@bp.get("/overview")
@roles_required(Role.MANAGER)
def overview():
    count = lambda statement: db.session.scalar(statement)  # noqa: E731
    figures = {
        "professionals": count(sa.select(sa.func.count(Professional.id))),
        "consenting": count(sa.select(sa.func.count(Professional.id)).where(Professional.consent_given)),
        "facilities": count(sa.select(sa.func.count(Facility.id))),
        "programmes": count(sa.select(sa.func.count(Programme.id))),
        "organisations": count(sa.select(sa.func.count(Organisation.id))),
        "coordinators": count(sa.select(sa.func.count(User.id)).where(User.role == Role.COORDINATOR)),
    }
    return render_template("programmes/overview.html", figures=figures,
                           panels=current_app.extensions.get("overview_panels", []))


def _entity(plural: str):
    if plural not in ENTITY_PAGES:
        abort(404)
    return ENTITY_PAGES[plural]


@bp.get("/programmes", defaults={"plural": "programmes"})
@bp.get("/organisations", defaults={"plural": "organisations"})
@login_required
def records(plural: str):
    entity, _schema, label = _entity(plural)
    statement = services.query(entity, request.args.get("q"))
    page = db.paginate(statement, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template(f"programmes/{plural}.html", page=page, plural=plural,
                           args={k: v for k, v in request.args.items() if k != "page"})


@bp.route("/<any(programmes, organisations):plural>/new", methods=["GET", "POST"],
          defaults={"record_id": None})
@bp.route("/<any(programmes, organisations):plural>/<int:record_id>", methods=["GET", "POST"])
@roles_required(Role.MANAGER)
@idempotent
def record(plural: str, record_id: int | None):
    entity, schema, label = _entity(plural)
    existing = services.get(db.session, entity, record_id) if record_id else None
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(schema())
        if data:
            try:
                saved = services.save(db.session, entity, data, actor=current_user, now=now(),
                                      record=existing)
            except DomainError as error:
                errors = error.errors or {"name": [error.message]}
            else:
                flash(_("Saved."), "success")
                return redirect(url_for("programmes.record", plural=plural, record_id=saved.id))
    managers = db.session.scalars(sa.select(User).where(User.role.in_(MANAGERS))
                                  .order_by(User.name)).all()
    return render_template(f"programmes/{entity}_form.html", record=existing, errors=errors,
                           form=request.form, plural=plural, label=label,
                           managers=managers), 422 if errors else 200


@bp.post("/<any(programmes, organisations):plural>/<int:record_id>/delete")
@roles_required(Role.MANAGER)
def delete(plural: str, record_id: int):
    entity, _schema, _label = _entity(plural)
    existing = services.get(db.session, entity, record_id)
    services.delete(db.session, entity, existing, actor=current_user, now=now())
    flash(_("Deleted."), "success")
    return redirect(url_for("programmes.records", plural=plural))
