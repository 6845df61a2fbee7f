"""How a request is tied to a user.

HTML pages use the Flask-Login session cookie (CSRF-protected forms). The JSON API uses only
``Authorization: Bearer <token>``: it ignores the session cookie, which is why the API can be
exempt from CSRF.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, request
from flask_babel import lazy_gettext as _l

from ..clock import now
from ..db import unit_of_work
from ..extensions import db, login
from ..security import token_digest
from .models import ApiToken, User

# last_used_at is a hint for the owner, not a log: write it at most once a minute per token.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def load_session_user(user_id: str):
    if is_api_request():
        return None
    try:
        raw_id, version = user_id.split(":", 1)
        user = db.session.get(User, int(raw_id))
    except (ValueError, TypeError):
        return None
    if user is None or str(user.session_version) != version or not user.active:
        return None
    return user


def load_token_user(req):
    if not is_api_request():
        return None
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    api_token = db.session.scalar(
        db.select(ApiToken).where(ApiToken.token_hash == token_digest(token.strip())))
    instant = now()
    if api_token is None or not api_token.is_usable(instant) or not api_token.user.active:
        return None
    if api_token.last_used_at is None or instant - api_token.last_used_at > LAST_USED_RESOLUTION:
        with unit_of_work(db.session):
            api_token.last_used_at = instant
    return api_token.user


def init_app(app: Flask) -> None:
    login.init_app(app)
    login.login_view = "auth.login"
    login.login_message = _l("Please sign in to see this page.")
    login.session_protection = "strong"
    login.user_loader(load_session_user)
    login.request_loader(load_token_user)
