"""Filing outcome reports, waiving them, answering follow-up surveys — and the hooks that tie
them to the mission lifecycle and the scheduler's reminders.

- A mission's professional files the "professional" report; a coordinator of the host
  facility files the "host" report. Reports are filed once the mission is completed and can be
  amended until it is closed.
- When both sides are in (filed or waived by a manager) a completed mission moves to
  ``reported`` on its own; ``close`` is refused while a side is missing.
- Completing a mission creates its follow-up surveys (+3, +6, +12 months), which its
  professional or a host coordinator answer once due.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diaspora import audit
from diaspora.auth.models import User
from diaspora.db import unit_of_work
from diaspora.errors import Conflict, Forbidden, Invalid, NotFound
from diaspora.facilities.models import facility_coordinators
from diaspora.professionals.models import Professional
from diaspora.security import Actor
from diaspora.vocabulary import MANAGERS, Mode, Role

from ..core import access, lifecycle
from ..core.models import Mission
from ..core.vocabulary import DONE, REPORTING, MissionAction, MissionStatus, SessionStatus
from .models import (
    FOLLOW_UP_MONTHS,
    SIDES,
    FollowUp,
    OutcomeItem,
    OutcomeReport,
    OutcomeTrainee,
    ReportWaiver,
)

# A mission's reports are filed, amended or waived while it is in these statuses.
# A survey opens a week before it is due, so a reminder counted in days rather than calendar
# months never lands on a closed form.
SURVEY_OPENS_BEFORE = timedelta(days=7)
SIDE_OF_RELATION = {Role.PROFESSIONAL: "professional", Role.COORDINATOR: "host"}
SIDE_ROLE = {side: role for role, side in SIDE_OF_RELATION.items()}   # who files each side
# A report or an answer replaces the previous one whole: what it leaves out is cleared.
REPORT_OPTIONAL = ("patients_seen", "procedures_done", "tested_count", "pre_score", "post_score",
                   "rating_comment", "barriers_note", "next_steps_note", "narrative")


@dataclass
class MissionOutcomes:
    """A mission's reports and waivers by side, the sides still missing, and its follow-ups."""

    mission_id: int
    reports: dict[str, OutcomeReport] = field(default_factory=dict)
    waivers: dict[str, ReportWaiver] = field(default_factory=dict)
    follow_ups: list[FollowUp] = field(default_factory=list)
    awaited: bool = False   # reports may be filed, amended or waived now
    closed: bool = False

    @property
    def missing(self) -> list[str]:
        return [side for side in SIDES if side not in self.reports and side not in self.waivers]

    @property
    def shown(self) -> bool:
        """Whether the mission page shows an outcomes panel."""
        return self.awaited or self.closed or bool(self.reports or self.follow_ups)


# --- reading ------------------------------------------------------------------------------

def side_of(session, actor, mission: Mission) -> str | None:
    """The side ``actor`` reports for on this mission (managers report for neither)."""
    return SIDE_OF_RELATION.get(access.relation(session, actor, mission))


def outcomes_of(session, mission: Mission) -> MissionOutcomes:
    reports = session.scalars(sa.select(OutcomeReport).where(OutcomeReport.mission_id == mission.id))
    waivers = session.scalars(sa.select(ReportWaiver).where(ReportWaiver.mission_id == mission.id))
    follow_ups = session.scalars(sa.select(FollowUp).where(FollowUp.mission_id == mission.id)
                                 .order_by(FollowUp.months))
    return MissionOutcomes(mission.id, reports={r.side: r for r in reports},
                           waivers={w.side: w for w in waivers}, follow_ups=list(follow_ups),
                           awaited=mission.status in REPORTING,
                           closed=mission.status == MissionStatus.CLOSED)


def missing_sides(session, mission: Mission) -> list[str]:
    return outcomes_of(session, mission).missing


def get_follow_up(session, mission: Mission, months: int) -> FollowUp:
    follow_up = session.scalar(sa.select(FollowUp).where(FollowUp.mission_id == mission.id,
                                                         FollowUp.months == months))
    if follow_up is None:
        raise NotFound(_("This mission has no such follow-up survey."))
    return follow_up


def survey_open(follow_up: FollowUp, now: datetime) -> bool:
    return now >= follow_up.due_at - SURVEY_OPENS_BEFORE


# --- reports and waivers ------------------------------------------------------------------

def file_report(session, mission: Mission, side: str, data: dict, *, actor, now: datetime) -> OutcomeReport:
    """File or amend ``side``'s report (``data`` loaded by ``OutcomeReportSchema``)."""
    require_author(session, actor, mission, side)
    _check_against_mission(mission, data)
    with _all_or_nothing(session):
        report = _save_report(session, mission, side, data, actor=actor, now=now)
        _finish(session, mission, actor=actor, now=now)
    return report


