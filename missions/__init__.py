"""Needs matching, missions, sessions, the scheduler, calendars and outcomes.

A component of the registry: ``diaspora`` never imports it; the factory imports it by name
(config ``COMPONENTS``) and calls ``register(app)``, which attaches its pages, API, commands and
hooks to that one app.
"""
from __future__ import annotations

from flask import Flask

from diaspora.extensions import api, csrf
from diaspora.hooks import registry_hooks

from . import cli, home
from .calendars import services as calendars, views as calendar_views
from .core import (
    api as missions_api,
    demo as missions_demo,
    hooks,
    lifecycle,
    privacy as missions_privacy,
    views,
)
from .costs import (
    api as costs_api,
    demo as costs_demo,
    services as costs,
    views as costs_views,
)
from .dashboards import api as dashboards_api, views as dashboards_views
from .documents import (
    api as documents_api,
    attendance as attendance_certificates,
    certificates,
    demo as documents_demo,
    readiness,
    services as mission_documents,
    views as documents_views,
)
from .history import views as history_views
from .matching import views as matching_views
from .notifications import (
    api as notifications_api,
    invitations as notification_invitations,
    notices,
    privacy as notifications_privacy,
    producers,
    views as notification_views,
)
from .outcomes import (
    api as outcomes_api,
    privacy as outcomes_privacy,
    services as outcomes,
    views as outcomes_views,
)
from .placements import (
    api as placements_api,
    demo as placements_demo,
    privacy as placements_privacy,
    reminders as placement_reminders,
    views as placements_views,
)
from .scheduler import process as scheduler, reminders
from .sessions import views as session_views


def register(app: Flask) -> None:
    """Attach the missions package's blueprints, hooks and commands to the app."""
    for blueprint in (views.bp, matching_views.bp, session_views.bp, notification_views.bp,
                      calendar_views.bp, outcomes_views.bp, dashboards_views.bp,
                      costs_views.bp, placements_views.bp, documents_views.bp,
                      documents_views.public, history_views.bp):
        app.register_blueprint(blueprint)
    for api_blueprint in (missions_api.blp, matching_views.blp, session_views.blp,
                          notifications_api.blp, outcomes_api.blp, dashboards_api.blp,
                          costs_api.blp, placements_api.blp, documents_api.blp):
        csrf.exempt(api_blueprint)  # bearer tokens only
        api.register_blueprint(api_blueprint)

    registry = registry_hooks(app)
    registry.consent_withdrawn.append(lifecycle.cancel_pending_for)
    # What erasure rewrites, package by package; the refusal during a running mission comes
    # first, so it runs before anything is rewritten.
    registry.erasure_steps.extend((
        lifecycle.refuse_erasure_during_missions, missions_privacy.erase_traces,
        notifications_privacy.erase_notifications, outcomes_privacy.erase_outcomes,
        calendars.erase_feeds))
    registry.export_sections.extend((
        lifecycle.missions_of, notifications_privacy.notifications_of,
        outcomes_privacy.reports_of, outcomes_privacy.follow_ups_of))
    registry.export_sections.append(notifications_privacy.mail_settings_of)
    registry.demo_loaders.append(missions_demo.load)
    registry.user_registered.append(notices.coordinator_registered)
    registry.demo_loaders.append(costs_demo.load)   # after the missions it costs
    registry.demo_loaders.append(placements_demo.load)
    registry.worker_erasure_steps.extend((placements_privacy.refuse_erasure_while_abroad,
                                          placements_privacy.erase_notes))
    registry.worker_export_sections.append(placements_privacy.training_of)
    registry.demo_loaders.append(documents_demo.load)
    # Documents: a verified licence ticks the readiness item; certificates in export/erasure.
    registry.licence_verified.append(readiness.on_licence_verified)
    registry.licence_changed.append(readiness.on_licence_changed)
    registry.erasure_steps.extend((certificates.erase_certificates,
                                   mission_documents.scrub_mission_documents,
                                   attendance_certificates.forget_trainer))
    registry.export_sections.append(certificates.certificates_of)
    registry.worker_erasure_steps.append(attendance_certificates.erase_worker_certificates)
    registry.worker_export_sections.append(attendance_certificates.worker_certificates)
    registry.invitation_senders.append(notification_invitations.send_invitation)

    own = hooks.init_app(app)
    own.after_transition.append(notices.on_transition)
    own.after_transition.append(outcomes.create_follow_ups)
    own.after_transition_batch[outcomes.create_follow_ups] = outcomes.create_follow_ups_many
    own.after_transition.append(costs.commit_on_confirm)
    own.add_guard("close", outcomes.reports_in_before_close)
    own.after_transition.append(readiness.after_transition)
    own.add_guard("ready", readiness.require_verified_licence)
    producers.register(own)
    own.reminder_producers.append(placement_reminders.follow_ups_due)
    checks = {"report_due": outcomes.reports_still_due, "follow_up_due": outcomes.follow_ups_still_due,
              placement_reminders.KIND: placement_reminders.follow_ups_still_due}
    own.reminder_batch_checks.update(checks)
    own.reminder_validators.update({kind: reminders.one_at_a_time(check)
                                    for kind, check in checks.items()})

    home.register(app)
    cli.init_app(app)
    if scheduler.should_start_in_process(app):
        scheduler.start(app)
