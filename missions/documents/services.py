"""The documents of a mission: its coordinators and managers add them (terms, invitation
letter, receipts); the mission's professional, coordinators and managers read them, each read
audited."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from diaspora.documents import services as documents
from diaspora.documents.models import Document
from diaspora.errors import Forbidden, Invalid, NotFound
from diaspora.privacy.scrub import scrubber_for
from diaspora.professionals.models import Professional
from diaspora.security import Actor
from diaspora.vocabulary import MANAGERS, Role

from ..core.access import relation
from ..core.models import Mission
from .models import MissionDocument

ADDERS = (Role.COORDINATOR, *MANAGERS)


def may_add(session: Session, actor: Actor, mission: Mission) -> bool:
    return relation(session, actor, mission) in ADDERS


def listed(session: Session, mission: Mission) -> list[Document]:
    return list(session.scalars(sa.select(Document).join(
        MissionDocument, MissionDocument.document_id == Document.id).where(
        MissionDocument.mission_id == mission.id).order_by(Document.uploaded_at, Document.id)))


def add(session: Session, mission: Mission, data: bytes, *, filename: str | None, purpose: str,
        actor: Actor, now: datetime) -> Document:
    if not may_add(session, actor, mission):
        raise Forbidden(_("Only the host facility's coordinators and the programme's managers "
                          "add documents to a mission."))
    if not purpose:
        raise Invalid(errors={"purpose": [_("Choose what the document is.")]})
    return documents.store(
        session, data, filename=filename, purpose=purpose, actor=actor, now=now,
        attach=lambda document: session.add(MissionDocument(document_id=document.id,
                                                            mission_id=mission.id)),
        same=sa.select(Document).join(MissionDocument, MissionDocument.document_id == Document.id)
        .where(MissionDocument.mission_id == mission.id))


def open_document(session: Session, mission: Mission, document_id: int, *, actor: Actor,
                  now: datetime) -> tuple[Document, bytes]:
    """A document of ``mission`` for someone who may see the mission."""
    linked = session.scalar(sa.select(MissionDocument).where(
        MissionDocument.document_id == document_id, MissionDocument.mission_id == mission.id))
    if linked is None:
        raise NotFound(_("No such document."))
    return documents.open_document(session, document_id, actor=actor, now=now,
                                   may=lambda _document: relation(session, actor, mission) is not None)


def scrub_mission_documents(session: Session, user, now: datetime) -> None:
    """Erasure: the names of her missions' documents (a receipt's file name may name her) lose
    her identifiers; the files stay with the mission (its terms, its accounts)."""
    their_missions = sa.select(Mission.id).join(Professional).where(Professional.user_id == user.id)
    scrubber_for(session, user).rows(session.scalars(
        sa.select(Document).join(MissionDocument, MissionDocument.document_id == Document.id)
        .where(MissionDocument.mission_id.in_(their_missions))), "filename")
