"""Erasure leaves no trace of the person in any text or JSON column of any table, while the
counts stay. The scan is generic over ``db.metadata``: a new table is covered without editing
this test (give it data about the person in ``person_everywhere`` to make the check bite)."""
from __future__ import annotations

import json
import re
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from diaspora.auth.services import create_token
from diaspora.documents import services as documents
from diaspora.extensions import db
from diaspora.needs import services as needs
from diaspora.needs.schemas import NeedSchema
from diaspora.privacy.scrub import ERASED, Scrubber
from diaspora.privacy.services import erase_person, export_person
from diaspora.professionals import services as professionals
from diaspora.programmes.models import Organisation
from missions.calendars.services import create_feed
from missions.core import access, lifecycle
from missions.core.proposals import propose_mission
from missions.documents import certificates, services as mission_documents
from missions.notifications.messages import render
from missions.notifications.models import Notification
from missions.outcomes import services as outcomes
from missions.scheduler.process import run_once
from missions.sessions.attendance import cancel_session

from .conftest import START
from .test_documents import pdf, png

GIVEN, FAMILY = "Zephyrine", "Quartey-Obuobi"
EMAIL = "zephyrine.qo@example.org"
PHONE = "+233 24 555 0199"
LOCAL_PHONE = "024-555-0199"
MENTION = f"Dr {GIVEN} {FAMILY} ({EMAIL}, {PHONE})"
# What must not remain anywhere: each name, the e-mail, the phone in any spelling.
TRACES = re.compile("|".join([GIVEN, "Quartey", "Obuobi", re.escape(EMAIL),
                              r"5[\s().\-/]*5[\s().\-/]*5[\s().\-/]*0[\s().\-/]*1[\s().\-/]*9[\s().\-/]*9"]),
                    re.IGNORECASE)
REPORT = {"trained_total": 4, "sessions_held": 2, "hours": 6, "patients_seen": 10,
          "procedures_done": 2, "rating": 4, "trainees": [{"cadre": "2221", "gender": "female",
                                                           "count": 4}], "items": []}
# Tables counted before and after: erasure rewrites these rows, it never removes them.
KEPT = ("missions", "mission_events", "mission_checklist", "mission_sessions", "needs",
        "need_events", "outcome_reports", "outcome_trainees", "follow_ups", "report_waivers",
        "notifications", "api_tokens", "calendar_feeds", "users", "professionals", "audit_events")


