"""Managers import professionals from a spreadsheet (upload, mapping, dry-run preview, import
as a background job); imported people claim their account through their invitation link."""
from __future__ import annotations

import base64
import binascii

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from marshmallow import fields

from .. import reference
from ..clock import now
from ..errors import DomainError, Invalid
from ..extensions import db
from ..forms import load_form
from ..idempotency import idempotent
from ..jobs import services as jobs
from ..schemas import BaseSchema, CountryCode
from ..security import SYSTEM, roles_required
from ..vocabulary import JobStatus, Role
from . import invitations, services
from .models import Invitation

bp = Blueprint("people_imports", __name__)
KIND = "professionals.import"


class UploadSchema(BaseSchema):
    country_of_origin = CountryCode(load_default=None)


class ClaimSchema(BaseSchema):
    password = fields.String(load_default="")
    consent = fields.Boolean(load_default=False)


def run_import(session, job, progress, now_) -> dict:
    """The job: import the file with the mapping chosen, then send the invitations."""
    params = job.params or {}
    actor = job.started_by or SYSTEM
    with force_locale(params.get("locale") or "en"):
        report = services.import_people(
            session, job.input_data, job.input_name or "upload.csv", mapping=params["mapping"],
            actor=actor, now=now_, country_of_origin=params.get("country_of_origin"),
            job_id=job.id, progress=progress)
        result = report.as_result()
    result["counts"]["invited"] = invitations.send_pending(session, now=now_, job_id=job.id)
    return result


@bp.record_once
def _register(state):
    jobs.register_handler(state.app, KIND, run_import, _l("Professionals from a spreadsheet"))


def _page(template: str, status: int = 200, **values):
    return render_template(template, fields=list(services.FIELDS.items()),
                           statuses=services.STATUSES, JobStatus=JobStatus,
                           countries=list(reference.countries().items()), **values), status


@bp.get("/facilities/imports/professionals")
@roles_required(Role.MANAGER)
def upload_page():
    history = jobs.jobs_of_kind(db.session, (KIND,))
    return _page("people_imports/upload.html", errors={}, form={}, history=history)


def _read_upload():
    """(form data, file content, file name, header, mapping, errors) of an upload or of the
    preview form that carries the file."""
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"] * 2
    data, errors = load_form(UploadSchema())
    upload = request.files.get("file")
    content, name = (upload.read(), upload.filename or "upload.csv") if upload else (b"", "")
    if not content and request.form.get("content"):
        try:
            content = base64.b64decode(request.form["content"], validate=True)
        except (binascii.Error, ValueError):
            content = b""
        name = request.form.get("filename", "upload.csv")[:255]
    if not content:
        errors = {**errors, "file": [_("Choose a file to import.")]}
    header, mapping = [], {}
    if content and not errors:
        try:
            header, _rows = services.read_table(content, name)
        except services.SpreadsheetError as error:
            errors = {"file": [str(error)]}
    if header and "mapped" in request.form:
        mapping = {column: request.form.get(f"map-{index}", "")
                   for index, column in enumerate(header)}
        mapping = {c: f for c, f in mapping.items() if f in services.FIELDS}
    elif header:
        mapping = services.guess_mapping(header)
    return data, content, name, header, mapping, errors


def _refused(errors: dict):
    return _page("people_imports/upload.html", 422, errors=errors, form=request.form,
                 history=jobs.jobs_of_kind(db.session, (KIND,)))


@bp.post("/facilities/imports/professionals")
@roles_required(Role.MANAGER)
def preview():
    """Read the file (uploaded now, or carried by the preview form), guess or take the mapping,
    and show the dry run's per-row report."""
    data, content, name, header, mapping, errors = _read_upload()
    if errors or data is None:
        return _refused(errors)
    try:
        report = services.import_people(db.session, content, name, mapping=mapping,
                                        actor=current_user, now=now(),
                                        country_of_origin=data["country_of_origin"], dry_run=True)
    except services.SpreadsheetError as error:
        report, errors = None, {"mapping": [str(error)]}
    return _page("people_imports/preview.html", 200 if report else 422, header=header,
                 mapping=mapping, report=report, errors=errors, filename=name,
                 content=base64.b64encode(content).decode(), form=request.form)


@bp.post("/facilities/imports/professionals/import")
@roles_required(Role.MANAGER)
@idempotent
def start():
    """Start the import job with the mapping of the preview (once, however often it is sent)."""
    data, content, name, _header, mapping, errors = _read_upload()
    if errors or data is None:
        return _refused(errors)
    job = jobs.enqueue(db.session, KIND, actor=current_user, now=now(),
                       params={"mapping": mapping, "locale": str(get_locale()),
                               "country_of_origin": data["country_of_origin"]},
                       input_name=name, input_data=content)
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.route("/claim/<token>", methods=["GET", "POST"])
def claim(token: str):
    """An invited person sets a password, reviews their data and gives consent (no sign-in:
    the signed link is the proof; it works once and expires)."""
    try:
        invitation = invitations.invitation_for(db.session, token, now=now())
    except DomainError as error:
        return render_template("people_imports/claim.html", refused=str(error), errors={}), 410
    professional = invitations.professional_of(db.session, invitation)
    errors = {}
    if request.method == "POST":
        data, errors = load_form(ClaimSchema())
        if data is not None:
            try:
                invitations.claim(db.session, token, password=data["password"],
                                  consent=data["consent"], now=now())
            except Invalid as error:
                errors = error.errors
            else:
                return redirect(url_for("auth.login"))
    return render_template("people_imports/claim.html", refused=None, invitation=invitation,
                           professional=professional, errors=errors), (422 if errors else 200)


__all__ = ["Invitation", "bp"]
