"""Account operations: sign-up, sign-in with lockout, settings, API tokens, user management."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..db import unit_of_work
from ..errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from ..facilities.models import Facility
from ..facilities.services import set_coordinator_facilities
from ..hooks import registry_hooks
from ..professionals import services as professionals
from ..security import DEMO_PASSWORD, hash_password, new_token, verify_password
from ..vocabulary import MANAGERS, Role
from . import throttle
from .models import ApiToken, User

SELF_SERVICE_ROLES = (Role.PROFESSIONAL, Role.COORDINATOR)


def find_user_by_email(session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def sign_up(session, data: dict, *, now: datetime) -> User:
    """Open an account. Professionals give their essentials and consent in the same step."""
    if data["role"] not in SELF_SERVICE_ROLES:
        raise Forbidden(_("This kind of account is created by an administrator."))
    with unit_of_work(session):
        user = _new_account(session, data, now=now,
                            timezone=data.get("timezone") or current_app.config["DEFAULT_TIMEZONE"])
        if user.role == Role.COORDINATOR:
            user.facility_requested = " ".join(data["facility_requested"].split())
        if user.role == Role.PROFESSIONAL:
            professionals.create_professional(
                session, user, data["profile"], now=now,
                consent_version=current_app.config["CONSENT_VERSION"])
        _flush_unique(session, "email")
        audit.record(session, now=now, actor=user, action="create", entity="user",
                     entity_id=user.id)
        for hook in registry_hooks().user_registered:  # e.g. the managers are told of a coordinator
            hook(session, user, now)
    return user


def _new_account(session, data: dict, *, now: datetime, **settings) -> User:
    """A new account from ``data`` (e-mail, name, role, password, locale); a taken e-mail is a
    409 with a field message (the unique index answers the same if two arrive at once)."""
    if find_user_by_email(session, data["email"]) is not None:
        raise Conflict(_("An account with this e-mail already exists."),
                       errors={"email": [_("An account with this e-mail already exists.")]})
    user = User(email=data["email"], name=data["name"], role=data["role"],
                password_hash=hash_password(data["password"]), created_at=now,
                locale=data.get("locale"), **settings)
    session.add(user)
    return user


def authenticate(session, email: str, password: str, *, address: str | None, now: datetime) -> User:
    """Check a password given from client ``address``.

    Every failure — no such account, wrong password, inactive account, too many recent
    failures for this e-mail from this address (``throttle``) — costs one password hash and
    answers the same message, so neither the answer nor its timing tells whether an account
    exists or is being slowed down. In production the published demo password never signs in.
    """
    user = find_user_by_email(session, email)
    key = throttle.attempt_key(email, address)
    blocked = throttle.is_blocked(session, key, now)
    matches = verify_password(user.password_hash if user else None, password)
    demo_in_production = (password == DEMO_PASSWORD
                          and current_app.config["ENV_NAME"] == "production")
    if blocked or user is None or not user.active or not matches or demo_in_production:
        with unit_of_work(session):   # the failure is counted, whatever the answer
            if not blocked:
                throttle.record_failure(session, key, now)
        raise Unauthorized(_("E-mail or password is incorrect, or there were too many attempts: "
                             "if you are sure of both, wait a few minutes and try again."))
    with unit_of_work(session):
        throttle.clear_failures(session, key)
        user.last_login_at = now
        audit.record(session, now=now, actor=user, action="login", entity="user",
                     entity_id=user.id)
    return user


def update_settings(session, user: User, data: dict) -> User:
    with unit_of_work(session):
        for field in ("name", "locale", "timezone"):
            if field in data:
                setattr(user, field, data[field])
    return user


def end_sessions(user: User, *, now: datetime) -> None:
    """Sign ``user`` out everywhere: every session cookie (the session version it carries no
    longer matches, see ``session.load_session_user``) and every API token. A helper: it joins
    the caller's unit of work."""
    user.session_version += 1
    for api_token in user.tokens:
        api_token.revoked_at = api_token.revoked_at or now


def sign_out(session, user: User, *, now: datetime) -> None:
    """Signing out ends every session and token of the user, not only this browser's cookie:
    a copy of the cookie taken earlier must not keep working."""
    with unit_of_work(session):
        end_sessions(user, now=now)


def change_password(session, user: User, current: str, new: str, *, now: datetime) -> User:
    """Change the password and end every session and token; the caller signs the current
    browser in again."""
    if not verify_password(user.password_hash, current):
        raise Invalid(errors={"current_password": [_("This is not your current password.")]})
    with unit_of_work(session):
        user.password_hash = hash_password(new)
        end_sessions(user, now=now)
        audit.record(session, now=now, actor=user, action="update", entity="user",
                     entity_id=user.id, detail={"password": "changed"})
    return user


