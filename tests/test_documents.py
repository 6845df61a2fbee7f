"""Documents (issue 18): type and size checked by content, both storages, who reads what,
verification with evidence ticking the readiness item, certificates and their public check,
and erasure removing the files."""
from __future__ import annotations

import io
import re
from datetime import date

import boto3
import pytest
import sqlalchemy as sa
from fpdf import FPDF
from moto import mock_aws
from PIL import Image

from diaspora.audit import AuditEvent
from diaspora.documents import services as documents
from diaspora.documents.models import Document, Verification
from diaspora.documents.storage import LocalStorage, S3Storage
from diaspora.errors import Conflict, Invalid
from diaspora.extensions import db
from diaspora.privacy import services as privacy
from diaspora.professionals.models import Qualification
from missions.core import lifecycle
from missions.documents import certificates
from missions.matching import ranking

from .conftest import START, later


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(out, "PNG")
    return out.getvalue()


def pdf() -> bytes:
    doc = FPDF()
    doc.add_page()
    doc.set_font("helvetica", size=12)
    doc.cell(text="Licence GH-MDC-1234")
    return bytes(doc.output())


def verify_licence_for(professional, manager, now=START):
    """A manager verifies the professional's first licence against a scan she uploads (what a
    physical clinical mission needs before it can be ready)."""
    scan = documents.upload_own(db.session, professional.user, png(), filename="licence.png",
                                purpose="licence", now=now)
    return documents.verify(db.session, professional, "licences", professional.licences[0].id,
                            {"document_id": scan.id, "register": "Council register"},
                            actor=manager, now=now)


def tick_the_rest(mission, manager, now=START):
    """Tick every item a manager may tick by hand."""
    for item in lifecycle.tickable_items(db.session, mission, manager):
        lifecycle.tick(db.session, mission, item, True, actor=manager, now=now)


@pytest.fixture
def store_dir(app, tmp_path):
    app.config["DOCUMENT_STORAGE_PATH"] = str(tmp_path)
    return tmp_path


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


