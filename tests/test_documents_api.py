"""Documents and certificates through the JSON API (issue 18), "verified" meaning a
verification with evidence in force, and the database keeping one of two simultaneous
uploads of the same file."""
from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from diaspora.auth.services import create_token
from diaspora.documents import services as documents
from diaspora.documents.models import Document
from diaspora.extensions import db
from diaspora.professionals.models import Qualification
from missions.core import lifecycle
from missions.documents import certificates

from .conftest import START, later
from .test_documents import pdf, png, stored_files, tick_the_rest


@pytest.fixture
def store_dir(app, tmp_path):
    app.config["DOCUMENT_STORAGE_PATH"] = str(tmp_path)
    return tmp_path


def upload(client, headers, data: bytes, name="licence.pdf", purpose="licence"):
    return client.post("/api/v1/documents", headers=headers, content_type="multipart/form-data",
                       data={"purpose": purpose, "file": (io.BytesIO(data), name)})


def test_a_professional_keeps_her_documents_through_the_api(
        api_client, make_professional, store_dir):
    professional = make_professional()
    client, headers = api_client(professional.user)
    scan = pdf()
    first = upload(client, headers, scan)
    assert first.status_code == 201 and first.json["content_type"] == "application/pdf"
    again = upload(client, headers, scan)   # sent twice: kept once
    assert again.status_code == 201 and again.json["id"] == first.json["id"]
    bad = upload(client, headers, b"#!/bin/sh\n", name="licence.pdf")
    assert bad.status_code == 422 and bad.json["errors"]
    no_purpose = upload(client, headers, png(), purpose="passport")
    assert no_purpose.status_code == 422 and "purpose" in no_purpose.json["errors"]["form"]
    listed = client.get("/api/v1/documents", headers=headers)
    assert [d["id"] for d in listed.json] == [first.json["id"]]
    got = client.get(f"/api/v1/documents/{first.json['id']}", headers=headers)
    assert got.status_code == 200 and got.data == scan and got.mimetype == "application/pdf"
    other, other_headers = api_client(make_professional().user)
    assert other.get(f"/api/v1/documents/{first.json['id']}", headers=other_headers).status_code == 403
    assert other.delete(f"/api/v1/documents/{first.json['id']}", headers=other_headers).status_code == 404
    assert client.delete(f"/api/v1/documents/{first.json['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/documents", headers=headers).json == []
    assert stored_files(store_dir) == []


def test_verified_means_against_a_document_and_in_force(
        api_client, make_professional, manager, clock, store_dir):
    professional = make_professional()
    licence = professional.licences[0]
    scan = documents.upload_own(db.session, professional.user, png(), filename="scan.png",
                                purpose="licence", now=START)
    client, headers = api_client(manager)
    listed = client.get(f"/api/v1/professionals/{professional.id}/documents", headers=headers)
    assert [d["id"] for d in listed.json] == [scan.id]
    stranger, stranger_headers = api_client(role="professional")
    assert stranger.get(f"/api/v1/documents/{scan.id}", headers=stranger_headers).status_code == 403
    old_path = f"/api/v1/professionals/{professional.id}/licences/{licence.id}/verify"
    one_click = client.post(old_path, headers=headers, json={})
    assert one_click.status_code == 422 and {"document_id", "register"} <= set(one_click.json["errors"]["json"])
    db.session.refresh(licence)
    assert licence.verified_at is None
    verified = client.post(old_path, headers=headers,
                           json={"document_id": scan.id, "register": "Ghana Medical and Dental Council"})
    assert verified.status_code == 200 and verified.json["verified_at"] is not None
    profile = client.get(f"/api/v1/professionals/{professional.id}", headers=headers)
    assert profile.json["licences"][0]["verified_at"] is not None
    clock.set(datetime(2029, 1, 1, 9, tzinfo=UTC))   # the licence ended on 2028-12-31
    _token, token = create_token(db.session, professional.user, "later", now=clock())
    profile = client.get("/api/v1/professionals/me", headers={"Authorization": f"Bearer {token}"})
    assert profile.status_code == 200 and profile.json["licences"][0]["verified_at"] is None


