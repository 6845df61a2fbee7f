"""Managers upload a facility list (WHO, DHIS2, mCSD): it is imported by a background job,
whose page shows the progress; this page keeps the history of imports."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError, fields, validate

from .. import reference
from ..clock import now
from ..errors import Invalid
from ..extensions import db
from ..forms import load_form
from ..jobs import services as jobs
from ..schemas import BaseSchema, CountryCode
from ..security import roles_required
from ..vocabulary import JobStatus, LinkStatus, Role
from ..web import add_nav
from . import links, uploads
from .fhir import mcsd_bundle
from .schemas import FacilityQuerySchema

bp = Blueprint("facility_imports", __name__, url_prefix="/facilities/imports")


class ImportRequestSchema(BaseSchema):
    country = CountryCode(load_default=None)
    facility_level = fields.Integer(load_default=None, validate=validate.Range(min=1, max=20))
    dry_run = fields.Boolean(load_default=False)


@bp.record_once
def _register(state):
    uploads.init_app(state.app)
    add_nav(state.app, "facility_imports.index", _l("Imports"), (Role.MANAGER, Role.ADMIN), 45,
            "facility_imports.index")


def _page(errors: dict, status: int = 200):
    history = jobs.jobs_of_kind(db.session, (uploads.KIND,))
    return render_template("facilities/imports.html", errors=errors, form=request.form,
                           history=history, formats=uploads.FORMATS, JobStatus=JobStatus,
                           countries=list(reference.countries().items())), status


@bp.get("")
@roles_required(Role.MANAGER)
def index():
    return _page({})


@bp.post("")
@roles_required(Role.MANAGER)
def upload():
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]
    data, errors = load_form(ImportRequestSchema())
    upload_file = request.files.get("file")
    content = upload_file.read() if upload_file else b""
    if not content:
        errors = {**errors, "file": [_("Choose a file to import.")]}
    elif data is not None:
        try:
            kind = uploads.detect_format(uploads.decode(content))
        except uploads.UnknownFormat:
            kind = None
            errors = {"file": [_("This file is neither a WHO-format list, a DHIS2 "
                                 "organisation-unit export (JSON or CSV) nor an mCSD bundle.")]}
        if kind and kind != "who" and not data["country"]:
            errors = {"country": [_("Say which country the ministry's list is of.")]}
    if errors or data is None:
        return _page(errors, 422)
    job = jobs.enqueue(db.session, uploads.KIND, actor=current_user, now=now(),
                       params=data, input_name=(upload_file.filename or "upload")[:255],
                       input_data=content)
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.get("/mcsd.json")
@roles_required(Role.MANAGER)
def export_mcsd():
    """The facility list (``?country=`` one country) as an IHE mCSD FHIR Bundle."""
    asked = {"country": request.args["country"]} if request.args.get("country") else {}
    try:
        args = FacilityQuerySchema(only=("country",)).load(asked)
    except ValidationError as error:
        raise Invalid(_("Unknown country."), errors=error.messages) from error
    body = mcsd_bundle(db.session, now=now(), country=args.get("country"))
    return Response(body, mimetype="application/fhir+json", headers={
        "Content-Disposition": 'attachment; filename="facilities-mcsd.json"'})


@bp.get("/links")
@roles_required(Role.MANAGER)
def link_queue():
    """The review queue: ministry facilities and the WHO-list facility proposed as the same."""
    return render_template("facilities/links.html", queue=links.review_queue(db.session),
                           LinkStatus=LinkStatus)


@bp.post("/links/<int:link_id>")
@roles_required(Role.MANAGER)
def decide_link(link_id: int):
    decision = request.form.get("decision")
    if decision not in ("accept", "reject"):
        raise Invalid(_("Say whether they are the same place."))
    links.decide(db.session, link_id, decision == "accept", actor=current_user, now=now())
    flash(_("Saved."), "success")
    return redirect(url_for("facility_imports.link_queue"))
