"""JSON API for professionals: their own profile (self-service) and, for managers, the registry."""
from __future__ import annotations

from flask_login import current_user

from ..apispec import ApiBlueprint, page_of
from ..clock import now
from ..extensions import db
from ..idempotency import idempotent
from ..security import roles_required
from ..vocabulary import Role
from . import services
from .schemas import (
    ConsentSchema,
    ContactQuerySchema,
    ContactSchema,
    LicenceSchema,
    ProfessionalQuerySchema,
    ProfessionalSchema,
    ProfileUpdateSchema,
    QualificationSchema,
    RegistryProfessionalSchema,
    WindowSchema,
)

blp = ApiBlueprint("professionals_api", __name__, url_prefix="/api/v1/professionals", tags={
    "Your profile": "A diaspora health professional keeps their own profile: qualifications, "
                    "licences, availability windows and consent to be matched.",
    "Professionals": "Programme managers search the registry and verify licences; every read "
                     "of a profile is audited.",
})
NO_PROFILE = "You have no professional profile."

# The parts of a profile: (plural, singular) → schema.
CHILD_SCHEMAS = {
    ("qualifications", "qualification"): QualificationSchema,
    ("licences", "licence"): LicenceSchema,
    ("windows", "window"): WindowSchema,
}


def _me():
    return services.own_profile(db.session, current_user)


@blp.get("/me")
@roles_required(Role.PROFESSIONAL)
@blp.etag
@blp.response(200, ProfessionalSchema)
@blp.answers(404, NO_PROFILE)
def get_my_profile():
    """Your profile."""
    return _me()


@blp.patch("/me")
@roles_required(Role.PROFESSIONAL)
@blp.arguments(ProfileUpdateSchema)
@blp.response(200, ProfessionalSchema)
@blp.answers(404, NO_PROFILE)
def update_my_profile(data):
    """Change your profile; lists (specialties, skills, languages) are replaced as a whole."""
    return services.update_profile(db.session, _me(), data, actor=current_user, now=now())


@blp.put("/me/consent")
@roles_required(Role.PROFESSIONAL)
@blp.arguments(ConsentSchema)
@blp.response(200, ProfessionalSchema)
@blp.answers(404, NO_PROFILE)
def set_my_consent(data):
    """Give or withdraw the registry consent. Withdrawing removes you from matching at once."""
    return services.set_consent(db.session, _me(), data["given"], actor=current_user, now=now())


@blp.put("/me/consent/programmes/<int:programme_id>")
@roles_required(Role.PROFESSIONAL)
@blp.arguments(ConsentSchema)
@blp.response(200, ProfessionalSchema)
@blp.answers(404, NO_PROFILE)
def set_programme_consent(data, programme_id):
    """Give or withdraw consent to one programme (only a running one can be given): a need of
    a programme is matched only with professionals who consented to it. Withdrawing cancels
    your pending proposals for that programme's needs."""
    return services.set_programme_consent(db.session, _me(), programme_id, data["given"],
                                          actor=current_user, now=now())


def _register_child_routes(kind: str, one: str, schema) -> None:
    """List/add/change/remove routes for one kind of profile part (qualifications, ...)."""
    update_schema = schema(partial=True)

    @blp.get(f"/me/{kind}", endpoint=f"list_{kind}")
    @roles_required(Role.PROFESSIONAL)
    @blp.etag
    @blp.response(200, schema(many=True))
    @blp.answers(404, NO_PROFILE)
    @blp.doc(summary=f"List your {kind}.")
    def list_children():
        return getattr(_me(), kind)

    @blp.post(f"/me/{kind}", endpoint=f"add_{one}")
    @roles_required(Role.PROFESSIONAL)
    @idempotent
    @blp.arguments(schema)
    @blp.response(201, schema)
    @blp.answers(404, NO_PROFILE)
    @blp.doc(summary=f"Add a {one} to your profile.")
    def add_child(data):
        return services.add_child(db.session, _me(), kind, data, actor=current_user, now=now())

    @blp.patch(f"/me/{kind}/<int:child_id>", endpoint=f"update_{one}")
    @roles_required(Role.PROFESSIONAL)
    @blp.arguments(update_schema)
    @blp.response(200, schema)
    @blp.doc(summary=f"Change one of your {kind}.")
    def update_child(data, child_id):
        return services.update_child(db.session, _me(), kind, child_id, data,
                                     actor=current_user, now=now())

    @blp.delete(f"/me/{kind}/<int:child_id>", endpoint=f"delete_{one}")
    @roles_required(Role.PROFESSIONAL)
    @blp.response(204)
    @blp.doc(summary=f"Remove one of your {kind}.")
    def delete_child(child_id):
        services.delete_child(db.session, _me(), kind, child_id, actor=current_user, now=now())


for (_kind, _one), _schema in CHILD_SCHEMAS.items():
    _register_child_routes(_kind, _one, _schema)


@blp.get("", tags=["Professionals"])
@roles_required(Role.MANAGER)
@blp.etag
@blp.arguments(ProfessionalQuerySchema, location="query")
@blp.response(200, RegistryProfessionalSchema(many=True))
@blp.paginate()
def list_professionals(args, pagination_parameters):
    """The registry (programme managers only; every list is audited). No contacts: read one
    person's contact with ``GET /professionals/<id>/contact`` or through a mission."""
    statement = services.list_professionals(db.session, actor=current_user, now=now(), **args)
    return page_of(db.session, statement.options(*services.profile_loading()), pagination_parameters)


@blp.get("/<int:professional_id>", tags=["Professionals"])
@roles_required(Role.PROFESSIONAL, Role.MANAGER)
@blp.etag
@blp.response(200, RegistryProfessionalSchema)
@blp.answers(403, "You cannot see this profile (only your own, or a programme manager).")
def get_professional(professional_id):
    """One profile: yourself, or as a manager (audited); without the contact."""
    return services.get_professional(db.session, professional_id, actor=current_user, now=now())


@blp.get("/<int:professional_id>/contact", tags=["Professionals"])
@roles_required(Role.MANAGER)
@blp.arguments(ContactQuerySchema, location="query")
@blp.response(200, ContactSchema)
def get_contact(args, professional_id):
    """One professional's e-mail and phone, for a stated purpose (managers; every read is
    audited). For a mission, read it through ``GET /missions/<id>/contact``."""
    return services.manager_reads_contact(db.session, professional_id, args["purpose"],
                                          actor=current_user, now=now())