def test_managers_verify_a_qualification_against_a_document(api_client, make_professional, manager,
                                                           store_dir):
    professional = make_professional()
    professional.qualifications.append(Qualification(title="BSc Nursing", issuing_body="UG",
                                                     country="GH", year=2012))
    db.session.commit()
    diploma = documents.upload_own(db.session, professional.user, pdf(), filename="d.pdf",
                                   purpose="qualification", now=START)
    client, headers = api_client(manager)
    qualification_id = professional.qualifications[0].id
    path = f"/api/v1/professionals/{professional.id}/qualifications/{qualification_id}/verification"
    wrong = client.post(path.replace("qualifications", "licences").replace(
        f"/{qualification_id}/", f"/{professional.licences[0].id}/"), headers=headers,
        json={"document_id": diploma.id, "register": "Council register"})
    assert wrong.status_code == 422 and "document_id" in wrong.json["errors"]["json"]
    made = client.post(path, headers=headers, json={"document_id": diploma.id,
                                                    "register": "University register"})
    assert made.status_code == 201
    assert (made.json["qualification_id"], made.json["document_id"]) == (qualification_id, diploma.id)
    owner, owner_headers = api_client(professional.user)
    assert owner.delete(f"/api/v1/documents/{diploma.id}", headers=owner_headers).status_code == 409


def test_certificates_through_the_api_and_the_public_check(
        api_client, app, make_professional, make_need, propose, manager, store_dir):
    from .test_documents import verify_licence_for
    nurse = make_professional(cadre="2221", given_name="Adwoa", family_name="Mensah")
    mission = propose(make_need(cadre="2221"), nurse)
    lifecycle.transition(db.session, mission, "accept", actor=nurse.user, now=START)
    client, headers = api_client(nurse.user)
    early = client.get(f"/api/v1/missions/{mission.id}/certificate", headers=headers)
    assert early.status_code == 409
    verify_licence_for(nurse, manager)
    tick_the_rest(mission, manager)
    for action in ("confirm", "ready"):
        lifecycle.transition(db.session, mission, action, actor=manager, now=START)
    for action in ("start", "complete"):
        lifecycle.transition(db.session, mission, action, actor=manager, now=later(60))
    got = client.get(f"/api/v1/missions/{mission.id}/certificate", headers=headers)
    assert got.status_code == 200 and got.data.startswith(b"%PDF-")
    issued = db.session.scalar(sa.select(certificates.Certificate))
    public = app.test_client()
    checked = public.get(f"/api/v1/certificates/{certificates.shown_code(issued.code).lower()}")
    assert checked.status_code == 200
    assert set(checked.json) == {"holder_name", "programme_name", "facility_name", "starts_on",
                                 "ends_on", "hours"}
    assert checked.json["holder_name"] == "Adwoa Mensah"
    assert public.get("/api/v1/certificates/0000-0000-0000-0000").status_code == 404


def test_the_api_documents_its_new_operations(client):
    spec = client.get("/api/v1/openapi.json").json
    operations = {op["operationId"]: op for path in spec["paths"].values()
                  for op in path.values() if isinstance(op, dict) and "operationId" in op}
    for name, statuses in {"uploadDocument": {"201", "401", "403", "413", "422"},
                           "downloadDocument": {"200", "403", "404"},
                           "deleteDocument": {"204", "409"},
                           "verifyAgainstDocument": {"201", "403", "422"},
                           "verifyLicence": {"200", "422"},
                           "getCertificate": {"200", "409"},
                           "checkCertificate": {"200", "404", "429"}}.items():
        operation = operations[name]
        assert operation["summary"] and operation["tags"]
        assert statuses <= set(map(str, operation["responses"])), name
    assert operations["checkCertificate"]["security"] == []