def waive(session, mission: Mission, side: str, reason: str, *, actor, now: datetime) -> ReportWaiver:
    """A manager records that ``side``'s report will not come."""
    if access.relation(session, actor, mission) not in MANAGERS:
        raise Forbidden(_("Only programme managers waive a report."))
    _require_reporting(mission)
    current = outcomes_of(session, mission)
    if side in current.reports:
        raise Conflict(_("This report has been filed."))
    if side in current.waivers:
        raise Conflict(_("This report has been waived already."))
    waiver = ReportWaiver(mission_id=mission.id, side=side, reason=reason, waived_by_id=actor.id,
                          waived_at=now)
    with _all_or_nothing(session):
        session.add(waiver)
        audit.record(session, now=now, actor=actor, action="create", entity="report_waiver",
                     entity_id=mission.id, detail={"side": side})
        _finish(session, mission, actor=actor, now=now)
    return waiver


@contextmanager
def _all_or_nothing(session: Session):
    """One unit of work (a refusal rolls back what was added), in which a report or waiver
    saved by someone else at the same moment (the unique side) is a conflict."""
    try:
        with unit_of_work(session):
            yield
    except IntegrityError as error:
        raise Conflict(_("Someone saved this at the same moment: reload the page and try again.")) \
            from error


def require_author(session, actor, mission: Mission, side: str) -> None:
    """``actor`` may file ``side``'s report of ``mission`` now, else Forbidden or Conflict."""
    if side_of(session, actor, mission) != side:
        raise Forbidden(_("You cannot file this report."))
    _require_reporting(mission)


def _require_reporting(mission: Mission) -> None:
    if mission.status not in REPORTING:
        raise Conflict(_("Reports are filed once the mission is completed and until it is closed "
                         "(it is %(status)s).", status=MissionStatus.label_of(mission.status)),
                       extra={"current_status": mission.status})


def _check_against_mission(mission: Mission, data: dict) -> None:
    """The rules of a report that depend on the mission it is about."""
    errors = {}
    if mission.kind == Mode.VIRTUAL:
        for key in ("patients_seen", "procedures_done"):
            if data.get(key):
                errors[key] = [_("Patients and procedures are counted for in-person missions.")]
        scheduled = sum(1 for s in mission.sessions if s.status != SessionStatus.CANCELLED)
        if data["sessions_held"] > scheduled:
            errors["sessions_held"] = [_("More sessions than the %(n)d scheduled.", n=scheduled)]
    if errors:
        raise Invalid(_("Some information is not valid."), errors=errors)


def _save_report(session, mission: Mission, side: str, data: dict, *, actor, now: datetime) -> OutcomeReport:
    report = session.scalar(sa.select(OutcomeReport).where(OutcomeReport.mission_id == mission.id,
                                                           OutcomeReport.side == side))
    creating = report is None
    if creating:
        report = OutcomeReport(mission_id=mission.id, side=side, filed_at=now)
        session.add(report)
    else:  # rows are replaced whole; old ones go first so (cadre, gender) stays unique
        report.trainees.clear()
        report.items.clear()
        session.flush()
    rows = {"trainees": OutcomeTrainee, "items": OutcomeItem}
    for key, value in {**dict.fromkeys(REPORT_OPTIONAL), **data}.items():
        if key in rows:
            value = [rows[key](**row) for row in value]
        setattr(report, key, value)
    report.author_id = actor.id
    report.updated_at = now
    session.flush()
    audit.record(session, now=now, actor=actor, action="create" if creating else "update",
                 entity="outcome_report", entity_id=report.id,
                 detail={"mission": mission.id, "side": side})
    return report


def _finish(session: Session, mission: Mission, *, actor: Actor, now: datetime) -> None:
    """A completed mission with both sides in moves on to ``reported`` (in the caller's unit
    of work).

    Only managers and the scheduler may "report" a mission, so a professional's or
    coordinator's filing moves it as the scheduler would.
    """
    if mission.status == MissionStatus.COMPLETED and not missing_sides(session, mission):
        by = actor if actor.role in MANAGERS else lifecycle.SCHEDULER
        lifecycle.transition(session, mission, MissionAction.REPORT, actor=by, now=now)


# --- follow-up surveys --------------------------------------------------------------------

def follow_up_due_at(mission: Mission, months: int) -> datetime:
    """When the survey at ``months`` is due: that many calendar months after the mission's end."""
    return mission.ends_at + relativedelta(months=months)


def require_respondent(session, actor, follow_up: FollowUp, now: datetime) -> None:
    """``actor`` may answer the survey now, else Forbidden or Conflict."""
    if side_of(session, actor, follow_up.mission) is None:
        raise Forbidden(_("Only the mission's professional and host coordinators answer this survey."))
    if not survey_open(follow_up, now):
        raise Conflict(_("This survey opens on %(day)s.",
                         day=(follow_up.due_at - SURVEY_OPENS_BEFORE).date()))