# --- API tokens ---------------------------------------------------------------------------

def create_token(session, user: User, name: str, *, now: datetime) -> tuple[ApiToken, str]:
    """A new token; the clear text is returned once and never stored."""
    token, digest = new_token()
    ttl = current_app.config["API_TOKEN_TTL_DAYS"]
    api_token = ApiToken(user=user, name=name, token_hash=digest, prefix=token[:10],
                         created_at=now, expires_at=now + timedelta(days=ttl) if ttl else None)
    with unit_of_work(session):
        session.add(api_token)
    return api_token, token


def revoke_token(session, user: User, token_id: int, *, now: datetime) -> ApiToken:
    api_token = session.get(ApiToken, token_id)
    if api_token is None or api_token.user_id != user.id:
        raise NotFound(_("No such token."))
    if api_token.revoked_at is None:
        with unit_of_work(session):
            api_token.revoked_at = now
    return api_token


def list_tokens(session, user: User) -> list[ApiToken]:
    return list(session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.created_at.desc())))


# --- user management (programme managers and admins) ---------------------------------------

def _require_manager(actor: User) -> None:
    if not actor.is_manager:
        raise Forbidden(_("Only programme managers and admins manage users."))


def _check_role_grant(actor: User, role: str) -> None:
    if role in MANAGERS and actor.role != Role.ADMIN:
        raise Forbidden(_("Only an admin can create or promote managers and admins."))


def list_users(session, *, actor: User, role: str | None = None, q: str | None = None) -> sa.Select:
    _require_manager(actor)
    query = sa.select(User).options(sa.orm.selectinload(User.facilities)).order_by(User.name)
    if role:
        query = query.where(User.role == role)
    if q:
        pattern = f"%{q.strip().lower()}%"
        query = query.where(sa.or_(sa.func.lower(User.name).like(pattern), User.email.like(pattern)))
    return query


def get_user(session, user_id: int, *, actor: User) -> User:
    _require_manager(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


def create_user(session, data: dict, *, actor: User, now: datetime) -> User:
    _require_manager(actor)
    _check_role_grant(actor, data["role"])
    if data["role"] == Role.PROFESSIONAL:
        raise Invalid(errors={"role": [_("Professionals register themselves, giving their own consent.")]})
    with unit_of_work(session):
        user = _new_account(session, data, now=now, timezone=data.get("timezone") or "UTC",
                            active=data.get("active", True))
        _set_facilities(session, user, data.get("facility_ids") or [])
        _flush_unique(session, "email")
        audit.record(session, now=now, actor=actor, action="create", entity="user",
                     entity_id=user.id)
    return user


def update_user(session, user: User, data: dict, *, actor: User, now: datetime) -> User:
    _require_manager(actor)
    if user.role in MANAGERS and actor.role != Role.ADMIN:
        raise Forbidden(_("Only an admin can change managers and admins."))
    if "role" in data and data["role"] != user.role:
        _check_role_grant(actor, data["role"])
        if Role.PROFESSIONAL in (data["role"], user.role):
            raise Invalid(errors={"role": [_("A professional account cannot change role.")]})
    if user.id == actor.id and (data.get("active") is False or data.get("role", user.role) != user.role):
        raise Invalid(errors={"role": [_("You cannot demote or deactivate yourself.")]})
    with unit_of_work(session):
        for field in ("name", "role", "locale", "timezone", "active"):
            if field in data:
                setattr(user, field, data[field])
        if data.get("active") is False:
            end_sessions(user, now=now)
        if "facility_ids" in data:
            _set_facilities(session, user, data["facility_ids"])
        audit.record(session, now=now, actor=actor, action="update", entity="user",
                     entity_id=user.id, detail={"fields": sorted(data)})
    return user


def _set_facilities(session, user: User, facility_ids: list[int]) -> None:
    if facility_ids and user.role != Role.COORDINATOR:
        raise Invalid(errors={"facility_ids": [_("Only facility coordinators are attached to facilities.")]})
    facilities = session.scalars(sa.select(Facility).where(Facility.id.in_(facility_ids))).all()
    missing = set(facility_ids) - {f.id for f in facilities}
    if missing:
        raise Invalid(errors={"facility_ids": [_("No such facility: %(ids)s.",
                                                 ids=", ".join(map(str, sorted(missing))))]})
    set_coordinator_facilities(session, user, facilities)


def _flush_unique(session, field: str) -> None:
    """Flush, turning a unique-constraint race into a 409 instead of a 500 (the unit of work
    rolls back)."""
    try:
        session.flush()
    except IntegrityError as error:
        raise Conflict(_("This already exists."), errors={field: [_("This already exists.")]}) from error