def test_two_uploads_of_the_same_file_at_once_keep_one(make_professional, store_dir, monkeypatch):
    """The check before storing sees nothing (the other upload is not committed yet); the
    unique owner + purpose + hash refuses the second row, and the answer is the first."""
    professional = make_professional()
    scan = pdf()
    first = documents.upload_own(db.session, professional.user, scan, filename="a.pdf",
                                 purpose="licence", now=START)
    real_scalar, blinded = db.session.scalar, []

    def blind_once(statement, *args, **kwargs):
        if not blinded and "sha256" in str(statement):   # the check before storing
            blinded.append(statement)
            return None
        return real_scalar(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "scalar", blind_once)
    second = documents.upload_own(db.session, professional.user, scan, filename="b.pdf",
                                  purpose="licence", now=START)
    monkeypatch.undo()
    assert blinded and second.id == first.id
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 1
    assert [p.name for p in stored_files(store_dir)] == [first.storage_key]


def test_the_database_refuses_a_second_row_for_the_same_file(make_professional, store_dir):
    professional = make_professional()
    first = documents.upload_own(db.session, professional.user, png(), filename="a.png",
                                 purpose="licence", now=START)
    with pytest.raises(sa.exc.IntegrityError):
        with db.session.begin_nested():
            db.session.add(Document(professional_id=professional.id, purpose="licence",
                                    filename="b.png", content_type=first.content_type,
                                    size=first.size, sha256=first.sha256, storage_key="x" * 32,
                                    uploaded_at=START))
            db.session.flush()


def test_a_licence_changed_after_the_mission_is_ready_unticks_its_item(
        make_professional, make_need, propose, manager, store_dir):
    from diaspora.audit import AuditEvent
    from diaspora.professionals import services as professionals

    from .test_documents import verify_licence_for
    nurse = make_professional()
    mission = propose(make_need(), nurse)
    lifecycle.transition(db.session, mission, "accept", actor=nurse.user, now=START)
    verify_licence_for(nurse, manager)
    tick_the_rest(mission, manager)
    for action in ("confirm", "ready"):
        lifecycle.transition(db.session, mission, action, actor=manager, now=START)
    licence = nurse.licences[0]
    professionals.update_child(db.session, nurse, "licences", licence.id, {"authority": "Council"},
                               actor=nurse.user, now=later(1))   # the same licence: still ticked
    db.session.expire_all()
    item = next(c for c in mission.checklist if c.item == "licence_verified")
    assert item.done_at is not None
    professionals.update_child(db.session, nurse, "licences", licence.id, {"number": "GH-NEW-9"},
                               actor=nurse.user, now=later(2))
    db.session.expire_all()
    item = next(c for c in mission.checklist if c.item == "licence_verified")
    assert item.done_at is None and "verify it again" in item.note
    assert mission.status == "ready"
    assert db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.entity == "mission", AuditEvent.entity_id == mission.id,
        AuditEvent.actor_id == nurse.user.id).order_by(AuditEvent.id.desc()).limit(1)
    ).detail["unticked"] == "licence_verified"
    # verified again against the document: ticked again
    verify_licence_for(nurse, manager, now=later(3))
    db.session.expire_all()
    assert next(c for c in mission.checklist if c.item == "licence_verified").done_at is not None


def test_an_upload_past_the_limit_is_refused_unread_with_413(app, api_client, make_professional,
                                                            store_dir):
    app.config["DOCUMENT_MAX_BYTES"] = 1000
    client, headers = api_client(make_professional().user)
    response = upload(client, headers, b"%PDF-" + b"0" * 200_000)
    assert response.status_code == 413 and response.is_json
    assert stored_files(store_dir) == []



def test_a_form_field_without_a_value_is_not_a_crash(api_client, make_professional, store_dir):
    """Found by fuzzing the multipart upload: a field sent without a value (as the WSGI test
    transport sends None) used to crash the input check (500)."""
    client, headers = api_client(make_professional().user)
    response = client.post("/api/v1/documents", headers=headers, content_type="multipart/form-data",
                           data={"\n": None, "file": (io.BytesIO(b"%PDF-"), "file.pdf")})
    assert response.status_code == 422
