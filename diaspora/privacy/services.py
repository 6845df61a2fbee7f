"""Export everything held about a person, and erase it on request.

Erasure removes or anonymises personal data while programme statistics stay correct: the user
and professional rows remain (so missions, trainee counts and ratings still add up), stripped of
names, contact, free text, documents and availability; categorical fields used in statistics
(cadre, specialties, countries) are kept. Components add their own parts through the app's
hooks (``export_sections``, ``erasure_steps``, see ``diaspora.hooks``).
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from .. import audit
from ..auth.models import User
from ..auth.schemas import TokenSchema, UserSchema
from ..auth.services import end_sessions
from ..db import unit_of_work
from ..errors import Conflict, Forbidden
from ..facilities.models import facility_coordinators
from ..hooks import registry_hooks
from ..needs import services as needs
from ..needs.models import Need
from ..people_imports import invitations
from ..professionals.models import Professional
from ..professionals.schemas import ConsentRecordSchema, ProfessionalSchema
from ..programmes.models import Organisation, Programme, programme_managers
from ..security import hash_password
from ..vocabulary import MANAGERS, Role
from . import scrub, trail


def export_person(session, user: User, *, actor: User, now: datetime) -> dict:
    """Everything the registry holds about ``user`` (the person themself, or an admin)."""
    if actor.id != user.id and actor.role != Role.ADMIN:
        raise Forbidden(_("Only the person or an administrator can export their data."))
    professional = session.scalar(sa.select(Professional).where(Professional.user_id == user.id))
    data = {
        "exported_at": now.isoformat(),
        "account": UserSchema(exclude=("facility_ids",)).dump(user),
        "api_tokens": TokenSchema(many=True).dump(user.tokens),
        "professional": None,
        "consent_history": [],
        "reads_and_changes_by_others": trail.about(session, user, professional),
    }
    if professional is not None:
        data["professional"] = ProfessionalSchema().dump(professional)
        data["consent_history"] = ConsentRecordSchema(many=True).dump(professional.consent_history)
    for section in (invitations.invitation_of, *registry_hooks().export_sections):
        name, value = section(session, user)
        data[name] = value
    with unit_of_work(session):
        audit.record(session, now=now, actor=actor, action="export", entity="user",
                     entity_id=user.id)
    return data


def erase_person(session, user: User, *, actor: User, now: datetime) -> User:
    """Erase ``user``'s personal data (the person themself, or an admin on their request).

    In order: consent is withdrawn (pending proposals are cancelled, and their notices sent);
    the ``erasure_hooks`` run (one may refuse: then nothing is changed) and scrub what other
    packages hold; the registry's texts about the person are scrubbed; last, the person's own
    records are removed or anonymised — their identifiers are read until then.
    """
    if actor.id != user.id and actor.role not in (Role.ADMIN, "system"):
        raise Forbidden(_("Only the person or an administrator can erase their data."))
    if user.erased_at is not None:
        raise Conflict(_("This person's data was already erased."))
    if user.role in MANAGERS and actor.id == user.id:
        raise Conflict(_("Staff accounts are erased by another administrator."))
    professional = session.scalar(sa.select(Professional).where(Professional.user_id == user.id))
    with unit_of_work(session):   # a hook's refusal rolls everything back
        if professional is not None:
            _withdraw_consent(session, professional, actor=actor, now=now)
        for hook in registry_hooks().erasure_steps:
            hook(session, user, now)
        _scrub_registry(session, user, scrub.scrubber_for(session, user))
        invitations.erase_invitation(session, user, now)
        if professional is not None:
            _erase_professional(professional, now=now)
        _erase_account(user, now)
        audit.record(session, now=now, actor=actor, action="erase", entity="user",
                     entity_id=user.id)
    return user


def _withdraw_consent(session, professional: Professional, *, actor: User, now: datetime) -> None:
    if professional.consent_given:
        professional.consent_given = False
        professional.consent_changed_at = now
        professional.consent_version = current_app.config["CONSENT_VERSION"]
        for hook in registry_hooks().consent_withdrawn:  # e.g. pending proposals are cancelled
            hook(session, professional, actor=actor, now=now)


def _scrub_registry(session, user: User, scrubber: scrub.Scrubber) -> None:
    """The registry's texts about the person: the needs they filed or that their facilities
    filed, the programmes they manage, an organisation whose contact they are."""
    their_facilities = sa.select(facility_coordinators.c.facility_id).where(
        facility_coordinators.c.user_id == user.id)
    needs.scrub_needs(session, sa.select(Need.id).where(sa.or_(
        Need.created_by_id == user.id, Need.facility_id.in_(their_facilities))), scrubber, user)
    scrubber.rows(session.scalars(sa.select(Programme).join(programme_managers).where(
        programme_managers.c.user_id == user.id)), "description")
    for organisation in session.scalars(sa.select(Organisation).where(
            sa.func.lower(Organisation.contact_email) == user.email.lower())):
        organisation.contact_email = None


def _erase_professional(professional: Professional, *, now: datetime) -> None:
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
    professional.programme_consents = []   # matched for no programme; the history keeps counts
    professional.updated_at = now


def _erase_account(user: User, now: datetime) -> None:
    user.email = f"erased-{user.id}@erased.invalid"
    user.name = _("Erased person")
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    user.active = False
    user.locale = None
    user.facility_requested = None
    user.erased_at = now
    end_sessions(user, now=now)
    for token in user.tokens:
        token.name = scrub.ERASED


def retention_candidates(session, *, now: datetime) -> list[User]:
    """Accounts of professionals and coordinators not used for longer than the retention period."""
    cutoff = now - timedelta(days=current_app.config["RETENTION_INACTIVE_DAYS"])
    last_seen = sa.func.coalesce(User.last_login_at, User.created_at)
    return list(session.scalars(sa.select(User).where(
        User.role.in_((Role.PROFESSIONAL, Role.COORDINATOR)), User.erased_at.is_(None),
        last_seen < cutoff).order_by(last_seen)))
