"""Rate limits: one Flask-Limiter per app.

A view asks for a limit with ``rate_limited(limit, …)``, which only marks it; ``init_app``
gives the app its own ``Limiter`` (storage, key prefix and counts of its own, found with
``limiter_of(app)``), and ``limit_marked_views`` wraps each marked view of that app once every
blueprint is registered. No limiter is kept at module level, so two apps in one process
(tests, a CLI beside a server) never share or take over each other's storage.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

MARK = "rate_limit"
EXTENSION = "registry_limiter"


def rate_limited(limit: str | Callable[[], str], **options) -> Callable:
    """Mark a view for the app's limiter: ``options`` as for ``Limiter.limit`` (``methods``)."""

    def mark(view: Callable) -> Callable:
        setattr(view, MARK, (limit, options))
        return view

    return mark


def login_limit() -> str:
    """The limit on sign-in, registration and token requests (``LOGIN_RATE_LIMIT``)."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def init_app(app: Flask) -> Limiter:
    limiter = Limiter(key_func=get_remote_address, default_limits=[])
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    return limiter


def limit_marked_views(app: Flask) -> None:
    """Wrap every view marked by ``rate_limited`` with the app's limiter."""
    limiter = limiter_of(app)
    for endpoint, view in app.view_functions.items():
        if hasattr(view, MARK):
            limit, options = getattr(view, MARK)
            app.view_functions[endpoint] = limiter.limit(limit, **options)(view)


def limiter_of(app: Flask | None = None) -> Limiter:
    return (app or current_app).extensions[EXTENSION]