BAD_FILES = {
    "script renamed .pdf": (b"#!/bin/sh\nrm -rf /\n", "licence.pdf", "neither"),
    "zero bytes": (b"", "licence.pdf", "empty"),
    "a PDF that is not a PDF": (b"%PDF-1.7\nthis is not really a pdf\n%%EOF", "licence.pdf",
                                "cannot be read as one"),
    "truncated image": (png()[:40], "scan.png", "cannot be read"),
    "HTML": (b"<html><script>alert(1)</script></html>", "scan.jpg", "neither"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_files_get_a_clear_message_and_nothing_is_kept(signed_in, make_professional, store_dir, case):
    content, name, message = BAD_FILES[case]
    professional = make_professional()
    browser = signed_in(professional.user)
    response = browser.post("/documents", {"purpose": "licence", "file": (io.BytesIO(content), name)},
                            content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0
    assert stored_files(store_dir) == []


def test_a_50_mb_file_is_refused_unread(signed_in, make_professional, store_dir):
    browser = signed_in(make_professional().user)
    browser.csrf_token()
    response = browser.post("/documents", {"purpose": "licence",
                                           "file": (io.BytesIO(b"%PDF-" + b"0" * 50 * 2**20), "big.pdf")},
                            content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    assert "too large: at most 10.0 MB" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0
    assert stored_files(store_dir) == []


def test_a_file_just_over_the_limit_is_refused_by_the_check(app, make_professional, store_dir):
    app.config["DOCUMENT_MAX_BYTES"] = 1000
    professional = make_professional()
    with pytest.raises(Invalid) as refused:
        documents.upload_own(db.session, professional.user, pdf() + b" " * 1000, filename="x.pdf",
                             purpose="licence", now=START)
    assert "too large" in refused.value.errors["file"][0]
    assert stored_files(store_dir) == []


def test_a_pdf_and_an_image_are_kept_and_only_the_allowed_read_them(
        signed_in, make_professional, make_user, store_dir):
    manager = signed_in(make_user("manager"))   # manages the programme she consents to
    professional = make_professional()
    owner = signed_in(professional.user)
    scan = pdf()
    response = owner.post("/documents", {"purpose": "licence", "file": (io.BytesIO(scan), "../../etc/passwd.pdf")},
                          content_type="multipart/form-data")
    assert response.status_code == 303
    document = db.session.scalar(sa.select(Document))
    assert (document.content_type, document.filename) == ("application/pdf", "passwd.pdf")
    assert [p.name for p in stored_files(store_dir)] == [document.storage_key]
    assert document.storage_key not in ("passwd.pdf",) and len(document.storage_key) == 32
    got = owner.get(f"/documents/{document.id}")
    assert got.status_code == 200 and got.data == scan
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert manager.get(f"/documents/{document.id}").status_code == 200
    stranger = signed_in(make_user("manager", programmes=()))
    assert stranger.get(f"/documents/{document.id}").status_code == 403
    other = signed_in(make_professional().user)
    assert other.get(f"/documents/{document.id}").status_code == 403
    actions = db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.entity == "document", AuditEvent.entity_id == document.id)).all()
    assert sorted(actions) == ["create", "denied", "denied", "read", "read"]


def test_storages_keep_read_and_delete(tmp_path):
    local = LocalStorage(tmp_path)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="docs")
        for storage in (local, S3Storage("docs", client)):
            storage.put("ab12", b"bytes", "application/pdf")
            assert storage.exists("ab12") and storage.get("ab12") == b"bytes"
            storage.delete("ab12")
            assert not storage.exists("ab12")
            storage.delete("ab12")   # already gone: no error


def test_the_s3_store_serves_uploads_and_erasure_empties_it(app, make_professional):
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="docs")
        app.config.update(DOCUMENT_STORAGE="s3", DOCUMENT_S3_BUCKET="docs",
                          DOCUMENT_S3_REGION="us-east-1")
        professional = make_professional()
        document = documents.upload_own(db.session, professional.user, png(), filename="s.png",
                                        purpose="indemnity", now=START)
        assert client.list_objects_v2(Bucket="docs")["KeyCount"] == 1
        _doc, data = documents.open_document(db.session, document.id, actor=professional.user, now=START)
        assert data == png()
        export = privacy.export_person(db.session, professional.user, actor=professional.user, now=START)
        assert export["documents"][0]["filename"] == "s.png" and export["documents"][0]["content_base64"]
        privacy.erase_person(db.session, professional.user, actor=professional.user, now=START)
        assert client.list_objects_v2(Bucket="docs")["KeyCount"] == 0
        assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0


def test_erasure_removes_the_files_and_a_refused_erasure_keeps_them(
        make_professional, make_need, propose, manager, store_dir):
    professional = make_professional()
    documents.upload_own(db.session, professional.user, pdf(), filename="l.pdf", purpose="licence",
                         now=START)
    mission = propose(make_need(), professional)
    lifecycle.transition(db.session, mission, "accept", actor=professional.user, now=START)
    lifecycle.transition(db.session, mission, "confirm", actor=manager, now=START)
    with pytest.raises(Conflict):   # a confirmed mission: erasure waits
        privacy.erase_person(db.session, professional.user, actor=professional.user, now=START)
    assert len(stored_files(store_dir)) == 1
    lifecycle.transition(db.session, mission, "cancel", actor=manager, now=START, reason="x")
    privacy.erase_person(db.session, professional.user, actor=professional.user, now=START)
    assert stored_files(store_dir) == []


def test_retention_removes_old_documents_no_licence_in_force_rests_on(
        app, make_professional, store_dir):
    professional = make_professional()
    documents.upload_own(db.session, professional.user, png(), filename="old.png",
                         purpose="indemnity", now=START)
    assert documents.retention_candidates(db.session, now=later(30)) == []
    much_later = later(app.config["DOCUMENT_RETENTION_DAYS"] + 1)
    assert documents.apply_retention(db.session, now=much_later) == 1
    assert stored_files(store_dir) == []


