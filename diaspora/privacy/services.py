"""Export everything held about a person, and erase it on request.

Erasure removes or anonymises personal data while programme statistics stay correct: the user
and professional rows remain (so missions, trainee counts and ratings still add up), stripped of
names, contact, free text, documents and availability; categorical fields used in statistics
(cadre, specialties, countries) are kept. Components add their own parts through the app's
hooks (``export_sections``, ``erasure_checks``, see ``diaspora.hooks``).
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from .. import audit
from ..audit import AuditEvent
from ..auth.models import User
from ..auth.schemas import TokenSchema, UserSchema
from ..errors import Conflict, Forbidden
from ..hooks import registry_hooks
from ..professionals.models import Professional
from ..professionals.schemas import ConsentRecordSchema, ProfessionalSchema
from ..security import hash_password
from ..vocabulary import MANAGERS


def export_person(session, user: User, *, actor: User, now: datetime) -> dict:
    """Everything the registry holds about ``user`` (the person themself, or an admin)."""
    if actor.id != user.id and actor.role != "admin":
        raise Forbidden(_("Only the person or an administrator can export their data."))
    professional = session.scalar(sa.select(Professional).where(Professional.user_id == user.id))
    data = {
        "exported_at": now.isoformat(),
        "account": UserSchema(exclude=("facility_ids",)).dump(user),
        "api_tokens": TokenSchema(many=True).dump(user.tokens),
        "professional": None,
        "consent_history": [],
        "reads_and_changes_by_others": _audit_trail(session, user, professional),
    }
    if professional is not None:
        data["professional"] = ProfessionalSchema().dump(professional)
        data["consent_history"] = ConsentRecordSchema(many=True).dump(professional.consent_history)
    for section in registry_hooks().export_sections:
        name, value = section(session, user)
        data[name] = value
    audit.record(session, now=now, actor=actor, action="export", entity="user", entity_id=user.id)
    session.commit()
    return data


def _audit_trail(session, user: User, professional: Professional | None) -> list[dict]:
    """Who read or changed this person's data (other than themself)."""
    about_them = sa.and_(AuditEvent.entity == "user", AuditEvent.entity_id == user.id)
    if professional is not None:
        about_them = sa.or_(about_them, sa.and_(AuditEvent.entity == "professional",
                                                AuditEvent.entity_id == professional.id))
    events = session.scalars(sa.select(AuditEvent).where(
        about_them, sa.or_(AuditEvent.actor_id.is_(None), AuditEvent.actor_id != user.id))
        .order_by(AuditEvent.at)).all()
    return [{"at": e.at.isoformat(), "action": e.action, "by_role": e.actor_role,
             "entity": e.entity} for e in events]


def erase_person(session, user: User, *, actor: User, now: datetime) -> User:
    """Erase ``user``'s personal data (the person themself, or an admin on their request)."""
    if actor.id != user.id and actor.role not in ("admin", "system"):
        raise Forbidden(_("Only the person or an administrator can erase their data."))
    if user.erased_at is not None:
        raise Conflict(_("This person's data was already erased."))
    if user.role in MANAGERS and actor.id == user.id:
        raise Conflict(_("Staff accounts are erased by another administrator."))
    professional = session.scalar(sa.select(Professional).where(Professional.user_id == user.id))
    for check in registry_hooks().erasure_checks:
        check(session, user, now)
    if professional is not None:
        _erase_professional(session, professional, actor=actor, now=now)
    _erase_account(user, now)
    audit.record(session, now=now, actor=actor, action="erase", entity="user", entity_id=user.id)
    session.commit()
    return user


def _erase_professional(session, professional: Professional, *, actor: User, now: datetime) -> None:
    if professional.consent_given:
        professional.consent_given = False
        professional.consent_changed_at = now
        professional.consent_version = current_app.config["CONSENT_VERSION"]
        for hook in registry_hooks().consent_withdrawn:  # e.g. pending proposals are cancelled
            hook(session, professional, actor=actor, now=now)
    professional.given_name = _("Erased")
    professional.family_name = f"#{professional.id}"
    professional.phone = None
    professional.city_of_residence = None
    professional.latitude = professional.longitude = None
    professional.bio = None
    professional.gender = "undisclosed"
    professional.organisation_id = None
    professional.skills = []
    professional.languages = []
    professional.qualifications = []
    professional.licences = []
    professional.windows = []
    professional.updated_at = now


def _erase_account(user: User, now: datetime) -> None:
    user.email = f"erased-{user.id}@erased.invalid"
    user.name = _("Erased person")
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    user.active = False
    user.locale = None
    user.session_version += 1
    user.erased_at = now
    for token in user.tokens:
        token.revoked_at = token.revoked_at or now


def retention_candidates(session, *, now: datetime) -> list[User]:
    """Accounts of professionals and coordinators not used for longer than the retention period."""
    cutoff = now - timedelta(days=current_app.config["RETENTION_INACTIVE_DAYS"])
    last_seen = sa.func.coalesce(User.last_login_at, User.created_at)
    return list(session.scalars(sa.select(User).where(
        User.role.in_(("professional", "coordinator")), User.erased_at.is_(None),
        last_seen < cutoff).order_by(last_seen)))
