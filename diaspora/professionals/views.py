"""Pages for professionals (their own profile) and programme managers (the registry)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..clock import now
from ..errors import DomainError, Invalid
from ..extensions import db
from ..forms import load_form
from ..idempotency import idempotent
from ..privacy.trail import PURPOSES
from ..programmes.services import query as programme_query
from ..security import roles_required
from ..vocabulary import MANAGERS, Role
from ..web import add_nav, csv_response
from . import services
from .models import Professional
from .schemas import (
    CONTACT_PURPOSES,
    LicenceSchema,
    ProfessionalQuerySchema,
    ProfileSchema,
    ProgrammeConsentsFormSchema,
    QualificationSchema,
    WindowSchema,
)

bp = Blueprint("professionals", __name__)

KINDS = {
    "qualifications": (QualificationSchema, _l("qualification")),
    "licences": (LicenceSchema, _l("licence")),
    "windows": (WindowSchema, _l("availability window")),
}


@bp.record_once
def _nav(state):
    add_nav(state.app, "professionals.me", _l("My profile"), (Role.PROFESSIONAL,), 10,
            "professionals.me")
    add_nav(state.app, "professionals.registry", _l("Registry"), MANAGERS, 30,
            "professionals.registry")


def _me():
    return services.own_profile(db.session, current_user)


@bp.get("/me")
@roles_required(Role.PROFESSIONAL)
def me():
    professional = _me()
    return render_template("professionals/me.html", p=professional, today=now().date(),
                           todo=profile_gaps(professional))


def profile_gaps(professional) -> list[str]:
    """What a professional still has to fill in before matching can find them."""
    gaps = []
    if not professional.licences:
        gaps.append(_("add a licence to practise"))
    if not professional.windows:
        gaps.append(_("say when you are available"))
    if not professional.languages:
        gaps.append(_("list your languages"))
    if not professional.specialties:
        gaps.append(_("choose your specialties"))
    return gaps


@bp.route("/me/edit", methods=["GET", "POST"])
@roles_required(Role.PROFESSIONAL)
def edit():
    professional = _me()
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(ProfileSchema())
        if data:
            try:
                services.update_profile(db.session, professional, data, actor=current_user, now=now())
            except DomainError as error:
                errors = error.errors or {"given_name": [error.message]}
            else:
                flash(_("Profile saved."), "success")
                return redirect(url_for("professionals.me"))
    organisations = db.session.scalars(programme_query("organisation")).all()
    return render_template("professionals/edit.html", p=professional, errors=errors,
                           form=request.form, organisations=organisations), 422 if errors else 200


@bp.route("/me/consent", methods=["GET", "POST"])
@roles_required(Role.PROFESSIONAL)
def consent():
    """The registry consent (``given``) and, in a second form, one consent per running
    programme (``programme_ids``)."""
    professional = _me()
    if request.method == "POST" and request.form.get("form") == "programmes":
        data, errors = load_form(ProgrammeConsentsFormSchema())
        if errors:
            raise Invalid(_("Some information is not valid."), errors=errors)
        services.set_programme_consents(db.session, professional, set(data["programme_ids"]),
                                        actor=current_user, now=now())
        flash(_("Your consent to the programmes is recorded."), "success")
        return redirect(url_for("professionals.consent"))
    if request.method == "POST":
        given = request.form.get("given") == "1"
        services.set_consent(db.session, professional, given, actor=current_user, now=now())
        flash(_("Thank you: your consent is recorded.") if given else
              _("Your consent is withdrawn. You will not be matched or contacted about new missions."),
              "success")
        return redirect(url_for("professionals.me"))
    consented = {c.programme_id for c in professional.programme_consents if c.given}
    return render_template("professionals/consent.html", p=professional, consented=consented,
                           programmes=services.active_programmes(db.session, now=now()))


def _kind(kind: str):
    if kind not in KINDS:
        abort(404)
    return KINDS[kind]


@bp.route("/me/<kind>/new", methods=["GET", "POST"])
@roles_required(Role.PROFESSIONAL)
@idempotent
def child_new(kind: str):
    schema, label = _kind(kind)
    professional = _me()
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(schema())
        if data:
            services.add_child(db.session, professional, kind, data, actor=current_user, now=now())
            flash(_("Saved."), "success")
            return redirect(url_for("professionals.me", _anchor=kind))
    return render_template("professionals/child_form.html", kind=kind, label=label, child=None,
                           errors=errors, form=request.form), 422 if errors else 200


@bp.route("/me/<kind>/<int:child_id>", methods=["GET", "POST"])
@roles_required(Role.PROFESSIONAL)
def child_edit(kind: str, child_id: int):
    schema, label = _kind(kind)
    professional = _me()
    child = services.get_child(db.session, professional, kind, child_id)
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(schema())
        if data:
            try:
                services.update_child(db.session, professional, kind, child_id, data,
                                      actor=current_user, now=now())
            except DomainError as error:
                errors = error.errors or {}
            else:
                flash(_("Saved."), "success")
                return redirect(url_for("professionals.me", _anchor=kind))
    return render_template("professionals/child_form.html", kind=kind, label=label, child=child,
                           errors=errors, form=request.form), 422 if errors else 200


@bp.post("/me/<kind>/<int:child_id>/delete")
@roles_required(Role.PROFESSIONAL)
def child_delete(kind: str, child_id: int):
    """Remove a licence, qualification or window, once confirmed: the first POST (the Remove
    button) shows what would go and asks again."""
    label = _kind(kind)[1]
    professional = _me()
    if request.form.get("confirmed") != "1":
        child = services.get_child(db.session, professional, kind, child_id)
        return render_template("professionals/confirm_delete.html", kind=kind, label=label,
                               child=child)
    services.delete_child(db.session, professional, kind, child_id, actor=current_user, now=now())
    flash(_("Removed."), "success")
    return redirect(url_for("professionals.me", _anchor=kind))


# --- programme managers -------------------------------------------------------------------

@bp.get("/professionals")
@roles_required(Role.MANAGER)
def registry():
    invalid = ProfessionalQuerySchema().validate(request.args)
    args = ProfessionalQuerySchema().load({k: v for k, v in request.args.items()
                                           if v and k not in invalid})
    statement = services.list_professionals(db.session, actor=current_user, now=now(), **args)
    page = db.paginate(statement, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("professionals/registry.html", page=page,
                           args={k: v for k, v in request.args.items() if k != "page"})


@bp.get("/professionals/export.csv")
@roles_required(Role.MANAGER)
def export_registry():
    """The registry for programme planning, without contact data (never a recruitment list).

    Asking for contact data is refused and recorded in the audit log.
    """
    if request.args.get("include") == "contacts":
        services.refuse_contact_export(db.session, actor=current_user, now=now())
    statement = services.list_professionals(db.session, actor=current_user, now=now()).options(
        selectinload(Professional.specialties), selectinload(Professional.languages))
    rows = ([p.id, p.cadre, " ".join(s.specialty for s in p.specialties), p.country_of_origin,
             p.country_of_residence, " ".join(l.language for l in p.languages),
             " ".join(p.modes), "yes" if p.consent_given else "no"]
            for p in db.session.scalars(statement))
    header = ["id", "cadre", "specialties", "country_of_origin", "country_of_residence",
              "languages", "modes", "consent"]
    return csv_response("registry.csv", header, rows)


@bp.get("/professionals/<int:professional_id>")
@roles_required(Role.PROFESSIONAL, Role.MANAGER)
def detail(professional_id: int):
    professional = services.get_professional(db.session, professional_id, actor=current_user,
                                             now=now())
    return render_template("professionals/detail.html", p=professional, today=now().date(),
                           contact=None, purposes=contact_purposes())


@bp.post("/professionals/<int:professional_id>/contact")
@roles_required(Role.MANAGER)
def contact(professional_id: int):
    """*Show contact*: one person's e-mail and phone, for the purpose chosen (audited)."""
    try:
        shown = services.manager_reads_contact(db.session, professional_id,
                                               request.form.get("purpose"), actor=current_user,
                                               now=now())
    except DomainError as error:
        if error.code != 422:
            raise
        flash(_("Say why you need this contact."), "error")
        return redirect(url_for("professionals.detail", professional_id=professional_id))
    professional = services.get_professional(db.session, professional_id, actor=current_user,
                                             now=now())
    return render_template("professionals/detail.html", p=professional, today=now().date(),
                           contact=shown, purposes=contact_purposes())


def contact_purposes() -> dict:
    """The purposes a manager chooses from (reading for a mission is done on its page)."""
    return {code: PURPOSES[code] for code in CONTACT_PURPOSES}