def answer_follow_up(session, follow_up: FollowUp, data: dict, *, actor, now: datetime) -> FollowUp:
    """Answer (or correct the answer to) a due survey (``data`` from ``FollowUpAnswerSchema``)."""
    require_respondent(session, actor, follow_up, now)
    mission = follow_up.mission
    with unit_of_work(session):
        for key, value in {"note": None, **data}.items():
            setattr(follow_up, key, value)
        follow_up.answered_at = now
        follow_up.answered_by_id = actor.id
        audit.record(session, now=now, actor=actor, action="update", entity="follow_up",
                     entity_id=follow_up.id,
                     detail={"mission": mission.id, "months": follow_up.months})
    return follow_up


# --- hooks (registered in missions.register) ----------------------------------------------

def create_follow_ups(session, mission: Mission, action: str, actor, now: datetime) -> None:
    """Transition hook: a mission that completes gets its three surveys (in the
    transition's unit of work)."""
    if action != "complete":
        return
    existing = set(session.scalars(sa.select(FollowUp.months).where(FollowUp.mission_id == mission.id)))
    for months in FOLLOW_UP_MONTHS:
        if months not in existing:
            session.add(FollowUp(mission_id=mission.id, months=months, created_at=now,
                                 due_at=follow_up_due_at(mission, months)))


def create_follow_ups_many(session, missions: list[Mission], action: str, actor, now: datetime) -> None:
    """``create_follow_ups`` for many missions moved at once (one query for what exists, one
    INSERT)."""
    if action != "complete" or not missions:
        return
    existing = set(map(tuple, session.execute(sa.select(FollowUp.mission_id, FollowUp.months).where(
        FollowUp.mission_id.in_([mission.id for mission in missions])))))
    rows = [{"mission_id": mission.id, "months": months, "created_at": now,
             "due_at": follow_up_due_at(mission, months)}
            for mission in missions for months in FOLLOW_UP_MONTHS if (mission.id, months) not in existing]
    if rows:
        session.execute(sa.insert(FollowUp), rows)


def reports_in_before_close(session, mission: Mission, now: datetime) -> None:
    """Transition guard for "close": both reports filed, or the missing ones waived."""
    missing = missing_sides(session, mission)
    if missing:
        raise Conflict(_("Both outcome reports are needed before closing (or a manager's waiver): "
                         "missing %(sides)s.", sides=", ".join(missing)),
                       extra={"current_status": mission.status, "missing_reports": missing})


def reports_still_due(session, notifications: list, now: datetime) -> list[bool]:
    """Batch check of "report_due" (``MissionHooks.reminder_batch_checks``): for each row,
    whether its addressee still has a side to file on a mission that awaits reports — one
    query for the whole batch. The side is the one ``side_of`` gives: the mission's
    professional reports for "professional", a coordinator of the host facility for "host"."""
    mission_ids = {n.mission_id for n in notifications if n.mission_id is not None}
    user_ids = {n.user_id for n in notifications if n.user_id is not None}
    if not mission_ids or not user_ids:
        return [False] * len(notifications)
    coordinating = facility_coordinators

    def awaited(side: str, people, user_column, *on):
        filed = sa.exists().where(OutcomeReport.mission_id == Mission.id, OutcomeReport.side == side)
        waived = sa.exists().where(ReportWaiver.mission_id == Mission.id, ReportWaiver.side == side)
        return (sa.select(Mission.id, User.id).select_from(Mission)
                .join(people, sa.and_(*on)).join(User, User.id == user_column)
                .where(Mission.id.in_(mission_ids), user_column.in_(user_ids),
                       Mission.status.in_(REPORTING), User.role == SIDE_ROLE[side], ~filed, ~waived))

    still = set(map(tuple, session.execute(sa.union_all(
        awaited("professional", Professional, Professional.user_id,
                Professional.id == Mission.professional_id),
        awaited("host", coordinating, coordinating.c.user_id,
                coordinating.c.facility_id == Mission.facility_id)))))
    return [(n.mission_id, n.user_id) in still for n in notifications]


def follow_ups_still_due(session, notifications: list, now: datetime) -> list[bool]:
    """Batch check of "follow_up_due": the survey exists, is unanswered and its mission is
    done — one query for the whole batch."""
    mission_ids = {n.mission_id for n in notifications if n.mission_id is not None}
    open_surveys = set(map(tuple, session.execute(
        sa.select(FollowUp.mission_id, FollowUp.months).join(Mission, Mission.id == FollowUp.mission_id)
        .where(FollowUp.mission_id.in_(mission_ids), FollowUp.answered_at.is_(None),
               Mission.status.in_(DONE))))) if mission_ids else set()
    return [(n.mission_id, (n.payload or {}).get("months")) in open_surveys for n in notifications]
