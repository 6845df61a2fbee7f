"""What each kind of notification says: a translatable subject and body, and a link.

Texts are rendered when shown (the inbox, in the reader's language) or sent (e-mail, in the
recipient's language, see ``mail``), from the facts stored in the row's ``payload``. Instants
in the payload (keys ending in ``_at``, ISO 8601) are shown in the recipient's zone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from flask import url_for
from flask_babel import get_locale, lazy_gettext as _l

from diaspora import reference


@dataclass(frozen=True)
class Message:
    subject: object   # lazy strings: translated when rendered
    body: object
    link: str = "mission"   # see LINKS


MESSAGES = {
    "mission_proposed": Message(
        _l("Mission proposal: %(mission)s"),
        _l("You are invited to “%(mission)s” at %(facility)s, from %(starts_at)s. Please accept "
           "or decline the proposal.")),
    "mission_accepted": Message(
        _l("%(professional)s accepted “%(mission)s”"),
        _l("%(professional)s accepted the mission “%(mission)s” at %(facility)s. It can now be "
           "confirmed.")),
    "mission_declined": Message(
        _l("%(professional)s declined “%(mission)s”"),
        _l("%(professional)s declined the mission “%(mission)s” at %(facility)s. Reason: "
           "%(reason)s")),
    "mission_confirmed": Message(
        _l("Mission confirmed: %(mission)s"),
        _l("The mission “%(mission)s” at %(facility)s with %(professional)s is confirmed. It "
           "starts %(starts_at)s.")),
    "mission_cancelled": Message(
        _l("Mission cancelled: %(mission)s"),
        _l("The mission “%(mission)s” at %(facility)s was cancelled. Reason: %(reason)s")),
    "mission_postponed": Message(
        _l("Mission postponed: %(mission)s"),
        _l("The mission “%(mission)s” at %(facility)s was postponed; new dates will be "
           "proposed. Reason: %(reason)s")),
    "proposal_waiting": Message(
        _l("A mission proposal awaits your answer"),
        _l("The proposal “%(mission)s” at %(facility)s has been waiting for %(days)s days. "
           "Please accept or decline it.")),
    "readiness_incomplete": Message(
        _l("Readiness checklist incomplete: %(mission)s"),
        _l("“%(mission)s” at %(facility)s starts %(starts_at)s and its readiness checklist is "
           "not complete. Still open: %(missing)s.")),
    "mission_starts": Message(
        _l("Your mission starts tomorrow: %(mission)s"),
        _l("“%(mission)s” at %(facility)s starts %(starts_at)s.")),
    # to the host's coordinators (payload "audience": "host"): who comes, to what
    "mission_starts:host": Message(
        _l("%(professional)s starts tomorrow: %(mission)s"),
        _l("%(professional)s starts the mission “%(mission)s” at %(facility)s on %(starts_at)s.")),
    "session_starts": Message(
        _l("Session in one hour: %(mission)s"),
        _l("Session %(sequence)s of “%(mission)s” starts %(starts_at)s. Join: %(join_url)s")),
    "session_cancelled": Message(
        _l("Session cancelled: %(mission)s"),
        _l("Session %(sequence)s of “%(mission)s” (%(starts_at)s) is cancelled. Reason: "
           "%(reason)s")),
    "report_due": Message(
        _l("Outcome report due: %(mission)s"),
        _l("“%(mission)s” at %(facility)s ended %(ends_at)s. Your outcome report is due now: "
           "people trained, sessions held, what was introduced.")),
    "report_overdue": Message(
        _l("Outcome report overdue: %(mission)s"),
        _l("The outcome report of “%(mission)s” at %(facility)s (%(professional)s), which "
           "ended %(ends_at)s, is overdue.")),
    "follow_up_due": Message(
        _l("%(months)s-month follow-up: %(mission)s"),
        _l("It is %(months)s months since “%(mission)s” at %(facility)s ended. Please answer "
           "the follow-up survey: what has lasted, what is still needed.")),
    "licence_expiring": Message(
        _l("Your licence for %(country)s expires on %(valid_until)s"),
        _l("Your licence to practise in %(country)s (%(authority)s) expires on "
           "%(valid_until)s. Add the renewed licence to your profile to stay eligible for "
           "missions there."),
        link="licences"),
    "availability_stale": Message(
        _l("Please check your availability"),
        _l("Your availability was last updated on %(since)s. Keeping it current helps host "
           "facilities plan missions with you."),
        link="availability"),
    "coordinator_registered": Message(
        _l("A facility coordinator registered: %(name)s"),
        _l("%(name)s registered as the coordinator of “%(facility)s” and waits to be attached "
           "to that facility."),
        link="user"),
    "placement_follow_up_due": Message(
        _l("%(months)s-month follow-up: %(offer)s"),
        _l("It is %(months)s months since your colleague came back from “%(offer)s” at "
           "%(partner)s. Please answer the follow-up: back in post? what was introduced? how "
           "many colleagues trained in turn?"),
        link="placement"),
    "placement_selected": Message(
        _l("Selected for a placement: %(worker)s"),
        _l("%(worker)s is selected for “%(offer)s” at %(partner)s. The readiness checklist is "
           "open."), link="placement"),
    "placement_declined": Message(
        _l("Not selected: %(worker)s"),
        _l("%(worker)s was not selected for “%(offer)s” at %(partner)s. Reason: %(reason)s"),
        link="placement"),
    "placement_confirmed": Message(
        _l("Placement confirmed: %(worker)s"),
        _l("The placement of %(worker)s in “%(offer)s” at %(partner)s is confirmed."),
        link="placement"),
    "placement_postponed": Message(
        _l("Placement postponed: %(worker)s"),
        _l("The placement of %(worker)s in “%(offer)s” at %(partner)s is postponed. Reason: "
           "%(reason)s"), link="placement"),
    "placement_cancelled": Message(
        _l("Placement cancelled: %(worker)s"),
        _l("The placement of %(worker)s in “%(offer)s” at %(partner)s is cancelled. Reason: "
           "%(reason)s"), link="placement"),
    "account_invitation": Message(
        _l("You are invited to the diaspora skills registry"),
        _l("A programme added you to the diaspora skills registry. Open the link within "
           "%(days)s days to check your data, choose a password and say whether you agree to "
           "be in the registry. Nobody will contact you for a mission before you agree."),
        link="payload"),
}

LINKS = {
    "mission": lambda n: url_for("missions.detail", mission_id=n.mission_id, _external=True),
    "licences": lambda n: url_for("professionals.me", _anchor="licences", _external=True),
    "availability": lambda n: url_for("professionals.me", _anchor="windows", _external=True),
    "user": lambda n: url_for("auth.user_edit", user_id=n.payload["user_id"], _external=True),
    "placement": lambda n: url_for("placements.detail", placement_id=n.payload["placement"],
                                   _external=True),
    "payload": lambda n: (n.payload or {}).get("link", ""),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    link: str


def render(notification, zone: str) -> Rendered:
    """The notification's texts in the current locale, instants shown in ``zone``."""
    message = message_for(notification)
    values = _display_values(notification.payload or {}, zone)
    return Rendered(str(message.subject) % values, str(message.body) % values,
                    LINKS[message.link](notification))


