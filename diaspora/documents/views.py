"""Pages: a professional's documents; a manager's view of someone's documents, where licences
and qualifications are verified against them; downloads (each one audited)."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..clock import now
from ..errors import Invalid
from ..extensions import db
from ..forms import load_form
from ..professionals import services as professionals
from ..security import roles_required
from ..vocabulary import Role
from ..web import add_nav
from . import checks, services
from .schemas import PersonalUploadSchema, VerificationSchema
from .uploads import upload_route, uploaded_file
from .vocabulary import EVIDENCE, PERSONAL, DocumentPurpose

bp = Blueprint("documents", __name__)
upload_route("documents.mine")


@bp.record_once
def _nav(state):
    add_nav(state.app, "documents.mine", _l("My documents"), (Role.PROFESSIONAL,), 12, "documents.mine")


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    flash(checks.too_big_message(services.max_bytes()), "error")
    return redirect(request.url, code=303)


def send(document, data: bytes) -> Response:
    """A stored file, as an attachment the browser does not sniff or run."""
    response = Response(data, mimetype=document.content_type)
    response.headers["Content-Disposition"] = _disposition(document.filename)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


@bp.route("/documents", methods=["GET", "POST"])
@roles_required(Role.PROFESSIONAL)
def mine():
    professional = professionals.own_profile(db.session, current_user)
    errors, status = {}, 200
    if request.method == "POST":
        data, errors = load_form(PersonalUploadSchema())
        if not errors:
            try:
                content, filename = uploaded_file()
                services.upload_own(db.session, current_user, content, filename=filename,
                                    purpose=data["purpose"], now=now())
            except Invalid as error:
                errors = error.errors or {"file": [error.message]}
            else:
                flash(_("Document added."), "success")
                return redirect(url_for("documents.mine"), code=303)
        status = 422
    return render_template("documents/mine.html", p=professional, errors=errors,
                           documents=services.documents_of_professional(db.session, professional),
                           purposes=DocumentPurpose.choices(PERSONAL), Purpose=DocumentPurpose), status


@bp.get("/documents/<int:document_id>")
@roles_required(Role.PROFESSIONAL, Role.MANAGER)
def download(document_id: int):
    document, data = services.open_document(db.session, document_id, actor=current_user, now=now())
    return send(document, data)


@bp.post("/documents/<int:document_id>/delete")
@roles_required(Role.PROFESSIONAL)
def delete(document_id: int):
    services.delete_own(db.session, document_id, actor=current_user, now=now())
    flash(_("Document removed."), "success")
    return redirect(url_for("documents.mine"), code=303)


@bp.get("/professionals/<int:professional_id>/documents")
@roles_required(Role.MANAGER)
def of_professional(professional_id: int):
    professional = professionals.get_professional(db.session, professional_id, actor=current_user,
                                                  now=now())
    return _review(professional, {}, 200)


def _review(professional, errors, status):
    documents = services.list_for(db.session, professional, actor=current_user)
    return render_template(
        "documents/review.html", p=professional, documents=documents, errors=errors,
        evidence={kind: [(d.id, f"#{d.id} {d.filename}") for d in documents if d.purpose in purposes]
                  for kind, purposes in EVIDENCE.items()},
        Purpose=DocumentPurpose,
        verifications=services.verifications_of(db.session, professional),
        verified=services.verified_licence_ids(db.session, professional.licences),
        today=now().date()), status


@bp.post("/professionals/<int:professional_id>/<any(licences, qualifications):kind>/"
         "<int:child_id>/verification")
@roles_required(Role.MANAGER)
def verify(professional_id: int, kind: str, child_id: int):
    professional = professionals.get_professional(db.session, professional_id, actor=current_user,
                                                  now=now())
    data, errors = load_form(VerificationSchema())
    if not errors:
        try:
            services.verify(db.session, professional, kind, child_id, data, actor=current_user,
                            now=now())
        except Invalid as error:
            errors = error.errors or {"_schema": [error.message]}
        else:
            flash(_("Verified against the document; the register checked is recorded."), "success")
            return redirect(url_for("documents.of_professional", professional_id=professional.id),
                            code=303)
    return _review(professional, errors, 422)
