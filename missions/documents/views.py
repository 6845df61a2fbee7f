"""Pages: a mission's documents, its certificate (PDF), and the public certificate check."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from diaspora.clock import now
from diaspora.documents import checks, services as documents
from diaspora.documents.schemas import MissionUploadSchema
from diaspora.documents.uploads import upload_route, uploaded_file
from diaspora.documents.views import send
from diaspora.documents.vocabulary import MISSION, DocumentPurpose
from diaspora.errors import DomainError, Invalid
from diaspora.extensions import db
from diaspora.forms import load_form
from diaspora.ratelimit import rate_limited
from diaspora.security import roles_required
from diaspora.vocabulary import Role
from diaspora.workforce.models import HostHealthWorker

from ..core.access import get_mission
from . import attendance, certificates, pdf, services

bp = Blueprint("mission_documents", __name__)
upload_route("mission_documents.upload")
public = Blueprint("certificates", __name__)


@bp.record_once
def _register(state):
    state.app.extensions.setdefault("mission_panels", []).append(
        "documents/_attendance_panel.html")
    state.app.jinja_env.globals.update(attendance_certificates=_attendance_panel)


def _attendance_panel(mission) -> dict:
    """The mission page's panel: who may have an attendance certificate, for those who issue."""
    if not attendance.may_issue(db.session, current_user, mission):
        return {"attendees": []}
    return {"attendees": attendance.attendees(db.session, mission)}


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    flash(checks.too_big_message(documents.max_bytes()), "error")
    return redirect(request.url, code=303)


@bp.get("/missions/<int:mission_id>/documents")
@roles_required(Role.PROFESSIONAL, Role.COORDINATOR, Role.MANAGER)
def index(mission_id: int):
    return _page(get_mission(db.session, mission_id, actor=current_user), {}, 200)


@bp.post("/missions/<int:mission_id>/documents")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def upload(mission_id: int):
    mission = get_mission(db.session, mission_id, actor=current_user)
    data, errors = load_form(MissionUploadSchema())
    if not errors:
        try:
            content, filename = uploaded_file()
            services.add(db.session, mission, content, filename=filename,
                         purpose=data["purpose"], actor=current_user, now=now())
        except Invalid as error:
            errors = error.errors or {"file": [error.message]}
        else:
            flash(_("Document added."), "success")
            return redirect(url_for("mission_documents.index", mission_id=mission.id), code=303)
    return _page(mission, errors, 422)


def _page(mission, errors: dict, status: int):
    return render_template("documents/mission.html", mission=mission, errors=errors,
                           documents=services.listed(db.session, mission),
                           may_add=services.may_add(db.session, current_user, mission),
                           purposes=DocumentPurpose.choices(MISSION), Purpose=DocumentPurpose), status


@bp.get("/missions/<int:mission_id>/documents/<int:document_id>")
@roles_required(Role.PROFESSIONAL, Role.COORDINATOR, Role.MANAGER)
def download(mission_id: int, document_id: int):
    mission = get_mission(db.session, mission_id, actor=current_user)
    document, data = services.open_document(db.session, mission, document_id, actor=current_user,
                                            now=now())
    return send(document, data)


@bp.get("/missions/<int:mission_id>/certificate.pdf")
@roles_required(Role.PROFESSIONAL, Role.MANAGER)
def certificate(mission_id: int):
    mission = get_mission(db.session, mission_id, actor=current_user)
    issued = certificates.certificate_for(db.session, mission, actor=current_user, now=now())
    body = pdf.render(issued, mission.professional.user.locale)
    response = Response(body, mimetype="application/pdf")
    name = "certificate" if issued.kind == "service" else "cpd-statement"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{mission.id}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/missions/<int:mission_id>/attendance-certificates/<int:worker_id>.pdf")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def attendance_certificate(mission_id: int, worker_id: int):
    """A named trainee's or counterpart's attendance certificate, in their language."""
    mission = get_mission(db.session, mission_id, actor=current_user)
    issued = attendance.certificate_for(db.session, mission, worker_id, actor=current_user,
                                        now=now())
    return attendance_pdf(issued, mission)


def attendance_pdf(issued, mission) -> Response:
    response = Response(pdf.render(issued, attendance.language_of(
        db.session.get(HostHealthWorker, issued.worker_id), mission)), mimetype="application/pdf")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="attendance-{mission.id}-{issued.worker_id}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _check_limit() -> str:
    return current_app.config["CERTIFICATE_CHECK_RATE_LIMIT"]


@public.get("/certificates/check")
@rate_limited(_check_limit)
def check():
    """Public: a code in, only name, programme, facility, dates and hours out."""
    code = request.args.get("code")
    found, status = None, 200
    if code:
        try:
            found = certificates.check(db.session, code)
        except DomainError:
            status = 404
    return render_template("documents/check.html", code=code, found=found,
                           shown_code=certificates.shown_code), status
