"""Placement statuses and actions, each with its translated label (as ``missions.core.vocabulary``).

An offer is ``offered`` while places can be taken and ``withdrawn`` when the partner takes it
back. A placement — one host health worker on one offer — goes nominated → selected → confirmed
→ ready → abroad → completed → reported → closed, with declined / cancelled / postponed.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from diaspora.vocabulary import Vocabulary


class OfferStatus(Vocabulary):
    OFFERED = "offered", _l("offered")
    WITHDRAWN = "withdrawn", _l("withdrawn")


class PlacementStatus(Vocabulary):
    NOMINATED = "nominated", _l("nominated")
    SELECTED = "selected", _l("selected")
    CONFIRMED = "confirmed", _l("confirmed")
    READY = "ready", _l("ready")
    ABROAD = "abroad", _l("abroad")
    COMPLETED = "completed", _l("completed")
    REPORTED = "reported", _l("reported")
    CLOSED = "closed", _l("closed")
    DECLINED = "declined", _l("declined")
    CANCELLED = "cancelled", _l("cancelled")
    POSTPONED = "postponed", _l("postponed")


S = PlacementStatus
# Hold the worker's time and a place of the offer (the database refuses two overlapping).
HOLDING = (S.SELECTED, S.CONFIRMED, S.READY, S.ABROAD, S.COMPLETED, S.REPORTED, S.CLOSED)
# Back home: the return-and-service agreement and the follow-ups run.
RETURNED = (S.COMPLETED, S.REPORTED, S.CLOSED)
# Went (or goes) ahead: counted in the figures.
WENT_AHEAD = (S.CONFIRMED, S.READY, S.ABROAD) + RETURNED
# The readiness checklist is kept while preparing.
CHECKLIST_OPEN = (S.SELECTED, S.CONFIRMED, S.READY)


class PlacementAction(Vocabulary):
    SELECT = "select", _l("Select")
    DECLINE = "decline", _l("Not selected")
    CONFIRM = "confirm", _l("Confirm")
    READY = "ready", _l("Mark ready")
    DEPART = "depart", _l("Departed")
    RETURN = "return", _l("Returned")
    REPORT = "report", _l("Mark reported")
    CLOSE = "close", _l("Close")
    CANCEL = "cancel", _l("Cancel")
    POSTPONE = "postpone", _l("Postpone")


class ChecklistItem(Vocabulary):
    """Readiness before departure, from the welcome practice for international staff."""

    VISA = "visa", _l("Visa and permits")
    TRAVEL = "travel", _l("Travel booked")
    HOUSING = "housing", _l("Housing arranged")
    INSURANCE = "insurance", _l("Health insurance")
    REGISTRATION = "registration", _l("Registration with the local authority")
    LICENCE = "licence", _l("Observership or temporary licence status")
    SUPERVISOR = "supervisor", _l("Host supervisor and a buddy named")
    ORIENTATION = "orientation", _l("Orientation")
    RETURN_DATE = "return_date", _l("Return date agreed")
