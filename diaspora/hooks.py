"""What a component adds to the registry's own behaviour, kept per app.

The factory puts one ``RegistryHooks`` in ``app.extensions`` before the components of
``COMPONENTS`` register; a component appends its functions there (see ``missions.register``),
and the registry's services run what the current app holds (``registry_hooks()``). Nothing is
kept at module level, so two apps built with different components never share a hook.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, current_app

from .auth.models import User

EXTENSION = "diaspora.hooks"

# fn(session, professional, *, actor, now, programme_id=None): inside the withdrawal's
# transaction (caller commits); ``programme_id`` when only that programme's consent was withdrawn.
ConsentWithdrawn = Callable[..., None]
# fn(session, user, now): in order, before the account is anonymised: a step may refuse (raise a
# DomainError: nothing is changed) or rewrite what its package holds about the person.
ErasureStep = Callable[[object, User, datetime], None]
# fn(session, user) -> (section name, JSON-ready value) for the person's data export.
ExportSection = Callable[[object, User], tuple[str, object]]
# fn(session, *, now, rng, staff, programme) -> lines of text, after the registry's demo data.
DemoLoader = Callable[..., Iterable[str]]
# fn(session, user, now): inside the registration's transaction (caller commits).
UserRegistered = Callable[[object, User, datetime], None]
# fn(session, worker, now) / fn(session, worker) -> (name, value): the same for a host health
# worker (``diaspora.workforce.services``), who has no account.
WorkerErasureStep = Callable[[object, object, datetime], None]
WorkerExportSection = Callable[[object, object], tuple[str, object]]
# fn(session, verification, *, actor, now): a licence was verified against a document, inside
# the verification's transaction (e.g. the readiness checklists it satisfies are ticked).
LicenceVerified = Callable[..., None]
# fn(session, professional, *, actor, now): one of their licences was changed or removed, inside
# that change's transaction, flushed (e.g. readiness items it no longer satisfies are unticked).
LicenceChanged = Callable[..., None]


@dataclass
class RegistryHooks:
    consent_withdrawn: list[ConsentWithdrawn] = field(default_factory=list)
    erasure_steps: list[ErasureStep] = field(default_factory=list)
    export_sections: list[ExportSection] = field(default_factory=list)
    demo_loaders: list[DemoLoader] = field(default_factory=list)
    user_registered: list[UserRegistered] = field(default_factory=list)
    worker_erasure_steps: list[WorkerErasureStep] = field(default_factory=list)
    worker_export_sections: list[WorkerExportSection] = field(default_factory=list)
    licence_verified: list[LicenceVerified] = field(default_factory=list)
    licence_changed: list[LicenceChanged] = field(default_factory=list)
    # fn(session, user, *, link, now, days): send an imported person their claim link.
    invitation_senders: list[Callable[..., None]] = field(default_factory=list)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = RegistryHooks()


def registry_hooks(app: Flask | None = None) -> RegistryHooks:
    """The hooks of ``app`` (the current app by default)."""
    return (app or current_app).extensions[EXTENSION]

