"""Passwords, API tokens and the role/ownership checks every route uses."""
from __future__ import annotations

import hashlib
import os
import secrets
import threading
from functools import cache, wraps
from pathlib import Path
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user
from zxcvbn import zxcvbn

from .errors import Forbidden, Unauthorized
from .vocabulary import Role

TOKEN_PREFIX = "dsr_"
# Every demo account's password, published in the README: demo data only (never in production),
# and refused by the password policy everywhere.
DEMO_PASSWORD = "diaspora-demo-2026"  # noqa: S105
# Who may call a ``login_required`` view; the API documents a 403 for views that allow fewer.
EVERY_ROLE = frozenset(Role)

_default_hasher = PasswordHasher()
# Cheap parameters for the test suite only (TestingConfig.ARGON2_FAST).
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _hasher() -> PasswordHasher:
    return _fast_hasher if current_app.config.get("ARGON2_FAST") else _default_hasher


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password``. With no hash (no such account) it is checked against a hash of a
    random password, which fails at the same cost, so timing does not tell that the account
    is missing."""
    hasher = _hasher()
    try:
        return hasher.verify(password_hash or _stand_in_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _stand_in_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_urlsafe(32))


# zxcvbn keeps the user inputs of the call in progress in a module global: one call at a time.
_zxcvbn_lock = threading.Lock()
# zxcvbn score 3 means at least 10^8 guesses: enough to resist an offline attack on a stolen
# argon2 hash for a while; lower scores are common, breached or patterned passwords.
MIN_PASSWORD_SCORE = 3


def is_easy_to_guess(password: str, *user_inputs: str) -> bool:
    """Whether ``password`` is common, breached or built from a pattern, judged offline by
    zxcvbn from the lists it ships (passwords from public breaches, names, English words,
    keyboard walks, dates, sequences, repeats) and from ``user_inputs`` (e-mail, name)."""
    if password == DEMO_PASSWORD or not password:   # zxcvbn fails on an empty password
        return True
    with _zxcvbn_lock:
        # zxcvbn's limit; any password already that long has the length on its side
        score = zxcvbn(password[:72], user_inputs=[text for text in user_inputs if text])["score"]
    return score < MIN_PASSWORD_SCORE


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
    allowed = {Role(role) for role in roles}   # an unknown role is a mistake at import
    if Role.MANAGER in allowed:
        allowed.add(Role.ADMIN)

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


class Actor(Protocol):
    """Who acts in a service call: a signed-in ``User``, ``SYSTEM`` or the missions
    scheduler. ``id`` is None for the application acting on its own."""

    @property
    def id(self) -> int | None: ...

    @property
    def role(self) -> str: ...

    @property
    def is_manager(self) -> bool: ...

    @property
    def is_authenticated(self) -> bool: ...


class SystemActor:
    """The application acting on its own (e.g. retention): audited with the role "system"."""

    id = None
    role = "system"
    name = "system"
    is_manager = True
    is_authenticated = True


SYSTEM = SystemActor()
