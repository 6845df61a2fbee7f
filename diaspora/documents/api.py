"""JSON API for documents (issue 18): a professional's own papers (list, upload, download,
delete) and, for the managers of their programmes, listing them and verifying a licence or a
qualification against one."""
from __future__ import annotations

from flask_login import current_user
from flask_smorest.fields import Upload
from marshmallow import fields

from ..apispec import ApiBlueprint
from ..clock import now
from ..extensions import db
from ..professionals import services as professionals
from ..professionals.schemas import LicenceSchema
from ..schemas import BaseSchema
from ..security import roles_required
from ..vocabulary import Role
from . import services
from .schemas import PersonalUploadSchema, VerificationSchema
from .uploads import upload_route
from .views import send
from .vocabulary import EVIDENCE

blp = ApiBlueprint("documents_api", __name__, url_prefix="/api/v1", tags={
    "Your documents": "A professional keeps scans of their licences, qualifications and "
                      "registrations; every read is audited.",
    "Verification": "The managers of a professional's programmes read their documents and "
                    "verify a licence or a qualification against one, naming the register "
                    "they checked.",
})
upload_route("documents_api.upload_document")
KINDS = "<any(" + ", ".join(EVIDENCE) + "):kind>"


class DocumentSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    purpose = fields.String(dump_only=True)
    filename = fields.String(dump_only=True)
    content_type = fields.String(dump_only=True)
    size = fields.Integer(dump_only=True, metadata={"description": "In bytes"})
    sha256 = fields.String(dump_only=True)
    uploaded_at = fields.AwareDateTime(dump_only=True)


class FileSchema(BaseSchema):
    file = Upload(required=True, metadata={"description": "A PDF, PNG, JPEG or WebP file"})


class VerificationOutSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    document_id = fields.Integer(dump_only=True)
    licence_id = fields.Integer(dump_only=True, allow_none=True)
    qualification_id = fields.Integer(dump_only=True, allow_none=True)
    register = fields.String(dump_only=True)
    verified_at = fields.AwareDateTime(dump_only=True)


@blp.get("/documents")
@roles_required(Role.PROFESSIONAL)
@blp.response(200, DocumentSchema(many=True))
@blp.answers(404, "You have no professional profile.")
def list_documents():
    """Your documents, oldest first."""
    return services.documents_of_professional(
        db.session, professionals.own_profile(db.session, current_user))


@blp.post("/documents")
@roles_required(Role.PROFESSIONAL)
@blp.arguments(PersonalUploadSchema, location="form")
@blp.arguments(FileSchema, location="files")
@blp.response(201, DocumentSchema)
@blp.answers(404, "You have no professional profile.")
@blp.answers(413, "The file is larger than the document limit.")
@blp.answers(422, "Not a PDF or an image (checked by content), empty, too big, or no purpose.")
def upload_document(form, files):
    """Add a document (multipart/form-data: ``purpose`` and ``file``). The same file sent
    again for the same purpose answers the document already kept."""
    upload = files["file"]
    data = upload.read(services.max_bytes() + 1)
    return services.upload_own(db.session, current_user, data, filename=upload.filename,
                               purpose=form["purpose"], now=now())


@blp.get("/documents/<int:document_id>")
@roles_required(Role.PROFESSIONAL, Role.MANAGER)
@blp.response(200, content_type="application/octet-stream",
              description="The file as uploaded (its own content type), as an attachment")
@blp.answers(403, "Not your document, nor of someone in a programme you manage (audited).")
def download_document(document_id):
    """A document's file: yours, or, as a manager, of someone in your programmes (audited)."""
    document, data = services.open_document(db.session, document_id, actor=current_user, now=now())
    return send(document, data)


@blp.delete("/documents/<int:document_id>")
@roles_required(Role.PROFESSIONAL)
@blp.response(204)
@blp.answers(409, "A verification rests on this document: it is kept.")
def delete_document(document_id):
    """Remove one of your documents and its file."""
    services.delete_own(db.session, document_id, actor=current_user, now=now())


@blp.get("/professionals/<int:professional_id>/documents", tags=["Verification"])
@roles_required(Role.MANAGER)
@blp.response(200, DocumentSchema(many=True))
@blp.answers(403, "This person is in none of your programmes.")
def list_professional_documents(professional_id):
    """A professional's documents, for the managers of their programmes (audited)."""
    professional = professionals.get_professional(db.session, professional_id, actor=current_user,
                                                  now=now())
    return services.list_for(db.session, professional, actor=current_user)


@blp.post(f"/professionals/<int:professional_id>/{KINDS}/<int:child_id>/verification",
          tags=["Verification"])
@roles_required(Role.MANAGER)
@blp.arguments(VerificationSchema)
@blp.response(201, VerificationOutSchema)
@blp.answers(403, "Only the managers of this person's programmes verify their papers.")
@blp.answers(422, "The document is not theirs or does not show this, or the licence has ended.")
def verify_against_document(data, professional_id, kind, child_id):
    """Verify a licence or a qualification against one of the person's documents and a
    register; a licence then counts as verified while it stays as checked and in force."""
    professional = professionals.get_professional(db.session, professional_id, actor=current_user,
                                                  now=now())
    return services.verify(db.session, professional, kind, child_id, data, actor=current_user,
                           now=now())


@blp.post("/professionals/<int:professional_id>/licences/<int:licence_id>/verify",
          tags=["Verification"])
@roles_required(Role.MANAGER)
@blp.arguments(VerificationSchema)
@blp.response(200, LicenceSchema)
@blp.answers(403, "Only the managers of this person's programmes verify their papers.")
@blp.answers(422, "No evidence named, or the document does not show this licence, or it ended.")
def verify_licence(data, professional_id, licence_id):
    """Verify a licence (kept for compatibility): it now needs the evidence,
    ``document_id`` and ``register``, as ``verifyAgainstDocument`` does."""
    professional = professionals.get_professional(db.session, professional_id, actor=current_user,
                                                  now=now())
    services.verify(db.session, professional, "licences", licence_id, data, actor=current_user,
                    now=now())
    return professionals.get_child(db.session, professional, "licences", licence_id)
