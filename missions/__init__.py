"""Needs matching, missions, sessions, the scheduler, calendars and outcomes.

Depends on ``diaspora``, never the reverse: ``register(app)`` is called by the factory.
"""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach the missions package's blueprints, hooks and commands to the app."""
    from diaspora.extensions import api, csrf
    from diaspora.professionals import services as professionals

    from . import api as missions_api, matching_views, models, services, views  # noqa: F401
    from .calendars import models as calendar_models  # noqa: F401
    from .notifications import models as notification_models  # noqa: F401

    app.register_blueprint(views.bp)
    app.register_blueprint(matching_views.bp)
    for api_blueprint in (missions_api.blp, matching_views.blp):
        csrf.exempt(api_blueprint)  # bearer tokens only
        api.register_blueprint(api_blueprint)
    _once(professionals.extra_viewer_rules, services.coordinator_sees_confirmed)
    _once(professionals.consent_withdrawn_hooks, services.cancel_pending_for)


def _once(registry: list, hook) -> None:
    """Module-level hook lists outlive an app; tests build many apps."""
    if hook not in registry:
        registry.append(hook)
