"""Passwords, API tokens and the role/ownership checks every route uses."""
from __future__ import annotations

import hashlib
import os
import secrets
from functools import wraps
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user

from .errors import Forbidden, Unauthorized

TOKEN_PREFIX = "dsr_"

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


def instance_secret_key(path: Path) -> str:
    """The key kept in ``path``, made on first use: random, readable by its owner only.

    Two processes starting at once agree on one key: each writes its own temporary file and
    links it into place, which fails for all but the first.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    return path.read_text().strip()


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

    wrapped.allowed_roles = frozenset({"professional", "coordinator", "manager", "admin"})
    return wrapped


class SystemActor:
    """The application acting on its own (e.g. retention): audited with the role "system"."""

    id = None
    role = "system"
    name = "system"
    is_manager = True
    is_authenticated = True


SYSTEM = SystemActor()
