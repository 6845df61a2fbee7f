"""JSON API for facilities."""
from __future__ import annotations

from flask_login import current_user

from ..apispec import ApiBlueprint, page_of
from ..clock import now
from ..extensions import db
from ..security import login_required, roles_required
from ..vocabulary import Role
from . import services
from .schemas import FacilityQuerySchema, FacilitySchema, FacilityUpdateSchema

blp = ApiBlueprint("facilities_api", __name__, url_prefix="/api/v1/facilities", tags={
    "Facilities": "Host health facilities, imported from the WHO master facility list: find "
                  "them, and (programme managers) correct their records.",
})


@blp.get("")
@login_required
@blp.etag
@blp.arguments(FacilityQuerySchema, location="query")
@blp.response(200, FacilitySchema(many=True))
@blp.paginate()
def list_facilities(args, pagination_parameters):
    """Search and filter facilities; ``mine=true`` for the ones you coordinate."""
    mine = args.pop("mine", False)
    statement = services.facility_query(**args, coordinator=current_user if mine else None)
    return page_of(db.session, statement, pagination_parameters)


@blp.get("/<int:facility_id>")
@login_required
@blp.etag
@blp.response(200, FacilitySchema)
def get_facility(facility_id):
    """One facility."""
    return services.get_facility(db.session, facility_id)


@blp.patch("/<int:facility_id>")
@roles_required(Role.MANAGER)
@blp.arguments(FacilityUpdateSchema(partial=True))
@blp.response(200, FacilitySchema)
def update_facility(data, facility_id):
    """Correct a facility (setting, ICT readiness, tier, category, ownership, name)."""
    facility = services.get_facility(db.session, facility_id)
    return services.update_facility(db.session, facility, data, actor=current_user, now=now())
