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


@dataclass
class RegistryHooks:
    consent_withdrawn: list[ConsentWithdrawn] = field(default_factory=list)
    erasure_steps: list[ErasureStep] = field(default_factory=list)
    export_sections: list[ExportSection] = field(default_factory=list)
    demo_loaders: list[DemoLoader] = field(default_factory=list)
    # fn(session, user, *, link, now, days): send an imported person their claim link.
    invitation_senders: list[Callable[..., None]] = field(default_factory=list)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = RegistryHooks()


def registry_hooks(app: Flask | None = None) -> RegistryHooks:
    """The hooks of ``app`` (the current app by default)."""
    return (app or current_app).extensions[EXTENSION]

