"""Programmes and organisations: kept by programme managers, readable by every signed-in user."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..auth.models import User
from ..db import unit_of_work
from ..errors import Conflict, Forbidden, Invalid, NotFound
from . import access
from .models import Organisation, Programme

ENTITIES = {"programme": Programme, "organisation": Organisation}


def _require_manager(session, actor: User, record=None) -> None:
    """Managers keep organisations; a programme is changed by its own managers (and admins)."""
    if not actor.is_manager:
        raise Forbidden(_("Only programme managers can change this."))
    if isinstance(record, Programme) and not access.manages_programme(session, actor, record):
        raise Forbidden(_("You do not manage this programme."))


def get(session, entity: str, entity_id: int):
    record = session.get(ENTITIES[entity], entity_id)
    if record is None:
        raise NotFound(_("Not found."))
    return record


def query(entity: str, q: str | None = None) -> sa.Select:
    model = ENTITIES[entity]
    statement = sa.select(model).order_by(model.name)
    if q:
        statement = statement.where(sa.func.lower(model.name).like(f"%{q.strip().lower()}%"))
    return statement


def save(session, entity: str, data: dict, *, actor: User, now: datetime, record=None):
    """Create (``record`` None) or update a programme or organisation. A programme manager
    who creates a programme is among its managers."""
    _require_manager(session, actor, record)
    model = ENTITIES[entity]
    data = dict(data)
    manager_ids = data.pop("manager_ids", None)
    creating = record is None
    with unit_of_work(session):
        if creating:
            record = model()
            session.add(record)
        try:
            with session.no_autoflush:
                for field, value in data.items():
                    setattr(record, field, value)
                if entity == "programme":
                    _check_period(record)
                    if manager_ids is not None:
                        record.managers = _managers(session, manager_ids)
                    if creating and access.is_bounded(actor) and actor not in record.managers:
                        record.managers.append(actor)
            session.flush()
        except IntegrityError as error:
            raise Conflict(_("A record with this name already exists."), errors={
                "name": [_("A record with this name already exists.")]}) from error
        audit.record(session, now=now, actor=actor, action="create" if creating else "update",
                     entity=entity, entity_id=record.id)
    return record


def delete(session, entity: str, record, *, actor: User, now: datetime) -> None:
    _require_manager(session, actor, record)
    with unit_of_work(session):
        session.delete(record)
        try:
            session.flush()
        except IntegrityError as error:
            raise Conflict(_("This record is still in use.")) from error
        audit.record(session, now=now, actor=actor, action="delete", entity=entity,
                     entity_id=record.id)


def _check_period(programme: Programme) -> None:
    if programme.ends_on is not None and programme.starts_on is not None \
            and programme.ends_on < programme.starts_on:
        raise Invalid(errors={"ends_on": [_("The programme cannot end before it starts.")]})


def _managers(session, user_ids: list[int]) -> list[User]:
    users = list(session.scalars(sa.select(User).where(User.id.in_(user_ids))))
    if len(users) != len(set(user_ids)) or any(not u.is_manager for u in users):
        raise Invalid(errors={"manager_ids": [_("Choose programme managers or admins.")]})
    return users