def message_for(notification) -> Message:
    """The kind's message, or its variant for the row's audience (e.g. the host's)."""
    payload = notification.payload or {}
    return MESSAGES.get(f"{notification.kind}:{payload.get('audience')}",
                        MESSAGES[notification.kind])


def _display_values(payload: dict, zone: str) -> dict:
    values = {}
    # An in-person mission's start and end are its first and last days in the host's zone.
    days = {"starts_at": payload.get("first_day"), "ends_at": payload.get("last_day")}
    for name, value in payload.items():
        if days.get(name):
            value = format_date(date.fromisoformat(days[name]), "long", locale=get_locale())
        elif name.endswith("_at") and value:
            value = show_instant(datetime.fromisoformat(value), zone)
        elif name in ("valid_until", "since") and value:
            value = format_date(date.fromisoformat(value), "long", locale=get_locale())
        elif name == "country":
            value = reference.country_name(value)
        elif name == "missing":
            value = ", ".join(str(reference.CHECKLIST_LABELS[item]) for item in value)
        elif value is None:
            value = "—"
        values[name] = value
    return values


def show_instant(instant: datetime, zone: str) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    return (format_datetime(local, "medium", tzinfo=ZoneInfo(zone), locale=get_locale())
            + " " + local.strftime("%Z"))
