"""Passwords, API tokens and the role/ownership checks every route uses."""
from __future__ import annotations

import hashlib
import secrets
from functools import wraps

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user

from .errors import Forbidden, Unauthorized

TOKEN_PREFIX = "dsr_"
# Who may call a ``login_required`` view; the API documents a 403 for views that allow fewer.
EVERY_ROLE = frozenset({"professional", "coordinator", "manager", "admin"})

_default_hasher = PasswordHasher()
# Cheap parameters for the test suite only (TestingConfig.ARGON2_FAST).
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _hasher() -> PasswordHasher:
    return _fast_hasher if current_app.config.get("ARGON2_FAST") else _default_hasher


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> tuple[str, str]:
    """A fresh API token and the digest stored for it."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def require_login():
    if not current_user.is_authenticated:
        raise Unauthorized(_("Please sign in."))
    return current_user


def roles_required(*roles: str):
    """Decorator: the signed-in user must have one of ``roles`` (admin passes manager checks)."""
    allowed = set(roles)
    if "manager" in allowed:
        allowed.add("admin")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = require_login()
            if user.role not in allowed:
                raise Forbidden(_("Your role does not allow this."))
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(allowed)
        return wrapped

    return decorator


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        require_login()
        return view(*args, **kwargs)

    wrapped.allowed_roles = EVERY_ROLE
    return wrapped


class SystemActor:
    """The application acting on its own (e.g. retention): audited with the role "system"."""

    id = None
    role = "system"
    name = "system"
    is_manager = True
    is_authenticated = True


SYSTEM = SystemActor()