def traces(pattern: re.Pattern = TRACES) -> list[str]:
    """Every text and JSON value, in every table of the metadata, that ``pattern`` finds."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [column for column in table.columns
                   if isinstance(getattr(column.type, "impl", column.type),
                                 (sa.String, sa.Text, sa.JSON))]
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)).all():
            for column, value in zip(columns, row):
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                if value is not None and pattern.search(text):
                    found.append(f"{table.name}.{column.name}: {text[:120]}")
    return found


def counts() -> dict[str, int]:
    return {name: db.session.scalar(sa.select(sa.func.count()).select_from(
        db.metadata.tables[name])) for name in KEPT}


def act(mission, action, actor, now=START, reason=None):
    return lifecycle.transition(db.session, mission, action, actor=actor, now=now, reason=reason)


@pytest.fixture
def person_everywhere(make_user, make_professional, make_facility, make_need, manager):
    """A professional with data in every table, named by others in every free text."""
    person = make_user("professional", email=EMAIL, name=f"{GIVEN} {FAMILY}")
    organisation = Organisation(name="Ghana Diaspora Midwives", contact_email=EMAIL.upper())
    db.session.add(organisation)
    db.session.commit()
    professional = make_professional(user=person, given_name=GIVEN, family_name=FAMILY,
                                     phone=PHONE, bio=f"I am {MENTION}", organisation_id=organisation.id,
                                     windows=((date(2026, 4, 1), date(2026, 7, 31), "either", 6),))
    professional.windows[0].note = f"call {LOCAL_PHONE}"
    professional.skills = []
    db.session.commit()
    professionals.add_child(db.session, professional, "qualifications", {
        "title": "MSc Midwifery", "issuing_body": "KNUST", "country": "GH", "year": 2012},
        actor=person, now=START)
    coordinator = make_user("coordinator")
    facility = make_facility()
    facility.coordinators.append(coordinator)
    db.session.commit()
    create_token(db.session, person, f"{GIVEN}'s laptop", now=START)
    create_feed(db.session, person, now=START)

    # a need the host writes about her, returned by a manager, then approved
    filed = needs.create_need(db.session, NeedSchema().load({
        "facility_id": facility.id, "title": f"Return of {GIVEN} {FAMILY}", "cadre": "2212",
        "specialty": "obstetrics-gynaecology", "description": f"We ask for {MENTION} again",
        "purpose": "clinical_service", "mode": "physical", "earliest_start": "2026-04-01",
        "latest_end": "2026-06-30", "duration_days": 14, "languages": ["en"],
        "counterparts": [{"name": "Kwesi Appiah", "role": f"mentored by {FAMILY}"}]}),
        actor=coordinator, now=START, submit=True)
    needs.act(db.session, filed, "return", actor=manager, now=START,
              reason=f"Ask {FAMILY} for her dates first ({LOCAL_PHONE})")
    needs.act(db.session, filed, "submit", actor=coordinator, now=START)
    needs.act(db.session, filed, "approve", actor=manager, now=START)

    def propose(need, **data):
        data.setdefault("kind", "physical")
        return propose_mission(db.session, need, professional, data, actor=manager, now=START)

    # A: done, with notes, checklist notes, both reports and an answered follow-up
    first = propose(filed, starts_on=date(2026, 4, 6), note=f"Please brief {MENTION}")
    act(first, "accept", person)
    act(first, "confirm", manager)
    lifecycle.tick(db.session, first, "counterpart_assigned", True, actor=coordinator, now=START,
                   note=f"Kwesi will shadow {GIVEN}")
    lifecycle.tick(db.session, first, "insurance", True, actor=person, now=START,
                   note=f"insured; reach me on {LOCAL_PHONE}")
    act(first, "start", manager, now=first.starts_at)
    act(first, "complete", manager, now=first.ends_at)
    access.mission_contact(db.session, first, actor=coordinator, now=first.ends_at)
    outcomes.file_report(db.session, first, "host", {
        **REPORT, "narrative": f"{MENTION} trained four midwives",
        "rating_comment": f"{FAMILY} was excellent", "barriers_note": f"{GIVEN}'s kit was late"},
        actor=coordinator, now=first.ends_at)
    outcomes.file_report(db.session, first, "professional", {
        **REPORT, "narrative": "My daughter came with me; the ward was welcoming"},
        actor=person, now=first.ends_at)
    survey = outcomes.get_follow_up(db.session, first, 3)
    outcomes.answer_follow_up(db.session, survey, {
        "practice_in_use": True, "counterparts_in_post": 1, "trainees_cascaded": 3,
        "note": f"Still using what {GIVEN} taught"}, actor=coordinator, now=survey.due_at)

    # D: done, the professional's report waived with a reason naming her
    second = propose(make_need(facility, description=f"Follow-up for {FAMILY}"),
                     starts_on=date(2026, 4, 27))
    act(second, "accept", person)
    act(second, "confirm", manager)
    act(second, "start", manager, now=second.starts_at)
    act(second, "complete", manager, now=second.ends_at)
    outcomes.file_report(db.session, second, "host", REPORT, actor=coordinator, now=second.ends_at)
    outcomes.waive(db.session, second, "professional", f"{GIVEN} is unreachable at {PHONE}",
                   actor=manager, now=second.ends_at)

    # B: declined, with her own reason
    declined = propose(make_need(facility), starts_on=date(2026, 5, 18))
    act(declined, "decline", person, reason=f"Away that month, {GIVEN} — {LOCAL_PHONE}")

    # V: online, a session cancelled by the host, then the mission cancelled by the manager
    online = propose(make_need(facility, mode="virtual", purpose="teaching", duration_days=None,
                               sessions_per_week=1, weeks=3, session_hours=1),
                     kind="virtual", starts_on=date(2026, 6, 2), weekdays=["TU"],
                     session_start=time(10, 0), session_minutes=60, weeks=3)
    act(online, "accept", person)
    act(online, "confirm", manager)
    cancel_session(db.session, online.sessions[0], f"{GIVEN} has no connection", actor=coordinator,
                   now=START)
    act(online, "cancel", manager, reason=f"{FAMILY} moved to {PHONE}")

    # C: still proposed: erasure cancels it (and tells the managers)
    propose(make_need(facility, latest_end=date(2026, 7, 31)), starts_on=date(2026, 7, 6))

    # her papers: a licence scan verified by a manager, a receipt of her mission, a certificate
    scan = documents.upload_own(db.session, person, pdf(), filename=f"{FAMILY} licence.pdf",
                                purpose="licence", now=START)
    documents.verify(db.session, professional, "licences", professional.licences[0].id,
                     {"document_id": scan.id, "register": f"Council register, entry of {FAMILY}"},
                     actor=manager, now=START)
    mission_documents.add(db.session, first, png(), filename=f"taxi receipt {GIVEN}.png",
                          purpose="receipt", actor=coordinator, now=first.ends_at)
    certificates.certificate_for(db.session, first, actor=person, now=first.ends_at)

    # reminders in the outbox, reads of her data in the audit log
    run_once(db.session, first.ends_at + timedelta(days=8))
    professionals.get_professional(db.session, professional.id, actor=manager, now=START)
    db.session.scalars(professionals.list_professionals(db.session, actor=manager, now=START,
                                                        q="quartey")).all()
    professionals.manager_reads_contact(db.session, professional.id, "proposal", actor=manager,
                                        now=START)
    return person


def test_erasure_leaves_no_trace_in_any_text_column_and_keeps_counts(person_everywhere, manager):
    person = person_everywhere
    before = traces()
    named = {trace.split(":")[0] for trace in before}
    assert {"users.email", "users.name", "professionals.family_name", "professionals.phone",
            "api_tokens.name", "needs.title", "needs.description", "need_events.reason",
            "need_counterparts.role", "missions.note", "missions.status_reason",
            "mission_events.reason", "mission_checklist.note", "mission_sessions.status_reason",
            "notifications.payload", "outcome_reports.narrative", "report_waivers.reason",
            "follow_ups.note", "availability_windows.note",
            "organisations.contact_email", "documents.filename", "verifications.register",
            "certificates.holder_name"} <= named, named
    kept = counts()

    erase_person(db.session, person, actor=person, now=START + timedelta(days=200))

    db.session.expire_all()
    assert traces() == []
    after = counts()
    assert {name: after[name] for name in KEPT if after[name] < kept[name]} == {}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(
        db.metadata.tables["licences"])) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(
        db.metadata.tables["programme_consents"])) == 0   # consent to every programme ends


def test_other_inboxes_read_erased_and_the_persons_own_are_left_undelivered(person_everywhere,
                                                                            manager, app):
    person = person_everywhere
    erase_person(db.session, person, actor=person, now=START + timedelta(days=200))
    accepted = db.session.scalars(sa.select(Notification).where(
        Notification.user_id == manager.id, Notification.kind == "mission_accepted")).first()
    with app.test_request_context():
        assert render(accepted, "UTC").subject.startswith(f"{ERASED} accepted")
    own = db.session.scalars(sa.select(Notification).where(
        Notification.user_id == person.id)).all()
    assert own and "pending" not in {n.status for n in own}


def test_a_refused_erasure_changes_nothing(make_professional, make_need, propose, manager):
    professional = make_professional(given_name="Zephyrine")
    waiting = propose(make_need(), professional)
    running = propose(make_need(), professional, starts_on=date(2026, 5, 4))
    act(running, "accept", professional.user)
    act(running, "confirm", manager)
    from diaspora.errors import Conflict

    with pytest.raises(Conflict):
        erase_person(db.session, professional.user, actor=professional.user, now=START)
    db.session.expire_all()
    assert (waiting.status, professional.given_name, professional.consent_given) == \
        ("proposed", "Zephyrine", True)


def test_the_export_before_erasure_holds_the_persons_traces(person_everywhere, app):
    with app.test_request_context():
        data = export_person(db.session, person_everywhere, actor=person_everywhere,
                             now=START + timedelta(days=200))
    assert {"notifications", "outcome_reports", "follow_ups", "missions"} <= data.keys()
    assert any(n["kind"] == "mission_proposed" for n in data["notifications"])
    assert "My daughter came with me" in json.dumps(data, ensure_ascii=False)


def test_scrubber_finds_names_emails_and_phones_however_written():
    scrubber = Scrubber(names=["Ama Mensah-Owusu"], emails=["ama@x.org"], phones=["+233 24 555 0199"])
    assert scrubber.text("Dr Ama Mensah-Owusu, AMA@X.ORG, 0245550199 or +233 (24) 555-0199") \
        == f"Dr {ERASED}, {ERASED}, {ERASED} or {ERASED}"
    assert scrubber.text("Mensah said; Amanda stayed; 1024555019900") == \
        f"{ERASED} said; Amanda stayed; 1024555019900"
    assert scrubber.value({"professional": "Ama Mensah-Owusu", "n": 3, "list": ["owusu"]}) == \
        {"professional": ERASED, "n": 3, "list": [ERASED]}


def test_erasing_a_coordinator_scrubs_what_their_facility_wrote_about_them(
        make_user, make_facility, make_need, make_professional, propose, manager, signed_in):
    coordinator = make_user("coordinator", name="Abena Korkor-Dadzie", email="abena.kd@example.org")
    facility = make_facility()
    facility.coordinators.append(coordinator)
    db.session.commit()
    need = make_need(facility, description="Ask Abena Korkor-Dadzie (abena.kd@example.org)")
    mission = propose(need, make_professional(), note="Korkor-Dadzie meets you at the airport")
    act(mission, "accept", mission.professional.user)
    lifecycle.tick(db.session, mission, "counterpart_assigned", True, actor=coordinator, now=START,
                   note="Abena will assign Kwesi")
    create_token(db.session, coordinator, "Abena's phone", now=START)
    pattern = re.compile("Abena|Korkor|Dadzie|abena\\.kd@example\\.org", re.IGNORECASE)
    assert len(traces(pattern)) >= 5
    admin = signed_in("admin")
    assert admin.post(f"/admin/users/{coordinator.id}/erase").status_code == 302
    db.session.expire_all()
    assert traces(pattern) == []
    checklist = {c.item: c.note for c in db.session.get(type(mission), mission.id).checklist}
    assert checklist["counterpart_assigned"] == ERASED   # their own note, replaced whole
