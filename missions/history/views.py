"""Managers import past missions from a spreadsheet: upload, dry run with the per-row report,
then the import as a background job (see ``services``)."""
from __future__ import annotations

import base64

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from marshmallow import fields

from diaspora.clock import now
from diaspora.errors import Forbidden
from diaspora.extensions import db
from diaspora.forms import load_form, uploaded_file
from diaspora.idempotency import idempotent
from diaspora.jobs import services as jobs
from diaspora.people_imports.services import SpreadsheetError, read_table
from diaspora.programmes import access
from diaspora.schemas import BaseSchema
from diaspora.security import SYSTEM, roles_required
from diaspora.vocabulary import JobStatus, Role

from . import services

bp = Blueprint("mission_history", __name__)
KIND = "missions.history"


class UploadSchema(BaseSchema):
    programme_id = fields.Integer(load_default=None)


def run_import(session, job, progress, now_) -> dict:
    params = job.params or {}
    with force_locale(params.get("locale") or "en"):
        report = services.import_missions(
            session, job.input_data, job.input_name or "missions.csv",
            actor=job.started_by or SYSTEM, now=now_, programme_id=params.get("programme_id"),
            progress=progress)
        return report.as_result()


@bp.record_once
def _register(state):
    jobs.register_handler(state.app, KIND, run_import, _l("Past missions from a spreadsheet"))


def _page(template: str, status: int = 200, **values):
    return render_template(
        template, fields=services.FIELDS, JobStatus=JobStatus,
        programmes=[(p.id, p.name) for p in access.programmes_for(db.session, current_user)],
        history=jobs.jobs_of_kind(db.session, (KIND,)), **values), status


@bp.get("/facilities/imports/missions")
@roles_required(Role.MANAGER)
def upload_page():
    return _page("history/upload.html", errors={}, form={})


def _read_upload():
    """(form data, content, file name, errors) of an upload or of the preview's form."""
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"] * 2
    data, errors = load_form(UploadSchema())
    content, name = uploaded_file("missions.csv")
    if not content:
        errors = {**errors, "file": [_("Choose a file to import.")]}
    if data is not None and data.get("programme_id") is not None:
        allowed = {p.id for p in access.programmes_for(db.session, current_user)}
        if data["programme_id"] not in allowed:
            raise Forbidden(_("You do not manage this programme."))
    return data, content, name, errors


@bp.post("/facilities/imports/missions")
@roles_required(Role.MANAGER)
def preview():
    data, content, name, errors = _read_upload()
    report = None
    if not errors and data is not None:
        try:
            read_table(content, name)
            report = services.import_missions(db.session, content, name, actor=current_user,
                                              now=now(), programme_id=data["programme_id"],
                                              dry_run=True)
        except SpreadsheetError as error:
            errors = {"file": [str(error)]}
    if report is None:
        return _page("history/upload.html", 422, errors=errors, form=request.form)
    return _page("history/preview.html", report=report, filename=name, form=request.form,
                 content=base64.b64encode(content).decode(), errors={})


@bp.post("/facilities/imports/missions/import")
@roles_required(Role.MANAGER)
@idempotent
def start():
    data, content, name, errors = _read_upload()
    if errors or data is None:
        return _page("history/upload.html", 422, errors=errors, form=request.form)
    job = jobs.enqueue(db.session, KIND, actor=current_user, now=now(),
                       params={"locale": str(get_locale()), "programme_id": data["programme_id"]},
                       input_name=name, input_data=content)
    return redirect(url_for("jobs.detail", job_id=job.id))
