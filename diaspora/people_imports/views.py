"""Managers import professionals from a spreadsheet (upload, mapping, dry-run preview, import
as a background job); imported people claim their account through their invitation link."""
from __future__ import annotations

import base64

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from marshmallow import fields, validate

from .. import reference
from ..clock import now
from ..errors import Conflict, DomainError, Invalid, NotFound
from ..extensions import db
from ..forms import load_form, uploaded_file
from ..idempotency import idempotent
from ..jobs import services as jobs
from ..programmes import access
from ..schemas import BaseSchema, CountryCode
from ..security import SYSTEM, roles_required
from ..vocabulary import HoldStatus, JobStatus, Role
from . import duplicates, invitations, mappings, services
from .models import DuplicateHold, Invitation

bp = Blueprint("people_imports", __name__)
KIND = "professionals.import"
HISTORY_PAGE = "mission_history.upload_page"   # the missions component's past missions, if there


class UploadSchema(BaseSchema):
    country_of_origin = CountryCode(load_default=None)
    programme_id = fields.Integer(load_default=None)


class DecisionSchema(BaseSchema):
    action = fields.String(required=True, validate=validate.OneOf(tuple(duplicates.ACTIONS)))


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
    jobs.register_handler(state.app, KIND, run_import, _l("Professionals from a spreadsheet"),
                          follow_up=("people_imports.duplicates_page",
                                     _l("Possible duplicates to confirm")))


def _page(template: str, status: int = 200, **values):
    return render_template(template, fields=list(services.FIELDS.items()),
                           JobStatus=JobStatus,
                           countries=list(reference.countries().items()),
                           programmes=[(p.id, p.name) for p in
                                       access.programmes_for(db.session, current_user)],
                           history_url=(url_for(HISTORY_PAGE)
                                        if HISTORY_PAGE in current_app.view_functions else None),
                           **values), status


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
    content, name = uploaded_file("upload.csv")
    if not content:
        errors = {**errors, "file": [_("Choose a file to import.")]}
    header, mapping, saved = [], {}, None
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
        saved, mapping = mappings.proposed(db.session, header, actor=current_user,
                                           programme_id=(data or {}).get("programme_id"))
        mapping = mapping or services.guess_mapping(header)
    return data, content, name, header, mapping, errors, saved


def _refused(errors: dict):
    return _page("people_imports/upload.html", 422, errors=errors, form=request.form,
                 history=jobs.jobs_of_kind(db.session, (KIND,)))


@bp.post("/facilities/imports/professionals")
@roles_required(Role.MANAGER)
def preview():
    """Read the file (uploaded now, or carried by the preview form), guess or take the mapping,
    and show the dry run's per-row report."""
    data, content, name, header, mapping, errors, saved = _read_upload()
    if errors or data is None:
        return _refused(errors)
    return _preview(data, content, name, header, mapping, saved=saved)


def _preview(data, content, name, header, mapping, *, saved=None, errors=None, status=None):
    errors = dict(errors or {})
    try:
        report = services.import_people(db.session, content, name, mapping=mapping,
                                        actor=current_user, now=now(),
                                        country_of_origin=data["country_of_origin"], dry_run=True)
    except services.SpreadsheetError as error:
        report, errors = None, {**errors, "mapping": [str(error)]}
    return _page("people_imports/preview.html", status or (200 if report else 422),
                 header=header, mapping=mapping, report=report, errors=errors, filename=name,
                 content=base64.b64encode(content).decode(), form=request.form, saved=saved)


@bp.post("/facilities/imports/professionals/import")
@roles_required(Role.MANAGER)
@idempotent
def start():
    """Start the import job with the mapping of the preview (once, however often it is sent)."""
    data, content, name, _header, mapping, errors, _saved = _read_upload()
    if errors or data is None:
        return _refused(errors)
    job = jobs.enqueue(db.session, KIND, actor=current_user, now=now(),
                       params={"mapping": mapping, "locale": str(get_locale()),
                               "country_of_origin": data["country_of_origin"]},
                       input_name=name, input_data=content)
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.post("/facilities/imports/professionals/mappings")
@roles_required(Role.MANAGER)
def save_mapping():
    """Save the mapping of the preview under a name for a programme; the preview again."""
    data, content, name, header, mapping, errors, _saved = _read_upload()
    if errors or data is None:
        return _refused(errors)
    try:
        saved = mappings.save(db.session, programme_id=data["programme_id"],
                              name=request.form.get("mapping_name", ""), header=header,
                              mapping=mapping, actor=current_user, now=now())
    except Invalid as error:
        return _preview(data, content, name, header, mapping, errors=error.errors, status=422)
    flash(_("Mapping “%(name)s” saved.", name=saved.name), "success")
    return _preview(data, content, name, header, mapping, saved=saved)


@bp.get("/facilities/imports/professionals/mappings")
@roles_required(Role.MANAGER)
def mappings_page():
    return render_template("people_imports/mappings.html", JobStatus=JobStatus,
                           saved=mappings.listed(db.session, actor=current_user),
                           fields=services.FIELDS)


@bp.post("/facilities/imports/professionals/mappings/<int:mapping_id>/delete")
@roles_required(Role.MANAGER)
def delete_mapping(mapping_id: int):
    mappings.delete(db.session, mapping_id, actor=current_user, now=now())
    flash(_("Mapping deleted."), "success")
    return redirect(url_for("people_imports.mappings_page"), 303)


def _duplicates(job_id: int, status: int = 200, error: str | None = None):
    job = jobs.get_job(db.session, job_id, actor=current_user)
    if job.kind != KIND:
        raise NotFound(_("No such import."))
    views = duplicates.holds_of_job(db.session, job.id, actor=current_user, now=now())
    return render_template("people_imports/duplicates.html", job=job, views=views,
                           error=error, HoldStatus=HoldStatus,
                           cadres=reference.CADRES, specialties=reference.SPECIALTIES), status


@bp.get("/facilities/imports/professionals/<int:job_id>/duplicates")
@roles_required(Role.MANAGER)
def duplicates_page(job_id: int):
    """The rows of an import held as possible duplicates, each beside the existing record."""
    return _duplicates(job_id)


@bp.post("/facilities/imports/professionals/duplicates/<int:hold_id>")
@roles_required(Role.MANAGER)
def decide_duplicate(hold_id: int):
    """Same person (skip or merge) or different person (create and invite): decided once."""
    hold = db.session.get(DuplicateHold, hold_id)
    if hold is None or hold.job_id is None:
        raise NotFound(_("No such row to confirm."))
    job_id = hold.job_id
    data, errors = load_form(DecisionSchema())
    if data is None:
        return _duplicates(job_id, 422, _("Choose what to do with this row."))
    try:
        duplicates.decide(db.session, hold_id, data["action"], actor=current_user, now=now())
    except (Conflict, Invalid) as error:
        db.session.expire_all()
        return _duplicates(job_id, error.code, error.message)
    flash(_("Row %(row)s: %(decision)s.", row=hold.row,
            decision=HoldStatus.label_of(hold.status)), "success")
    return redirect(url_for("people_imports.duplicates_page", job_id=job_id), 303)


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
