"""Partner institution pages: the list, a partner with its agreements and partnerships, and the
managers' forms. A partnership's own page (both directions, with outcomes) is the missions
component's (``placements.partnership``), linked when the app serves it."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from ..clock import now
from ..extensions import db
from ..facilities.models import Facility
from ..forms import load_form
from ..idempotency import idempotent
from ..programmes import access as programmes
from ..security import roles_required
from ..vocabulary import MANAGERS, Role
from ..web import add_nav
from . import services
from .models import PARTNER_KINDS
from .schemas import AgreementSchema, PartnerSchema, PartnershipSchema

bp = Blueprint("partners", __name__, url_prefix="/partners")
STAFF = (Role.COORDINATOR,) + MANAGERS


@bp.record_once
def _nav(state):
    add_nav(state.app, "partners.index", _l("Partners"), STAFF, 45, "partners.")
    state.app.jinja_env.globals.update(partner_kinds=PARTNER_KINDS)


@bp.get("")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def index():
    return render_template("partners/index.html", partners=services.list_partners(db.session),
                           partnerships=services.partnerships_of(db.session, current_user))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.MANAGER)
@idempotent
def new():
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(PartnerSchema())
        if data:
            partner = services.create_partner(db.session, data, actor=current_user, now=now())
            flash(_("Partner institution saved."), "success")
            return redirect(url_for("partners.detail", partner_id=partner.id))
    return render_template("partners/form.html", errors=errors, form=request.form), \
        422 if errors else 200


@bp.get("/<int:partner_id>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def detail(partner_id: int):
    partner = services.get_partner(db.session, partner_id)
    visible = [p for p in partner.partnerships
               if services.may_see_partnership(db.session, current_user, p)]
    return render_template("partners/detail.html", partner=partner, partnerships=visible,
                           staff=services.staff_of(db.session, partner), errors={}, form={})


@bp.post("/<int:partner_id>/agreements")
@roles_required(Role.MANAGER)
@idempotent
def add_agreement(partner_id: int):
    partner = services.get_partner(db.session, partner_id)
    data, errors = load_form(AgreementSchema())
    if data:
        services.add_agreement(db.session, partner, data, actor=current_user, now=now())
        flash(_("Agreement saved."), "success")
        return redirect(url_for("partners.detail", partner_id=partner.id))
    return render_template("partners/detail.html", partner=partner,
                           partnerships=partner.partnerships,
                           staff=services.staff_of(db.session, partner), errors=errors,
                           form=request.form), 422


@bp.post("/<int:partner_id>/staff")
@roles_required(Role.MANAGER)
def add_staff(partner_id: int):
    """Record a professional as employed by this partner."""
    partner = services.get_partner(db.session, partner_id)
    professional = services.get_professional(
        db.session, request.form.get("professional_id", type=int) or 0)
    services.set_employer(db.session, professional, partner, actor=current_user, now=now())
    flash(_("%(name)s works for %(partner)s.", name=professional.full_name, partner=partner.name),
          "success")
    return redirect(url_for("partners.detail", partner_id=partner.id))


@bp.route("/partnerships/new", methods=["GET", "POST"])
@roles_required(Role.MANAGER)
@idempotent
def new_partnership():
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(PartnershipSchema())
        if data:
            partnership = services.create_partnership(db.session, data, actor=current_user,
                                                      now=now())
            flash(_("Partnership saved."), "success")
            return redirect(url_for("partners.detail", partner_id=partnership.partner_id))
    facility_id = request.values.get("facility_id", type=int)
    return render_template("partners/partnership_form.html", errors=errors, form=request.form,
                           partners=services.list_partners(db.session),
                           facility=db.session.get(Facility, facility_id) if facility_id else None,
                           programmes=programmes.programmes_for(db.session, current_user)), \
        422 if errors else 200
