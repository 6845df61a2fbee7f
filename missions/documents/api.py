"""JSON API for certificates (issue 18): a professional's certificate of a mission as a PDF,
and the public check of a verification code, which shows only the name, programme, facility,
dates and hours."""
from __future__ import annotations

from flask import Response, current_app
from flask_login import current_user
from marshmallow import fields

from diaspora.apispec import ApiBlueprint
from diaspora.clock import now
from diaspora.extensions import db
from diaspora.ratelimit import rate_limited
from diaspora.schemas import BaseSchema
from diaspora.security import roles_required
from diaspora.vocabulary import Role

from ..core.access import get_mission
from . import attendance, certificates, pdf
from .views import attendance_pdf

blp = ApiBlueprint("certificates_api", __name__, url_prefix="/api/v1", tags={
    "Certificates": "Certificates of service and CPD statements of completed missions, "
                    "attendance certificates of named trainees and counterparts, and the "
                    "public check of the code printed on them.",
})


class CertificateCheckSchema(BaseSchema):
    """What anyone holding the code may learn, and nothing more."""

    holder_name = fields.String(dump_only=True)
    programme_name = fields.String(dump_only=True, allow_none=True)
    facility_name = fields.String(dump_only=True)
    starts_on = fields.Date(dump_only=True)
    ends_on = fields.Date(dump_only=True)
    hours = fields.Float(dump_only=True, allow_none=True)


@blp.get("/missions/<int:mission_id>/certificate")
@roles_required(Role.PROFESSIONAL, Role.MANAGER)
@blp.response(200, content_type="application/pdf",
              description="The certificate of service (or CPD statement) as a PDF")
@blp.answers(403, "Not your certificate (managers of the mission's programme may read it, "
                  "audited).")
@blp.answers(409, "A certificate is issued once the mission is completed.")
def get_certificate(mission_id):
    """The certificate of a completed mission, issued on first request, as a PDF."""
    mission = get_mission(db.session, mission_id, actor=current_user)
    issued = certificates.certificate_for(db.session, mission, actor=current_user, now=now())
    response = Response(pdf.render(issued, mission.professional.user.locale),
                        mimetype="application/pdf")
    name = "certificate" if issued.kind == "service" else "cpd-statement"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{mission.id}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.get("/missions/<int:mission_id>/attendance-certificates/<int:worker_id>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.response(200, content_type="application/pdf",
              description="The health worker's certificate of attendance as a PDF")
@blp.answers(403, "Only the host's coordinators and the programme's managers issue them.")
@blp.answers(404, "No such health worker at the mission's facility (or erased).")
@blp.answers(409, "The mission is not completed, or the worker was not a named counterpart "
                  "(in person) or at any session held (online).")
def get_attendance_certificate(mission_id, worker_id):
    """A named trainee's or counterpart's attendance certificate, issued on first request, in
    their language, as a PDF (every download audited)."""
    mission = get_mission(db.session, mission_id, actor=current_user)
    issued = attendance.certificate_for(db.session, mission, worker_id, actor=current_user,
                                        now=now())
    return attendance_pdf(issued, mission)


def _check_limit() -> str:
    return current_app.config["CERTIFICATE_CHECK_RATE_LIMIT"]


@blp.get("/certificates/<string(maxlength=40):code>")
@rate_limited(_check_limit)
@blp.response(200, CertificateCheckSchema)
@blp.answers(404, "No certificate has this code (the same answer for every code that is not "
                  "one).")
@blp.answers(429)
def check_certificate(code):
    """Public: check the code printed on a certificate (dashes and case do not matter)."""
    return certificates.check(db.session, code)
