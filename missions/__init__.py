"""Needs matching, missions, sessions, the scheduler, calendars and outcomes.

Depends on ``diaspora``, never the reverse: ``register(app)`` is called by the factory.
"""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach the missions package's blueprints, hooks and commands to the app."""
    from diaspora.extensions import api, csrf
    from diaspora.professionals import services as professionals

    from . import api as missions_api, cli, matching_views, models, scheduler, services, \
        session_views, views  # noqa: F401
    from .calendars import views as calendar_views
    from .notifications import api as notifications_api, notices, producers, \
        views as notification_views

    for blueprint in (views.bp, matching_views.bp, session_views.bp, notification_views.bp,
                      calendar_views.bp):
        app.register_blueprint(blueprint)
    for api_blueprint in (missions_api.blp, matching_views.blp, session_views.blp,
                          notifications_api.blp):
        csrf.exempt(api_blueprint)  # bearer tokens only
        api.register_blueprint(api_blueprint)
    _once(professionals.extra_viewer_rules, services.coordinator_sees_confirmed)
    _once(professionals.consent_withdrawn_hooks, services.cancel_pending_for)
    _once(services.transition_hooks, notices.on_transition)
    producers.register()
    cli.init_app(app)
    if scheduler.should_start_in_process(app):
        scheduler.start(app)


def _once(registry: list, hook) -> None:
    """Module-level hook lists outlive an app; tests build many apps."""
    if hook not in registry:
        registry.append(hook)
