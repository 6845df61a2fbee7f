"""The missions package's closed vocabularies, each defined once with its groups and labels.

Mission statuses (proposed → accepted → confirmed → ready → in_progress → completed → reported
→ closed, with declined / cancelled / postponed), the actions that move them, session statuses
and the outbox's statuses. As in ``diaspora.vocabulary``: members are their codes, templates
show labels through the ``label`` filter.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from diaspora.vocabulary import Vocabulary


class MissionStatus(Vocabulary):
    PROPOSED = "proposed", _l("proposed")
    ACCEPTED = "accepted", _l("accepted")
    DECLINED = "declined", _l("declined")
    CONFIRMED = "confirmed", _l("confirmed")
    READY = "ready", _l("ready")
    IN_PROGRESS = "in_progress", _l("in progress")
    COMPLETED = "completed", _l("completed")
    REPORTED = "reported", _l("reported")
    CLOSED = "closed", _l("closed")
    CANCELLED = "cancelled", _l("cancelled")
    POSTPONED = "postponed", _l("postponed")


# Not yet under way or over: may still be cancelled.
OPEN = (MissionStatus.PROPOSED, MissionStatus.ACCEPTED, MissionStatus.CONFIRMED, MissionStatus.READY,
        MissionStatus.IN_PROGRESS, MissionStatus.POSTPONED)
# May still be postponed.
POSTPONABLE = (MissionStatus.PROPOSED, MissionStatus.ACCEPTED, MissionStatus.CONFIRMED, MissionStatus.READY)
# The professional said yes and the mission is not over: the need is matched.
COMMITTED = (MissionStatus.ACCEPTED, MissionStatus.CONFIRMED, MissionStatus.READY,
             MissionStatus.IN_PROGRESS)
# Accepted and not yet ready: the readiness checklist is being worked through.
PREPARING = (MissionStatus.ACCEPTED, MissionStatus.CONFIRMED)
# Confirmed and not yet under way or over.
CONFIRMED_AHEAD = (MissionStatus.CONFIRMED, MissionStatus.READY)
# Confirmed, not over: the person cannot be erased; their sessions are reminded of.
UNDER_WAY = (MissionStatus.CONFIRMED, MissionStatus.READY, MissionStatus.IN_PROGRESS)
# Over.
DONE = (MissionStatus.COMPLETED, MissionStatus.REPORTED, MissionStatus.CLOSED)
# Confirmed at some point and not called off: it went (or goes) ahead. The host facility is
# told who comes from confirmation on (the contact itself: see ``access.contact_window``).
WENT_AHEAD = UNDER_WAY + DONE
# Hold the professional's time (their booking is active).
HOLDING = (MissionStatus.PROPOSED,) + COMMITTED + DONE
# Called off: nothing of it is sent any more.
WITHDRAWN = (MissionStatus.CANCELLED, MissionStatus.DECLINED, MissionStatus.POSTPONED)
# The readiness checklist is kept between acceptance and the start.
CHECKLIST_OPEN = (MissionStatus.ACCEPTED, MissionStatus.CONFIRMED, MissionStatus.READY)
# A virtual mission's attendance is recorded, and its sessions may still be cancelled.
RECORDING = (MissionStatus.IN_PROGRESS, MissionStatus.COMPLETED)
SESSIONS_CANCELLABLE = (MissionStatus.PROPOSED,) + COMMITTED
# The counts on the managers' overview.
OVERVIEW = (MissionStatus.PROPOSED,) + COMMITTED + (MissionStatus.COMPLETED,)
# Outcome reports are filed, amended or waived.
REPORTING = (MissionStatus.COMPLETED, MissionStatus.REPORTED)
# The missions board's columns.
BOARD = (MissionStatus.PROPOSED, MissionStatus.ACCEPTED, MissionStatus.CONFIRMED, MissionStatus.READY,
         MissionStatus.IN_PROGRESS, MissionStatus.COMPLETED, MissionStatus.REPORTED,
         MissionStatus.POSTPONED)


class MissionAction(Vocabulary):
    """What people (and the scheduler) do to a mission; see ``lifecycle.TRANSITIONS``."""

    ACCEPT = "accept", _l("Accept")
    DECLINE = "decline", _l("Decline")
    CONFIRM = "confirm", _l("Confirm")
    READY = "ready", _l("Mark ready")
    START = "start", _l("Start")
    COMPLETE = "complete", _l("Complete")
    REPORT = "report", _l("Mark reported")
    CLOSE = "close", _l("Close")
    CANCEL = "cancel", _l("Cancel")
    POSTPONE = "postpone", _l("Postpone")


class SessionStatus(Vocabulary):
    """A virtual mission's session: scheduled until held (attendance recorded) or cancelled."""

    SCHEDULED = "scheduled", _l("scheduled")
    HELD = "held", _l("held")
    CANCELLED = "cancelled", _l("cancelled")


class NotificationStatus(Vocabulary):
    """An outbox row: pending until delivered to the inbox (sent) or found moot (skipped)."""

    PENDING = "pending", _l("pending")
    SENT = "sent", _l("sent")
    SKIPPED = "skipped", _l("skipped")


class EmailStatus(Vocabulary):
    """The e-mail of a delivered notification (none when mail is not configured)."""

    PENDING = "pending", _l("pending")
    SENT = "sent", _l("sent")
    FAILED = "failed", _l("failed")
