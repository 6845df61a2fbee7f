"""Receipts on cost lines: a receipt uploaded among a mission's documents is attached to the
cost line it proves, and shown (and opened, audited) on that line's page.

Only the programme's managers — who enter and approve costs — attach, detach and open them
there. A receipt stays a document of its mission: removing the line keeps it (the link is
``SET NULL``); the documents' retention rule removes it with its link; a professional's
erasure scrubs its file name like every document of her missions.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from diaspora import audit
from diaspora.db import unit_of_work
from diaspora.documents import services as documents
from diaspora.documents.models import Document
from diaspora.documents.vocabulary import DocumentPurpose
from diaspora.errors import Invalid, NotFound
from diaspora.security import Actor

from ..costs.models import CostLine
from ..costs.services import require_manager_of
from .models import MissionDocument


def _receipts(mission_id: int) -> sa.Select:
    return sa.select(Document).join(MissionDocument, MissionDocument.document_id == Document.id) \
        .where(MissionDocument.mission_id == mission_id, Document.purpose == DocumentPurpose.RECEIPT)


def of_line(session: Session, line: CostLine) -> list[Document]:
    return list(session.scalars(_receipts(line.mission_id).where(
        MissionDocument.cost_line_id == line.id).order_by(Document.uploaded_at, Document.id)))


def attachable(session: Session, line: CostLine) -> list[Document]:
    """The mission's receipts no line holds yet."""
    return list(session.scalars(_receipts(line.mission_id).where(
        MissionDocument.cost_line_id.is_(None)).order_by(Document.uploaded_at, Document.id)))


def counts(session: Session, mission_id: int) -> dict[int, int]:
    """Receipts per cost line of a mission (for its costs table)."""
    return dict(session.execute(sa.select(MissionDocument.cost_line_id, sa.func.count()).where(
        MissionDocument.mission_id == mission_id, MissionDocument.cost_line_id.is_not(None))
        .group_by(MissionDocument.cost_line_id)).all())


def attach(session: Session, line: CostLine, document_id: int | None, *, actor: Actor,
           now: datetime) -> Document:
    require_manager_of(session, actor, line.mission)
    link = session.scalar(sa.select(MissionDocument).join(Document).where(
        MissionDocument.document_id == (document_id or 0),
        MissionDocument.mission_id == line.mission_id, Document.purpose == DocumentPurpose.RECEIPT))
    if link is None or link.cost_line_id not in (None, line.id):
        message = _("Choose one of this mission's receipts that no other cost line holds.")
        raise Invalid(message, errors={"document_id": [message]})
    with unit_of_work(session):
        link.cost_line_id = line.id
        audit.record(session, now=now, actor=actor, action="update", entity="cost_line",
                     entity_id=line.id, detail={"receipt": link.document_id})
    return link.document


def detach(session: Session, line: CostLine, document_id: int, *, actor: Actor,
           now: datetime) -> None:
    require_manager_of(session, actor, line.mission)
    link = _link(session, line, document_id)
    with unit_of_work(session):
        link.cost_line_id = None
        audit.record(session, now=now, actor=actor, action="update", entity="cost_line",
                     entity_id=line.id, detail={"receipt_removed": document_id})


def open_receipt(session: Session, line: CostLine, document_id: int, *, actor: Actor,
                 now: datetime) -> tuple[Document, bytes]:
    """A receipt of ``line`` for one of the mission's managers (the reading audited)."""
    require_manager_of(session, actor, line.mission)
    _link(session, line, document_id)
    return documents.open_document(session, document_id, actor=actor, now=now,
                                   may=lambda _document: True)


def _link(session: Session, line: CostLine, document_id: int) -> MissionDocument:
    link = session.scalar(sa.select(MissionDocument).where(
        MissionDocument.document_id == document_id, MissionDocument.cost_line_id == line.id))
    if link is None:
        raise NotFound(_("This cost line has no such receipt."))
    return link
