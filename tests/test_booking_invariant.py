"""The database checks at commit that a mission's active bookings match its status.

A mission from proposed to closed (``HOLDING``) holds one active booking per span — its whole
span (physical) or each session not cancelled (virtual); a declined, cancelled or postponed
mission holds none (migration 0006). The services keep the rule; writes that break it, by the
ORM or in SQL, fail when they are committed, on both databases.
"""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from missions.core import lifecycle
from missions.core.booking import bookings_for
from missions.core.models import Booking, Mission, MissionSession
from missions.sessions import attendance

from .conftest import START

# The rule is checked at COMMIT: the tests need real commits, not the shared app's savepoints.
pytestmark = pytest.mark.own_app


def faults() -> list[int]:
    """The missions the database's own rule finds at fault (its view), now."""
    return list(db.session.scalars(sa.text("SELECT mission_id FROM mission_booking_faults")))


def act(mission, action, actor, **kwargs):
    return lifecycle.transition(db.session, mission, action, actor=actor, now=START, **kwargs)


@pytest.fixture
def physical(make_need, make_professional, propose, manager):
    """An accepted physical mission (6–19 April 2026) and its professional."""
    professional = make_professional()
    mission = propose(make_need(), professional)
    act(mission, "accept", professional.user)
    return mission


@pytest.fixture
def virtual(make_need, make_professional, propose):
    """A proposed weekly series of three sessions (Tuesdays from 7 April 2026)."""
    need = make_need(mode="virtual", purpose="teaching", duration_days=None,
                     sessions_per_week=1, weeks=3, session_hours=1.5)
    return propose(need, make_professional(), kind="virtual", starts_on=date(2026, 4, 7),
                   weekdays=["TU"], session_start=time(14, 0), session_minutes=90, weeks=3)


def refused_at_commit(write) -> None:
    """``write`` (given the session) commits fine up to the commit, which the database refuses."""
    write(db.session)
    db.session.flush()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


# --- the services keep the rule -----------------------------------------------------------

def test_every_service_leaves_the_bookings_matching_the_status(physical, virtual, manager,
                                                               make_need, propose):
    professional = physical.professional
    for action in ("confirm", "postpone"):
        act(physical, action, manager, reason="the ward is closed")
        assert faults() == []
    lifecycle.reschedule(db.session, physical, {"starts_on": date(2026, 5, 4)}, actor=manager,
                         now=START)
    assert physical.status == "proposed" and faults() == []
    act(physical, "decline", professional.user, reason="busy")
    assert faults() == []
    other = propose(make_need(), professional, starts_on=date(2026, 5, 4))  # the time is free
    act(other, "cancel", manager, reason="no budget")

    attendance.cancel_session(db.session, virtual.sessions[1], "strike", actor=manager, now=START)
    act(virtual, "accept", virtual.professional.user)
    assert faults() == []
    assert db.session.scalar(sa.select(sa.func.count(Booking.id)).where(
        Booking.mission_id == virtual.id, Booking.active)) == 2
    act(virtual, "cancel", manager, reason="no budget")
    assert faults() == []


def test_a_direct_write_that_keeps_the_rule_commits_in_either_order(physical, virtual):
    physical.status = "cancelled"
    db.session.flush()          # the status first, with the booking still held ...
    for booking in physical.bookings:
        booking.active = False  # ... then released
    db.session.commit()
    db.session.execute(sa.update(Booking).where(Booking.mission_id == virtual.id)
                       .values(active=False))   # released first ...
    db.session.execute(sa.update(Mission).where(Mission.id == virtual.id)
                       .values(status="cancelled"))  # ... then the status
    db.session.commit()
    assert faults() == []


# --- writes that break it are refused at commit -------------------------------------------

def test_a_mission_leaving_the_holding_statuses_must_release_its_booking(physical):
    def cancel_without_release(session):
        physical.status = "cancelled"

    refused_at_commit(cancel_without_release)
    assert db.session.get(Mission, physical.id).status == "accepted"


def test_a_holding_mission_cannot_lose_its_booking(physical):
    refused_at_commit(lambda session: session.execute(sa.text(
        "UPDATE bookings SET active = false WHERE mission_id = :id"), {"id": physical.id}))
    refused_at_commit(lambda session: session.execute(
        sa.delete(Booking).where(Booking.mission_id == physical.id)))
    assert [b.active for b in db.session.get(Mission, physical.id).bookings] == [True]


def test_a_booking_must_hold_the_missions_own_span(physical):
    refused_at_commit(lambda session: session.execute(
        sa.update(Booking).where(Booking.mission_id == physical.id)
        .values(ends_at=physical.ends_at - timedelta(days=1))))
    refused_at_commit(lambda session: session.execute(
        sa.update(Mission).where(Mission.id == physical.id)
        .values(starts_at=physical.starts_at + timedelta(days=60),
                ends_at=physical.ends_at + timedelta(days=60))))


@pytest.mark.parametrize("status", ["cancelled", "declined", "postponed"])
def test_a_mission_in_another_status_holds_no_booking(physical, manager, status):
    act(physical, "cancel", manager, reason="no budget")
    physical_id = physical.id
    if status != "cancelled":
        db.session.execute(sa.update(Mission).where(Mission.id == physical_id).values(status=status))
        db.session.commit()

    def book_anyway(session):
        session.add_all(bookings_for(session.get(Mission, physical_id)))

    refused_at_commit(book_anyway)


def test_a_released_mission_cannot_become_holding_again_without_its_booking(physical, manager):
    act(physical, "cancel", manager, reason="no budget")
    refused_at_commit(lambda session: session.execute(sa.text(
        "UPDATE missions SET status = 'accepted' WHERE id = :id"), {"id": physical.id}))


def test_a_holding_mission_written_without_bookings_is_refused(physical):
    def copy_without_bookings(session):
        session.add(Mission(need=physical.need, professional=physical.professional,
                            facility_id=physical.facility_id, engagement=physical.engagement,
                            cycle=2, kind="physical", status="confirmed",
                            starts_at=physical.starts_at + timedelta(days=60),
                            ends_at=physical.ends_at + timedelta(days=60),
                            timezone=physical.timezone, proposed_at=START, created_at=START,
                            updated_at=START))

    refused_at_commit(copy_without_bookings)


def test_each_session_not_cancelled_holds_its_booking(virtual):
    second = virtual.sessions[1]
    refused_at_commit(lambda session: session.execute(   # cancelled, booking kept
        sa.update(MissionSession).where(MissionSession.id == second.id).values(status="cancelled")))
    refused_at_commit(lambda session: session.execute(   # booking released, session kept
        sa.update(Booking).where(Booking.session_id == second.id).values(active=False)))

    def lose_the_session_booking(session):   # the other session's booking is not this one's
        booking = next(b for b in virtual.bookings if b.session_id == second.id)
        booking.session_id = virtual.sessions[2].id

    refused_at_commit(lose_the_session_booking)


def test_a_virtual_mission_holds_no_booking_of_its_whole_span(virtual):
    def book_the_span(session):
        for booking in virtual.bookings:
            booking.active = False
        session.flush()
        session.add(Booking(professional_id=virtual.professional_id, mission=virtual,
                            starts_at=virtual.starts_at, ends_at=virtual.ends_at))

    refused_at_commit(book_the_span)


def test_the_bookings_of_a_cancelled_session_stay_released(virtual, manager):
    cancelled = virtual.sessions[0]
    attendance.cancel_session(db.session, cancelled, "strike", actor=manager, now=START)
    refused_at_commit(lambda session: session.execute(
        sa.update(Booking).where(Booking.session_id == cancelled.id).values(active=True)))
