"""Per-person mail preferences: which reminders someone wants e-mailed.

Reminders that only nudge (a proposal still waiting, a mission starting tomorrow, a follow-up
survey, …) can be switched off one by one; they still reach the inbox and the home page, so
nothing is lost, only the e-mail. Notices of what happened to a mission (a proposal, a
confirmation, a cancellation, a cancelled session, an overdue report) are always mailed: they
carry the calendar updates and the answers a person must give.

Only the kinds switched off are stored (``MailOptOut``): everyone gets every e-mail until they
say otherwise, and a kind added later is mailed by default.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from diaspora import audit
from diaspora.db import unit_of_work
from diaspora.errors import Invalid

from .models import MailOptOut, Notification

# The reminders a person may stop receiving by e-mail, with what the settings page calls them.
OPTIONAL = {
    "proposal_waiting": _l("A proposal still waits for my answer"),
    "readiness_incomplete": _l("A readiness checklist is not complete"),
    "mission_starts": _l("A mission starts tomorrow"),
    "session_starts": _l("An online session starts in an hour"),
    "report_due": _l("An outcome report is due"),
    "follow_up_due": _l("A follow-up survey is due"),
    "licence_expiring": _l("A licence is about to expire"),
    "availability_stale": _l("My availability needs checking"),
}


def opted_out(session, user) -> set[str]:
    return set(session.scalars(sa.select(MailOptOut.kind).where(MailOptOut.user_id == user.id)))


def preferences(session, user) -> dict[str, bool]:
    """``{kind: mailed}`` for every optional reminder."""
    off = opted_out(session, user)
    return {kind: kind not in off for kind in OPTIONAL}


def set_preferences(session, user, mailed: dict[str, bool], *, actor, now: datetime) -> dict[str, bool]:
    """Switch e-mail of the given optional reminders on or off (others stay as they are)."""
    unknown = sorted(set(mailed) - set(OPTIONAL))
    if unknown:
        raise Invalid(errors={kind: [str(_l("Unknown reminder."))] for kind in unknown})
    with unit_of_work(session):
        off = opted_out(session, user)
        for kind, wanted in mailed.items():
            if wanted and kind in off:
                session.execute(sa.delete(MailOptOut).where(MailOptOut.user_id == user.id,
                                                            MailOptOut.kind == kind))
            elif not wanted and kind not in off:
                session.add(MailOptOut(user_id=user.id, kind=kind, created_at=now))
        audit.record(session, now=now, actor=actor, action="update", entity="mail_preferences",
                     entity_id=user.id, detail={kind: bool(v) for kind, v in sorted(mailed.items())})
    return preferences(session, user)


def unmail_opted_out(session, notification_ids: list[int]) -> None:
    """Among delivered rows, those their recipient does not want e-mailed wait for no e-mail
    (the caller commits)."""
    wanted_not = (sa.select(MailOptOut.user_id)
                  .where(MailOptOut.user_id == Notification.user_id,
                         MailOptOut.kind == Notification.kind)
                  .exists())
    session.execute(sa.update(Notification)
                    .where(Notification.id.in_(notification_ids), wanted_not)
                    .values(email_status=None)
                    .execution_options(synchronize_session=False))
