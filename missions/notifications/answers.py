"""Signed, expiring links with which a professional answers a proposal from its e-mail.

A link names the mission, the professional, the answer (accept or decline), the proposal it
was made for (the moment of the proposal: new dates make a new proposal, and old links stop
working) and when it expires; it is signed with the app's secret (itsdangerous), so it cannot
be made or changed by anyone else. Opening it never acts: it shows the proposal and a button,
and the answer is a POST with a CSRF token, through the missions' own lifecycle (its rules,
its compare-and-set, its notices). Answering twice, or opening the link after answering,
shows the answer given; a mission that moved on meanwhile is a 409 with what it is now.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from diaspora.auth.models import User
from diaspora.errors import NotFound

from ..core.models import Mission
from ..core.vocabulary import MissionStatus
from .producers import proposed_at

SALT = "missions.answer"
ACTIONS = {"accept": MissionStatus.ACCEPTED, "decline": MissionStatus.DECLINED}


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _stamp(instant: datetime) -> int:
    return int(instant.timestamp())


def link_lifetime() -> timedelta:
    return timedelta(days=current_app.config.get("ANSWER_LINK_DAYS", 14))


def make_token(mission: Mission, user: User, action: str, *, now: datetime) -> str:
    return _serializer().dumps({"m": mission.id, "u": user.id, "a": action,
                                "p": _stamp(proposed_at(mission)),
                                "e": _stamp(now + link_lifetime())})


def answer_links(mission: Mission, user: User, *, now: datetime) -> dict[str, str]:
    """``{action: absolute URL}`` for the mission's professional while it is proposed."""
    if mission.status != MissionStatus.PROPOSED or mission.professional.user_id != user.id:
        return {}
    return {action: url_for("notifications.answer", token=make_token(mission, user, action, now=now),
                            _external=True) for action in ACTIONS}


@dataclass
class Answer:
    mission: Mission
    user: User
    action: str
    expired: bool          # the link is too old to act
    superseded: bool       # the proposal it was made for was replaced by new dates

    @property
    def given(self) -> bool:
        """This very answer is the mission's status already (a second click, a reload)."""
        return self.mission.status == ACTIONS[self.action] and not self.superseded

    @property
    def answerable_on_page(self) -> bool:
        """Only the link ran out: the proposal still waits, on the mission's page."""
        return self.expired and self.mission.status == MissionStatus.PROPOSED

    @property
    def open(self) -> bool:
        """The answer can still be given with this link."""
        return (self.mission.status == MissionStatus.PROPOSED and not self.expired
                and not self.superseded)


def read_token(session, token: str, *, now: datetime) -> Answer:
    """The answer a link stands for; 404 for a link that was not made here, or whose mission or
    person is gone."""
    try:
        data = _serializer().loads(token)
        mission_id, user_id, action = int(data["m"]), int(data["u"]), str(data["a"])
        proposed, expires = int(data["p"]), int(data["e"])
    except (BadSignature, KeyError, TypeError, ValueError) as error:
        raise NotFound() from error
    mission, user = session.get(Mission, mission_id), session.get(User, user_id)
    if (action not in ACTIONS or mission is None or user is None or not user.active
            or mission.professional.user_id != user.id):
        raise NotFound()
    return Answer(mission=mission, user=user, action=action,
                  expired=_stamp(now) >= expires,
                  superseded=_stamp(proposed_at(mission)) != proposed)
