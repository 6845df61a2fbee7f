"""Needs matching, missions, sessions, the scheduler, calendars and outcomes.

Depends on ``diaspora``, never the reverse: ``register(app)`` is called by the factory.
"""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach the missions package's blueprints, hooks and commands to the app."""
    from diaspora import demo
    from diaspora.extensions import api, csrf
    from diaspora.privacy import services as privacy
    from diaspora.professionals import services as professionals

    from . import cli
    from .calendars import views as calendar_views
    from .core import access, api as missions_api, demo as missions_demo, lifecycle, views
    from .matching import views as matching_views
    from .notifications import api as notifications_api, notices, producers, \
        views as notification_views
    from .scheduler import process as scheduler
    from .sessions import views as session_views

    for blueprint in (views.bp, matching_views.bp, session_views.bp, notification_views.bp,
                      calendar_views.bp):
        app.register_blueprint(blueprint)
    for api_blueprint in (missions_api.blp, matching_views.blp, session_views.blp,
                          notifications_api.blp):
        csrf.exempt(api_blueprint)  # bearer tokens only
        api.register_blueprint(api_blueprint)
    _once(professionals.extra_viewer_rules, access.coordinator_sees_confirmed)
    _once(professionals.consent_withdrawn_hooks, lifecycle.cancel_pending_for)
    _once(privacy.erasure_hooks, lifecycle.refuse_erasure_during_missions)
    _once(privacy.export_sections, lifecycle.missions_of)
    _once(demo.extra_loaders, missions_demo.load)
    _once(lifecycle.transition_hooks, notices.on_transition)
    producers.register()
    _register_outcomes(app)
    cli.init_app(app)
    if scheduler.should_start_in_process(app):
        scheduler.start(app)


def _register_outcomes(app: Flask) -> None:
    """Outcome reports, follow-up surveys, dashboards, exports and the FHIR export."""
    from diaspora.extensions import api, csrf

    from .core import lifecycle
    from .dashboards import api as dashboards_api, views as dashboards_views
    from .outcomes import api as outcomes_api, services as outcomes, views as outcomes_views
    from .scheduler import reminders

    app.register_blueprint(outcomes_views.bp)
    app.register_blueprint(dashboards_views.bp)
    for api_blueprint in (outcomes_api.blp, dashboards_api.blp):
        csrf.exempt(api_blueprint)  # bearer tokens only
        api.register_blueprint(api_blueprint)
    _once(lifecycle.transition_hooks, outcomes.create_follow_ups)
    _once(lifecycle.transition_guards.setdefault("close", []), outcomes.reports_in_before_close)
    reminders.add_validator("report_due", outcomes.report_still_due)
    reminders.add_validator("follow_up_due", outcomes.follow_up_still_due)


def _once(registry: list, hook) -> None:
    """Module-level hook lists outlive an app; tests build many apps."""
    if hook not in registry:
        registry.append(hook)