def verify_licence(browser, professional, document_id):
    licence = professional.licences[0]
    return browser.post(f"/professionals/{professional.id}/licences/{licence.id}/verification",
                        {"document_id": document_id, "register": "MDC Ghana online register"})


def test_the_licence_item_is_ticked_by_verification_not_by_hand(
        make_professional, make_need, propose, manager, signed_in, store_dir):
    professional = make_professional()
    mission = propose(make_need(), professional)
    lifecycle.transition(db.session, mission, "accept", actor=professional.user, now=START)
    with pytest.raises(Invalid):
        lifecycle.tick(db.session, mission, "licence_verified", True, actor=manager, now=START)
    assert "licence_verified" not in lifecycle.tickable_items(db.session, mission, manager)
    for item in mission.checklist:
        if item.item != "licence_verified":
            lifecycle.tick(db.session, mission, item.item, True, actor=manager, now=START)
    lifecycle.transition(db.session, mission, "confirm", actor=manager, now=START)
    with pytest.raises(Conflict):
        lifecycle.transition(db.session, mission, "ready", actor=manager, now=START)
    scan = documents.upload_own(db.session, professional.user, pdf(), filename="l.pdf",
                                purpose="licence", now=START)
    browser = signed_in(manager)
    assert verify_licence(browser, professional, "").status_code == 422
    assert verify_licence(browser, professional, scan.id).status_code == 303
    db.session.expire_all()
    item = next(c for c in mission.checklist if c.item == "licence_verified")
    assert item.done_at is not None and "MDC Ghana online register" in item.note
    lifecycle.transition(db.session, mission, "ready", actor=manager, now=START)
    # a changed licence is no longer the one verified
    licence = professional.licences[0]
    verification = db.session.scalar(sa.select(Verification))
    assert verification.holds_for(licence)
    licence.number = "OTHER"
    assert not verification.holds_for(licence)


