"""Issue 18 for host health workers: who attended a session by name (a page), their
attendance certificates (in their language, checked on the public page, gone with their
erasure), and receipts attached to cost lines."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from diaspora.audit import AuditEvent
from diaspora.documents.models import Document
from diaspora.extensions import db
from diaspora.workforce import services as workforce
from missions.core import lifecycle
from missions.documents import certificates, receipts, services as mission_documents
from missions.documents.attendance import forget_trainer
from missions.documents.models import AttendanceCertificate, MissionDocument
from missions.placements import counterparts
from missions.scheduler.process import run_once
from missions.sessions import attendance

from .conftest import START
from .placement_factories import make_worker
from .test_costs import advance, host, line, programme, proposed  # noqa: F401 - fixtures
from .test_documents import pdf, png, store_dir  # noqa: F401 - fixture


def text_of(body: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


@pytest.fixture
def series(proposed, host, manager, clock):  # noqa: F811
    """An online series of four weekly 90-minute sessions, two held; Adwoa (French) attended
    both by name, Kofi the first; the fourth session is cancelled, the series completed."""
    facility, coordinator = host
    mission = proposed("virtual")
    advance(mission, manager, to="confirmed")
    adwoa = make_worker(coordinator, facility, given_name="Adwoa", family_name="Mensah-Oppong",
                        language="fr")
    kofi = make_worker(coordinator, facility, given_name="Kofi", family_name="Boateng",
                       cadre="2221", gender="male")
    first, second = mission.sessions[0], mission.sessions[1]
    clock.set(first.starts_at)
    run_once(db.session, clock())   # under way
    for held in (first, second):
        attendance.record_attendance(db.session, held, [
            {"cadre": "2222", "gender": "female", "count": 1}], actor=coordinator,
            now=held.starts_at)
    return {"mission": mission, "coordinator": coordinator, "facility": facility,
            "adwoa": adwoa, "kofi": kofi, "first": first, "second": second}


def complete(mission, manager):
    lifecycle.transition(db.session, mission, "complete", actor=lifecycle.SCHEDULER,
                         now=mission.ends_at)


def test_the_coordinator_records_who_attended_by_name_on_a_page(series, signed_in, make_facility,
                                                               manager, clock):
    mission, coordinator = series["mission"], series["coordinator"]
    adwoa, kofi, first = series["adwoa"], series["kofi"], series["first"]
    browser = signed_in(coordinator)
    url = f"/missions/{mission.id}/sessions/{first.id}/trainees"
    detail = browser.get(f"/missions/{mission.id}").get_data(as_text=True)
    assert url in detail   # the sessions table offers it for held sessions
    page = browser.get(url)
    assert page.status_code == 200
    assert "Adwoa Mensah-Oppong" in page.get_data(as_text=True) and 'name="csrf_token"' in \
        page.get_data(as_text=True)
    # a stranger's id: the form comes back with the message on the field, nothing saved
    stranger = make_worker(manager, make_facility(), given_name="Yaw")
    refused = browser.post(url, {"worker_ids": [str(adwoa.id), str(stranger.id)]})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "Choose from the facility" in body and 'id="worker_ids"' in body
    assert counterparts.trainees_of(db.session, first) == []
    # without the CSRF token: refused
    assert browser.client.post(url, data={"worker_ids": [str(adwoa.id)]}).status_code == 400
    saved = browser.post(url, {"worker_ids": [str(adwoa.id), str(kofi.id)]})
    assert saved.status_code == 303
    assert {w.id for w in counterparts.trainees_of(db.session, first)} == {adwoa.id, kofi.id}
    assert 'checked' in browser.get(url).get_data(as_text=True)
    # a session not held yet: the page says so, nothing half-written
    third = mission.sessions[2]
    early = browser.post(f"/missions/{mission.id}/sessions/{third.id}/trainees",
                         {"worker_ids": [str(adwoa.id)]})
    assert early.status_code == 422 and "once the session is held" in early.get_data(as_text=True)
    # cleared: nobody by name
    assert browser.post(url, {}).status_code == 303
    assert counterparts.trainees_of(db.session, first) == []
    # the professional records counts, not names
    she = signed_in(mission.professional.user)
    assert she.get(url).status_code == 403


def test_attendance_certificates_in_the_workers_language_checked_then_erased(
        series, signed_in, client, manager, make_user):
    mission, coordinator = series["mission"], series["coordinator"]
    adwoa, kofi = series["adwoa"], series["kofi"]
    counterparts.record_trainees(db.session, series["first"], [adwoa, kofi], actor=coordinator,
                                 now=series["first"].ends_at)
    counterparts.record_trainees(db.session, series["second"], [adwoa], actor=coordinator,
                                 now=series["second"].ends_at)
    host_browser = signed_in(coordinator)
    url = f"/missions/{mission.id}/attendance-certificates/{adwoa.id}.pdf"
    early = host_browser.get(url)
    assert early.status_code == 409 and db.session.scalar(
        sa.select(sa.func.count(AttendanceCertificate.id))) == 0
    attendance.cancel_session(db.session, mission.sessions[3], "Strike", actor=coordinator,
                              now=series["second"].ends_at)
    complete(mission, manager)

    panel = host_browser.get(f"/missions/{mission.id}").get_data(as_text=True)
    assert url in panel and f"/attendance-certificates/{kofi.id}.pdf" in panel
    response = host_browser.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert response.headers["Cache-Control"] == "private, no-store"
    printed = text_of(response.data)
    assert "Certificat de présence" in printed and "Adwoa Mensah-Oppong" in printed
    assert mission.professional.full_name in printed     # the trainer
    issued = db.session.scalar(sa.select(AttendanceCertificate).where(
        AttendanceCertificate.worker_id == adwoa.id))
    assert (issued.sessions, issued.hours) == (2, 3.0)
    assert (issued.starts_on, issued.ends_on) == (
        series["first"].starts_at.date(), series["second"].starts_at.date())
    assert issued.programme_name and issued.facility_name == series["facility"].name
    # Kofi, no language of his own: the training's (English); one session, 1.5 hours
    boss = signed_in(manager)
    his = boss.get(f"/missions/{mission.id}/attendance-certificates/{kofi.id}.pdf")
    assert his.status_code == 200 and "Certificate of attendance" in text_of(his.data)
    assert db.session.scalar(sa.select(AttendanceCertificate.hours).where(
        AttendanceCertificate.worker_id == kofi.id)) == 1.5
    # asked again: the same certificate, the reading audited
    assert host_browser.get(url).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(AttendanceCertificate.id))) == 2
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.entity == "attendance_certificate", AuditEvent.action == "read")) == 1
    # someone who attended nothing has none; nor does another facility's coordinator issue
    absent = make_worker(coordinator, series["facility"], given_name="Esi")
    assert host_browser.get(f"/missions/{mission.id}/attendance-certificates/{absent.id}.pdf") \
        .status_code == 409
    other = make_user("coordinator")
    assert signed_in(other).get(url).status_code == 403
    assert signed_in(mission.professional.user).get(url).status_code == 403

    # the third party sees name, programme, facility, dates, hours — not the trainer
    code = certificates.shown_code(issued.code)
    checked = client.get(f"/certificates/check?code={code}")
    text = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "Adwoa Mensah-Oppong" in text and "3.0" in text
    assert series["facility"].name in text and mission.professional.full_name not in text
    api = client.get(f"/api/v1/certificates/{code}")
    assert api.status_code == 200 and api.json["holder_name"] == "Adwoa Mensah-Oppong"
    assert set(api.json) == {"holder_name", "programme_name", "facility_name", "starts_on",
                             "ends_on", "hours"}

    # her data export carries it; her erasure deletes it: the code answers as an unknown one
    exported = workforce.export_worker(db.session, adwoa, actor=manager, now=START)
    assert exported["attendance_certificates"][0]["code"] == code
    workforce.erase_worker(db.session, adwoa, actor=manager, now=START)
    gone = client.get(f"/certificates/check?code={code}")
    unknown = client.get("/certificates/check?code=0000-0000-0000-0000")
    assert gone.status_code == unknown.status_code == 404
    assert "Mensah" not in gone.get_data(as_text=True)
    assert client.get(f"/api/v1/certificates/{code}").status_code == 404
    assert host_browser.get(url).status_code == 404   # and none is issued again
    assert db.session.scalar(sa.select(sa.func.count(AttendanceCertificate.id))) == 1


def test_a_counterpart_in_person_gets_the_missions_days_and_no_hours(
        proposed, host, manager, api_client, make_user, signed_in):  # noqa: F811
    facility, coordinator = host
    mission = proposed()
    ama = make_worker(coordinator, facility, given_name="Ama", family_name="Ɛfua Conceição",
                      language="pt")
    counterparts.add_counterpart(db.session, mission, ama, actor=coordinator, now=START)
    advance(mission, manager)
    client, headers = api_client(manager)
    response = client.get(f"/api/v1/missions/{mission.id}/attendance-certificates/{ama.id}",
                          headers=headers)
    assert response.status_code == 200 and response.content_type == "application/pdf"
    printed = text_of(response.data)
    assert "Certificado de presença" in printed and "Ɛfua Conceição" in printed
    issued = db.session.scalar(sa.select(AttendanceCertificate))
    assert (issued.starts_on, issued.ends_on, issued.hours, issued.online) == (
        mission.starts_on, mission.ends_on, None, False)
    # the trainer's erasure keeps the certificate but no longer names her
    forget_trainer(db.session, mission.professional.user, START)
    db.session.commit()
    assert db.session.scalar(sa.select(AttendanceCertificate.trainer_name)) is None


def test_receipts_are_attached_to_cost_lines_and_opened_by_managers(
        proposed, host, manager, programme, signed_in, make_user, store_dir):  # noqa: F811
    facility, coordinator = host
    mission = proposed()
    travel = line(mission, manager, currency="EUR")
    visa = line(mission, manager, category="visa", amount=Decimal("60"), currency="EUR")
    host_browser = signed_in(coordinator)
    assert host_browser.post(f"/missions/{mission.id}/documents", {
        "purpose": "receipt", "file": (io.BytesIO(pdf()), "ticket-receipt.pdf")},
        content_type="multipart/form-data").status_code == 303
    letter = mission_documents.add(db.session, mission, png(), filename="letter.png",
                                   purpose="invitation_letter", actor=manager, now=START)
    receipt = db.session.scalar(sa.select(Document).where(Document.purpose == "receipt"))
    boss = signed_in(manager)
    page = f"/missions/{mission.id}/costs/{travel.id}"
    assert "ticket-receipt.pdf" in boss.get(page).get_data(as_text=True)   # offered to attach
    # a letter is no receipt: the line's page comes back with the message
    refused = boss.post(f"{page}/receipts", {"document_id": str(letter.id)})
    assert refused.status_code == 422 and "receipts" in refused.get_data(as_text=True)
    assert boss.post(f"{page}/receipts", {"document_id": "x"}).status_code == 422
    assert boss.post(f"{page}/receipts", {"document_id": str(receipt.id)}).status_code == 303
    assert receipts.of_line(db.session, travel) == [receipt]
    # held by one line only
    taken = boss.post(f"/missions/{mission.id}/costs/{visa.id}/receipts",
                      {"document_id": str(receipt.id)})
    assert taken.status_code == 422
    shown = boss.get(page).get_data(as_text=True)
    download = f"{page}/receipts/{receipt.id}"
    assert download in shown
    opened = boss.get(download)
    assert opened.status_code == 200 and opened.data.startswith(b"%PDF-")
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.entity == "document", AuditEvent.entity_id == receipt.id,
        AuditEvent.action == "read")) == 1
    # through another line: not found; the host and the professional: refused
    assert boss.get(f"/missions/{mission.id}/costs/{visa.id}/receipts/{receipt.id}").status_code == 404
    assert host_browser.get(download).status_code == 403
    assert signed_in(mission.professional.user).get(download).status_code == 403
    other_manager = make_user("manager", programmes=[])
    assert signed_in(other_manager).get(download).status_code in (403, 404)
    # detached: it stays among the mission's documents
    assert boss.post(f"{page}/receipts/{receipt.id}/detach").status_code == 303
    assert receipts.of_line(db.session, travel) == []
    assert boss.post(f"{page}/receipts", {"document_id": str(receipt.id)}).status_code == 303
    # the line removed: the receipt stays with the mission, free to attach again
    from missions.costs import services as costs
    costs.delete_line(db.session, travel, actor=manager, now=START)
    link = db.session.get(MissionDocument, receipt.id)
    db.session.refresh(link)
    assert link.cost_line_id is None and link.mission_id == mission.id
    assert receipts.attachable(db.session, visa) == [receipt]


def test_retention_takes_an_attached_receipt_with_its_link(
        app, proposed, host, manager, programme, store_dir):  # noqa: F811
    from diaspora.documents import services as documents
    mission = proposed()
    travel = line(mission, manager, currency="EUR")
    receipt = mission_documents.add(db.session, mission, pdf(), filename="r.pdf",
                                    purpose="receipt", actor=manager, now=START)
    receipts.attach(db.session, travel, receipt.id, actor=manager, now=START)
    days = app.config["DOCUMENT_RETENTION_DAYS"]
    assert documents.apply_retention(db.session, now=START + timedelta(days=days + 1)) == 1
    assert receipts.of_line(db.session, travel) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MissionDocument)) == 0

