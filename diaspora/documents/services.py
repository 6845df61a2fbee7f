"""The rules of documents: who may upload, read and delete them, and verifying a licence or a
qualification against one.

A file is checked (``checks``) before anything is kept, written to the storage under a random
key, then recorded; if the record cannot be made the file is removed again, and a deleted
record's file goes when the deletion commits, so no file is kept without its row nor a row
without its file. Every read of a file is an audit row, and so is every refusal.
"""
from __future__ import annotations

import base64
import hashlib
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from .. import audit
from ..auth.models import User
from ..db import unit_of_work
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..hooks import registry_hooks
from ..professionals import services as professionals
from ..professionals.models import Licence, Professional, ProgrammeConsent, Qualification
from ..programmes.models import programme_managers
from ..security import Actor
from ..vocabulary import MANAGERS, Role
from . import checks
from .models import Document, Verification
from .storage import delete_after_commit, new_key, storage_for
from .vocabulary import EVIDENCE, PERSONAL

DEFAULT_FILENAME = "document"


def max_bytes() -> int:
    return current_app.config["DOCUMENT_MAX_BYTES"]


def clean_filename(name: str | None) -> str:
    """The name shown and offered on download: no path, no control characters, 200 at most."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name)
                   if unicodedata.category(c)[0] not in ("C",) and c not in '"<>')
    return name.strip()[:200] or DEFAULT_FILENAME


# --- storing ------------------------------------------------------------------------------

def store(session, data: bytes, *, filename: str | None, purpose: str, actor: Actor,
          now: datetime, professional: Professional | None = None,
          attach: Callable[[Document], None] | None = None,
          same: sa.Select | None = None) -> Document:
    """Check ``data``, keep it, and record it (``attach`` links it inside the same transaction).
    The caller has checked that ``actor`` may add this document.

    Uploads are idempotent by content: the same bytes sent again for the same purpose (a
    double click, a form sent twice) give back the document already kept, among those
    ``same`` selects (by default the professional's)."""
    content_type = checks.content_type_of(data, max_bytes())
    digest = hashlib.sha256(data).hexdigest()
    if same is None:
        same = sa.select(Document).where(Document.professional_id == professional.id) \
            if professional is not None else None
    same_file = same.where(Document.purpose == purpose, Document.sha256 == digest).limit(1) \
        if same is not None else None
    if same_file is not None:
        kept = session.scalar(same_file)
        if kept is not None:
            return kept
    storage = storage_for()
    key = new_key()
    storage.put(key, data, content_type)
    try:
        with unit_of_work(session):
            document = Document(
                professional_id=professional.id if professional else None, purpose=purpose,
                filename=clean_filename(filename), content_type=content_type, size=len(data),
                sha256=digest, storage_key=key,
                uploaded_by_id=actor.id, uploaded_at=now)
            session.add(document)
            session.flush()
            if attach is not None:
                attach(document)
            audit.record(session, now=now, actor=actor, action="create", entity="document",
                         entity_id=document.id, detail={"purpose": purpose})
    except sa.exc.IntegrityError:
        storage.delete(key)   # nothing recorded: nothing kept
        # The same file sent twice at once: the database kept the other upload (the unique
        # owner + purpose + hash), which is the answer to this one too.
        kept = session.scalar(same_file) if same_file is not None else None
        if kept is None:
            raise
        return kept
    except BaseException:
        storage.delete(key)   # nothing recorded: nothing kept
        raise
    return document


def upload_own(session, actor: User, data: bytes, *, filename: str | None, purpose: str,
               now: datetime) -> Document:
    """A professional adds one of their own papers."""
    professional = professionals.own_profile(session, actor)
    if purpose not in PERSONAL:
        raise Invalid(errors={"purpose": [_("Choose what the document is.")]})
    return store(session, data, filename=filename, purpose=purpose, actor=actor, now=now,
                 professional=professional)


def content(document: Document) -> bytes:
    return storage_for().get(document.storage_key)


def delete_document(session, document: Document, *, actor: Actor, now: datetime) -> None:
    """Remove a record and, once that is committed, its file."""
    with unit_of_work(session):
        audit.record(session, now=now, actor=actor, action="delete", entity="document",
                     entity_id=document.id)
        delete_after_commit(session, storage_for(), [document.storage_key])
        session.delete(document)


def delete_own(session, document_id: int, *, actor: User, now: datetime) -> None:
    """The owner removes a document, unless a verification rests on it."""
    document = session.get(Document, document_id)
    if document is None or document.professional is None \
            or document.professional.user_id != actor.id:
        raise NotFound(_("No such document."))
    if session.scalar(sa.select(Verification.id).where(Verification.document_id == document.id)):
        raise Conflict(_("A verification rests on this document: it is kept."))
    delete_document(session, document, actor=actor, now=now)


# --- reading ------------------------------------------------------------------------------

def manages_professional(session, actor: Actor, professional: Professional) -> bool:
    """Admins, and the managers of a programme the professional consented to."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.MANAGER:
        return False
    return session.scalar(sa.select(sa.literal(True)).select_from(ProgrammeConsent).join(
        programme_managers, programme_managers.c.programme_id == ProgrammeConsent.programme_id)
        .where(ProgrammeConsent.professional_id == professional.id,
               ProgrammeConsent.given.is_(True), programme_managers.c.user_id == actor.id)
        .limit(1)) is not None


def may_read(session, actor: Actor, document: Document) -> bool:
    """A personal document: its owner and the managers of their programmes. (Mission
    documents are read through their mission, whose rule the missions package applies.)"""
    professional = document.professional
    if professional is None:
        return False
    return professional.user_id == actor.id or manages_professional(session, actor, professional)


def open_document(session, document_id: int, *, actor: Actor, now: datetime,
                  may: Callable[[Document], bool] | None = None) -> tuple[Document, bytes]:
    """A document and its bytes, for an actor allowed to read it (``may``, else
    ``may_read``). The read is audited, and so is a refusal."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(_("No such document."))
    allowed = may(document) if may else may_read(session, actor, document)
    with unit_of_work(session):
        audit.record(session, now=now, actor=actor, action="read" if allowed else "denied",
                     entity="document", entity_id=document.id)
    if not allowed:
        raise Forbidden(_("This document is not yours to see."))
    return document, content(document)


def documents_of_professional(session, professional: Professional) -> list[Document]:
    return list(session.scalars(sa.select(Document).where(
        Document.professional_id == professional.id).order_by(Document.uploaded_at, Document.id)))


def list_for(session, professional: Professional, *, actor: Actor) -> list[Document]:
    """The professional's documents, for themself or their programmes' managers."""
    if professional.user_id != actor.id and not manages_professional(session, actor, professional):
        raise Forbidden(_("These documents are not yours to see."))
    return documents_of_professional(session, professional)


# --- verification -------------------------------------------------------------------------

def verify(session, professional: Professional, kind: str, child_id: int, data: dict, *,
           actor: Actor, now: datetime) -> Verification:
    """A manager checked a licence (or qualification) against a document of the professional
    and a register; ``data``: ``document_id``, ``register``."""
    if actor.role not in MANAGERS or not manages_professional(session, actor, professional):
        raise Forbidden(_("Only the managers of this person's programmes verify their papers."))
    if kind not in EVIDENCE:
        raise NotFound(_("Not found."))
    child = professionals.get_child(session, professional, kind, child_id)
    document = session.get(Document, data["document_id"])
    if document is None or document.professional_id != professional.id \
            or document.purpose not in EVIDENCE[kind]:
        raise Invalid(errors={"document_id": [_("Choose one of this person's documents that "
                                                "shows it.")]})
    if kind == "licences" and child.valid_until < now.date():
        raise Invalid(errors={"_schema": [_("This licence has ended: it cannot be verified.")]})
    with unit_of_work(session):
        verification = Verification(
            document_id=document.id, register=data["register"], verified_by_id=actor.id,
            verified_at=now, country=child.country,
            licence_id=child.id if kind == "licences" else None,
            qualification_id=child.id if kind == "qualifications" else None,
            number=getattr(child, "number", None), valid_from=getattr(child, "valid_from", None),
            valid_until=getattr(child, "valid_until", None))
        session.add(verification)
        if kind == "licences":
            child.verified_at = now
            child.verified_by_id = actor.id
        session.flush()
        audit.record(session, now=now, actor=actor, action="update", entity=kind.removesuffix("s"),
                     entity_id=child.id, detail={"verified": True, "document": document.id})
        if kind == "licences":
            for hook in registry_hooks().licence_verified:
                hook(session, verification, actor=actor, now=now)
    return verification


def verifications_of(session, professional: Professional) -> list[Verification]:
    licence_ids = sa.select(Licence.id).where(Licence.professional_id == professional.id)
    qualification_ids = sa.select(Qualification.id).where(
        Qualification.professional_id == professional.id)
    return list(session.scalars(sa.select(Verification).where(sa.or_(
        Verification.licence_id.in_(licence_ids),
        Verification.qualification_id.in_(qualification_ids))).order_by(Verification.verified_at)))


def holding_verification(session, licence: Licence) -> Verification | None:
    """The latest verification that still describes ``licence`` (see ``Verification.holds_for``)."""
    for verification in session.scalars(sa.select(Verification).where(
            Verification.licence_id == licence.id).order_by(Verification.verified_at.desc())):
        if verification.holds_for(licence):
            return verification
    return None


def verified_licence_ids(session, licences) -> set[int]:
    """Of ``licences``, those verified as they stand (one query for a list of people)."""
    by_id = {licence.id: licence for licence in licences}
    if not by_id:
        return set()
    rows = session.scalars(sa.select(Verification).where(Verification.licence_id.in_(by_id)))
    return {row.licence_id for row in rows if row.holds_for(by_id[row.licence_id])}


# --- privacy ------------------------------------------------------------------------------

def _professional_of(session, user: User) -> Professional | None:
    return session.scalar(sa.select(Professional).where(Professional.user_id == user.id))


def documents_of(session, user: User) -> tuple[str, list[dict]]:
    """The person's files, bytes included (base64), for their data export."""
    professional = _professional_of(session, user)
    if professional is None:
        return "documents", []
    return "documents", [{
        "id": d.id, "purpose": d.purpose, "filename": d.filename, "content_type": d.content_type,
        "size": d.size, "sha256": d.sha256, "uploaded_at": d.uploaded_at.isoformat(),
        "content_base64": base64.b64encode(content(d)).decode("ascii"),
        "verifications": [{"register": v.register, "verified_at": v.verified_at.isoformat(),
                           "licence_id": v.licence_id, "qualification_id": v.qualification_id}
                          for v in session.scalars(sa.select(Verification)
                                                   .where(Verification.document_id == d.id))],
    } for d in documents_of_professional(session, professional)]


def erase_documents(session, user: User, now: datetime) -> None:
    """Erasure: the person's documents (and the verifications resting on them) go; their files
    are removed from the storage once the erasure commits."""
    professional = _professional_of(session, user)
    if professional is None:
        return
    documents = documents_of_professional(session, professional)
    session.execute(sa.delete(Verification).where(
        Verification.document_id.in_([d.id for d in documents])))
    delete_after_commit(session, storage_for(), [d.storage_key for d in documents])
    for document in documents:
        session.delete(document)


def retention_candidates(session, *, now: datetime) -> list[Document]:
    """Documents older than ``DOCUMENT_RETENTION_DAYS`` that no verification of a licence still
    in force rests on (a licence scan goes once its licence has ended and the period passed)."""
    cutoff = now - timedelta(days=current_app.config["DOCUMENT_RETENTION_DAYS"])
    in_force = sa.select(Verification.document_id).join(Licence).where(
        Licence.valid_until >= now.date())
    return list(session.scalars(sa.select(Document).where(
        Document.uploaded_at < cutoff, Document.id.not_in(in_force)).order_by(Document.id)))


def apply_retention(session, *, now: datetime) -> int:
    """Remove the documents past retention (their files after the commit)."""
    expired = retention_candidates(session, now=now)
    with unit_of_work(session):
        for document in expired:
            session.execute(sa.delete(Verification).where(Verification.document_id == document.id))
            audit.record(session, now=now, actor=None, action="delete", entity="document",
                         entity_id=document.id, detail={"retention": True})
            delete_after_commit(session, storage_for(), [document.storage_key])
            session.delete(document)
    return len(expired)
