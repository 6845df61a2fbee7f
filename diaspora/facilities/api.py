"""JSON API for facilities."""
from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from ..apispec import page_of
from ..clock import now
from ..extensions import db
from ..security import login_required, roles_required
from . import services
from .schemas import FacilityQuerySchema, FacilitySchema, FacilityUpdateSchema

blp = Blueprint("facilities_api", __name__, url_prefix="/api/v1/facilities",
                description="Host health facilities (WHO master facility list)")


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
    return services.get_facility(db.session, facility_id)


@blp.patch("/<int:facility_id>")
@roles_required("manager")
@blp.arguments(FacilityUpdateSchema)
@blp.response(200, FacilitySchema)
def update_facility(data, facility_id):
    """Correct a facility (setting, ICT readiness, tier, category, ownership, name)."""
    facility = services.get_facility(db.session, facility_id)
    return services.update_facility(db.session, facility, data, actor=current_user, now=now())
