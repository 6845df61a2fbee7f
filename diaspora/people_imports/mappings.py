"""Saved column mappings: a manager names the mapping of a file's columns to fields for one of
their programmes; a later file with the same header (same columns once folded, in any order)
gets it proposed. Managers see and delete the mappings of their programmes (admins: all)."""
from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..db import unit_of_work
from ..errors import Forbidden, Invalid, NotFound
from ..programmes import access
from ..programmes.models import Programme
from ..vocabulary import MANAGERS
from . import services
from .models import SavedMapping


def header_key(header: list[str]) -> str:
    columns = sorted({services.fold(column) for column in header if column.strip()})
    return hashlib.sha256("\n".join(columns).encode()).hexdigest()


def _programme_ids(session, actor) -> list[int]:
    return [programme.id for programme in access.programmes_for(session, actor)]


def proposed(session, header: list[str], *, actor,
             programme_id: int | None = None) -> tuple[SavedMapping | None, dict[str, str]]:
    """The latest saved mapping, of the actor's programmes (or of the one chosen), whose header
    is this one; and the mapping it gives (column of this file → field)."""
    ids = _programme_ids(session, actor)
    if programme_id is not None:
        ids = [i for i in ids if i == programme_id]
    if not ids or not header:
        return None, {}
    saved = session.scalar(sa.select(SavedMapping).where(
        SavedMapping.header_key == header_key(header), SavedMapping.programme_id.in_(ids))
        .order_by(SavedMapping.id.desc()).limit(1))
    if saved is None:
        return None, {}
    mapping = {column: saved.mapping[services.fold(column)] for column in header
               if saved.mapping.get(services.fold(column)) in services.FIELDS}
    return saved, mapping


def save(session, *, programme_id, name: str, header: list[str], mapping: dict[str, str],
         actor, now: datetime) -> SavedMapping:
    """Save (or replace, under the same name) the programme's mapping of this header."""
    _require_manager(actor)
    errors = {}
    name = (name or "").strip()
    if not name or len(name) > 100:
        errors["mapping_name"] = [_("Give the mapping a name (at most 100 characters).")]
    programme = session.get(Programme, programme_id) if isinstance(programme_id, int) else None
    if programme is None:
        errors["programme_id"] = [_("Choose one of your programmes.")]
    fields = {services.fold(column): field for column, field in mapping.items()
              if field in services.FIELDS}
    if not fields:
        errors["mapping"] = [_("Map at least one column before saving.")]
    if errors:
        raise Invalid(_("Please correct the fields shown."), errors=errors)
    if not access.manages_programme(session, actor, programme):
        raise Forbidden(_("You do not manage this programme."))
    key = header_key(header)
    try:
        with unit_of_work(session):
            saved = session.scalar(sa.select(SavedMapping).where(
                SavedMapping.programme_id == programme.id, SavedMapping.name == name))
            if saved is None:
                saved = SavedMapping(programme_id=programme.id, name=name)
                session.add(saved)
            saved.header_key, saved.mapping = key, fields
            saved.created_by_id, saved.created_at = getattr(actor, "id", None), now
            session.flush()
            audit.record(session, now=now, actor=actor, action="update", entity="import_mapping",
                         entity_id=saved.id, detail={"programme": programme.id})
    except IntegrityError as error:  # the same name saved at the same moment
        raise Invalid(_("A mapping of this programme already has this name."),
                      errors={"mapping_name": [_("A mapping of this programme already has this "
                                                 "name.")]}) from error
    return saved


def _require_manager(actor) -> None:
    if getattr(actor, "role", None) not in MANAGERS:
        raise Forbidden(_("Only programme managers manage column mappings."))


def listed(session, *, actor) -> list[SavedMapping]:
    _require_manager(actor)
    return list(session.scalars(
        sa.select(SavedMapping).join(Programme).where(
            SavedMapping.programme_id.in_(_programme_ids(session, actor)))
        .order_by(Programme.name, SavedMapping.name)))


def delete(session, mapping_id: int, *, actor, now: datetime) -> None:
    _require_manager(actor)
    saved = session.get(SavedMapping, mapping_id)
    if saved is None:
        raise NotFound(_("No such mapping."))
    if not access.manages_programme(session, actor, saved.programme):
        raise Forbidden(_("You do not manage this programme."))
    with unit_of_work(session):
        session.delete(saved)
        audit.record(session, now=now, actor=actor, action="delete", entity="import_mapping",
                     entity_id=mapping_id)