def test_the_nurse_story_from_licence_to_a_checked_certificate(
        app, make_professional, make_need, propose, manager, signed_in, client, store_dir):
    """She uploads her licence, a manager verifies it from the document, the readiness item
    ticks itself, the mission completes, she downloads her certificate and a third party
    checks it."""
    nurse = make_professional(cadre="2221", given_name="Adwoa", family_name="Mensah-Oppong")
    nurse.user.locale = "fr"
    db.session.commit()
    she = signed_in(nurse.user)
    assert she.post("/documents", {"purpose": "licence", "file": (io.BytesIO(pdf()), "licence.pdf")},
                    content_type="multipart/form-data").status_code == 303
    mission = propose(make_need(cadre="2221"), nurse)
    lifecycle.transition(db.session, mission, "accept", actor=nurse.user, now=START)
    boss = signed_in(manager)
    page = boss.get(f"/professionals/{nurse.id}/documents").get_data(as_text=True)
    document_id = int(re.search(r'/documents/(\d+)"', page).group(1))
    assert boss.get(f"/documents/{document_id}").status_code == 200   # read from the document
    assert verify_licence(boss, nurse, document_id).status_code == 303
    db.session.expire_all()
    assert next(c for c in mission.checklist if c.item == "licence_verified").done_at is not None
    for item in mission.checklist:
        if item.done_at is None:
            lifecycle.tick(db.session, mission, item.item, True, actor=manager, now=START)
    for action in ("confirm", "ready"):
        lifecycle.transition(db.session, mission, action, actor=manager, now=START)
    for action in ("start", "complete"):
        lifecycle.transition(db.session, mission, action, actor=manager, now=later(60))
    response = she.get(f"/missions/{mission.id}/certificate.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    issued = db.session.scalar(sa.select(certificates.Certificate))
    assert issued.holder_name == "Adwoa Mensah-Oppong"
    code = certificates.shown_code(issued.code)
    checked = client.get(f"/certificates/check?code={code.lower()}")
    text = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "Adwoa Mensah-Oppong" in text
    assert nurse.user.email not in text
    missing = client.get("/certificates/check?code=0000-0000-0000-0000")
    assert missing.status_code == 404


def test_certificate_pdf_carries_accents_in_french_and_portuguese(
        app, make_professional, make_need, propose, manager):
    from missions.documents import pdf as certificate_pdf
    nurse = make_professional(given_name="Conceição", family_name="Adjoa Ɛfua")
    mission = propose(make_need(), nurse)
    issued = certificates.Certificate(code=certificates.new_code(), kind="service", mission_id=mission.id,
                                      professional_id=nurse.id, holder_name=nurse.full_name,
                                      programme_name="MIDA Ghana Santé", facility_name="Hôpital",
                                      country="GH", starts_on=date(2026, 4, 6),
                                      ends_on=date(2026, 4, 19), hours=80.0, sessions=None,
                                      people_trained=12, issued_at=START)
    with app.test_request_context():
        for locale in ("en", "fr", "pt"):
            assert certificate_pdf.render(issued, locale).startswith(b"%PDF-")


def test_codes_are_random_and_typing_is_forgiving():
    codes = {certificates.new_code() for _ in range(200)}
    assert len(codes) == 200
    code = "ABCD0123EFGH4567"
    assert certificates.normal_code("abcd-o123 efgh-4567") == code
    assert certificates.normal_code("short") is None and certificates.normal_code("U" * 16) is None


def test_the_shortlist_says_whether_the_licence_is_verified(
        make_professional, make_need, manager, signed_in, store_dir):
    need = make_need()
    professional = make_professional()
    [before] = ranking.shortlist(db.session, need, now=START)
    assert "licence not verified yet" in before.checks
    verify_licence_for(professional, manager)
    [after] = ranking.shortlist(db.session, need, now=START)
    assert "licence verified against a document" in after.checks
    page = signed_in(manager).get(f"/needs/{need.id}/shortlist").get_data(as_text=True)
    assert "licence verified against a document" in page


def test_the_retention_command_lists_then_removes(app, runner, make_professional, store_dir, clock):
    professional = make_professional()
    documents.upload_own(db.session, professional.user, png(), filename="old.png",
                         purpose="indemnity", now=START)
    clock.set(later(app.config["DOCUMENT_RETENTION_DAYS"] + 1))
    listed = runner.invoke(args=["diaspora", "documents-retention"])
    assert "1 document(s) past the retention period (use --apply" in listed.output
    assert len(stored_files(store_dir)) == 1
    removed = runner.invoke(args=["diaspora", "documents-retention", "--apply"])
    assert "1 document(s) past the retention period: removed" in removed.output
    assert stored_files(store_dir) == []


def test_a_record_that_cannot_be_made_leaves_no_file(make_professional, manager, store_dir):
    """The file is written first; when recording it fails, the file goes too."""
    professional = make_professional()

    def refuse(_document):
        raise Invalid(errors={"mission_id": ["no such mission"]})

    with pytest.raises(Invalid):
        documents.store(db.session, png(), filename="r.png", purpose="receipt", actor=manager,
                        now=START, attach=refuse)
    assert stored_files(store_dir) == []
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0
    assert professional.id   # the session still works after the rollback


def test_mission_documents_are_added_by_the_host_and_read_by_the_mission_s_people(
        make_professional, make_need, make_user, propose, signed_in, store_dir):
    need = make_need()
    coordinator = make_user("coordinator")
    need.facility.coordinators.append(coordinator)
    db.session.commit()
    professional = make_professional()
    mission = propose(need, professional)
    host = signed_in(coordinator)
    refused = host.post(f"/missions/{mission.id}/documents",
                        {"purpose": "receipt", "file": (io.BytesIO(b"MZ\x90\x00"), "receipt.pdf")},
                        content_type="multipart/form-data")
    assert refused.status_code == 422 and "neither" in refused.get_data(as_text=True)
    added = host.post(f"/missions/{mission.id}/documents",
                      {"purpose": "invitation_letter", "file": (io.BytesIO(pdf()), "invitation.pdf")},
                      content_type="multipart/form-data")
    assert added.status_code == 303
    document = db.session.scalar(sa.select(Document))
    she = signed_in(professional.user)
    assert "invitation.pdf" in she.get(f"/missions/{mission.id}/documents").get_data(as_text=True)
    assert she.get(f"/missions/{mission.id}/documents/{document.id}").status_code == 200
    assert she.post(f"/missions/{mission.id}/documents",
                    {"purpose": "receipt", "file": (io.BytesIO(pdf()), "x.pdf")},
                    content_type="multipart/form-data").status_code == 403
    # not through the personal route, and not through another mission
    assert she.get(f"/documents/{document.id}").status_code == 403
    other = propose(make_need(), professional, starts_on=date(2026, 5, 18))
    assert she.get(f"/missions/{other.id}/documents/{document.id}").status_code == 404
    outsider = signed_in(make_professional().user)
    assert outsider.get(f"/missions/{mission.id}/documents/{document.id}").status_code == 403


def test_the_public_check_is_rate_limited_and_says_the_same_for_every_miss(app, client):
    app.config["CERTIFICATE_CHECK_RATE_LIMIT"] = "3 per minute"
    answers = [client.get(f"/certificates/check?code={code}") for code in
               ("0000-0000-0000-0000", "not a code", "ZZZZ-ZZZZ-ZZZZ-ZZZZ")]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert len({a.get_data(as_text=True).replace(code, "") for a, code in zip(
        answers, ("0000-0000-0000-0000", "not a code", "ZZZZ-ZZZZ-ZZZZ-ZZZZ"))}) == 1
    assert client.get("/certificates/check?code=1111-1111-1111-1111").status_code == 429


def test_evidence_must_fit_what_is_verified_and_an_ended_licence_is_not(
        make_professional, manager, store_dir):
    professional = make_professional(licences=(("GH", date(2020, 1, 1), date(2025, 12, 31)),))
    professional.qualifications.append(Qualification(title="BSc Nursing", issuing_body="UG",
                                                     country="GH", year=2012))
    db.session.commit()
    scan = documents.upload_own(db.session, professional.user, pdf(), filename="l.pdf",
                                purpose="licence", now=START)
    diploma = documents.upload_own(db.session, professional.user, png(), filename="d.png",
                                   purpose="qualification", now=START)
    qualification = professional.qualifications[0]
    with pytest.raises(Invalid) as wrong:   # a licence scan is no diploma
        documents.verify(db.session, professional, "qualifications", qualification.id,
                         {"document_id": scan.id, "register": "University register"},
                         actor=manager, now=START)
    assert "document_id" in wrong.value.errors
    documents.verify(db.session, professional, "qualifications", qualification.id,
                     {"document_id": diploma.id, "register": "University register"},
                     actor=manager, now=START)
    with pytest.raises(Invalid) as ended:   # the licence ended before today (START is 2026)
        documents.verify(db.session, professional, "licences", professional.licences[0].id,
                         {"document_id": scan.id, "register": "Council register"},
                         actor=manager, now=START)
    assert "ended" in ended.value.errors["_schema"][0]
    with pytest.raises(Conflict):   # the diploma backs a verification: kept
        documents.delete_own(db.session, diploma.id, actor=professional.user, now=START)
    documents.delete_own(db.session, scan.id, actor=professional.user, now=START)
    assert [p.name for p in stored_files(store_dir)] == [diploma.storage_key]


def test_the_same_file_sent_twice_is_kept_once(signed_in, make_professional, store_dir):
    browser = signed_in(make_professional().user)
    scan = pdf()
    for _ in range(2):   # a double click
        assert browser.post("/documents", {"purpose": "licence", "file": (io.BytesIO(scan), "l.pdf")},
                            content_type="multipart/form-data").status_code == 303
    assert browser.post("/documents", {"purpose": "licence", "file": (io.BytesIO(png()), "l.png")},
                        content_type="multipart/form-data").status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 2
    assert len(stored_files(store_dir)) == 2
