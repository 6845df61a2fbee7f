"""JSON API for partner institutions, their agreements and partnerships."""
from __future__ import annotations

from flask_login import current_user

from ..apispec import ApiBlueprint
from ..clock import now
from ..extensions import db
from ..idempotency import idempotent
from ..security import roles_required
from ..vocabulary import Role
from . import services
from .schemas import AgreementSchema, EmployerSchema, PartnerSchema, PartnershipSchema

blp = ApiBlueprint("partners_api", __name__, url_prefix="/api/v1", tags={
    "Partners": "Partner institutions abroad (hospitals, universities, professional bodies), "
                "their agreements with host facilities or ministries, and twinning partnerships.",
})


@blp.get("/partners")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.response(200, PartnerSchema(many=True))
def list_partners():
    """Every partner institution, by country and name."""
    return services.list_partners(db.session)


@blp.post("/partners")
@roles_required(Role.MANAGER)
@idempotent
@blp.arguments(PartnerSchema)
@blp.response(201, PartnerSchema)
@blp.answers(409, "A partner of this name is on record in this country.")
def create_partner(data):
    """Record a partner institution (programme managers)."""
    return services.create_partner(db.session, data, actor=current_user, now=now())


@blp.get("/partners/<int:partner_id>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.response(200, PartnerSchema)
def get_partner(partner_id):
    """One partner institution with its agreements."""
    return services.get_partner(db.session, partner_id)


@blp.post("/partners/<int:partner_id>/agreements")
@roles_required(Role.MANAGER)
@idempotent
@blp.arguments(AgreementSchema)
@blp.response(201, AgreementSchema)
def add_agreement(data, partner_id):
    """Add a memorandum with a host facility or another party, with its period."""
    partner = services.get_partner(db.session, partner_id)
    return services.add_agreement(db.session, partner, data, actor=current_user, now=now())


@blp.post("/partnerships")
@roles_required(Role.MANAGER)
@idempotent
@blp.arguments(PartnershipSchema)
@blp.response(201, PartnershipSchema)
def create_partnership(data):
    """Twin a partner institution with a host facility for a period, with its aims."""
    return services.create_partnership(db.session, data, actor=current_user, now=now())


@blp.get("/partnerships/<int:partnership_id>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.response(200, PartnershipSchema)
def get_partnership(partnership_id):
    """One partnership (managers, and coordinators of its facility)."""
    return services.get_partnership(db.session, partnership_id, actor=current_user)


@blp.put("/professionals/<int:professional_id>/employer")
@roles_required(Role.MANAGER)
@blp.arguments(EmployerSchema)
@blp.response(204)
def set_employer(data, professional_id):
    """Record the partner institution a professional works for (the basis of release and leave
    agreements; ties their missions to its partnerships), or none."""
    professional = services.get_professional(db.session, professional_id)
    partner = services.get_partner(db.session, data["partner_id"]) if data["partner_id"] else None
    services.set_employer(db.session, professional, partner, actor=current_user, now=now(),
                          since=data.get("since"))
