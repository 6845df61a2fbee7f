"""JSON API of the dashboards: the FHIR workforce export."""
from __future__ import annotations

from flask import Response
from flask_login import current_user

from diaspora.apispec import ApiBlueprint
from diaspora.clock import now
from diaspora.extensions import db
from diaspora.schemas import BaseSchema, CountryCode
from diaspora.security import roles_required
from diaspora.vocabulary import Role

from . import services

blp = ApiBlueprint("fhir_api", __name__, url_prefix="/api/v1/fhir", tags={
    "FHIR export": "Host facilities and the professionals of confirmed missions as a FHIR R4 "
                   "bundle, for national health workforce systems.",
})


class WorkforceQuerySchema(BaseSchema):
    country = CountryCode(metadata={"description": "Only host facilities in this country"})


@blp.get("/workforce")
@roles_required(Role.MANAGER)
@blp.arguments(WorkforceQuerySchema, location="query")
@blp.response(200, content_type="application/fhir+json",
              description="A FHIR R4 Bundle (type collection)")
def export_workforce(args):
    """The health workforce as a FHIR R4 Bundle.

    Host facilities as Organization and Location, and professionals with a mission confirmed
    or later as Practitioner and PractitionerRole — names only, never contact details."""
    body = services.workforce_export(db.session, country=args.get("country"), actor=current_user,
                                     now=now())
    return Response(body, mimetype="application/fhir+json")
