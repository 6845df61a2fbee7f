"""Professionals from a spreadsheet (issue 17): mapping, per-row report, de-duplication,
invited people (no password, no consent, not matchable), the claim link, the pages and job."""
from __future__ import annotations

import base64
import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from diaspora.auth.models import User
from diaspora.errors import Invalid, NotFound
from diaspora.extensions import db
from diaspora.jobs import services as jobs
from diaspora.jobs.models import Job
from diaspora.people_imports import invitations, services
from diaspora.people_imports.models import Invitation
from diaspora.privacy import services as privacy
from diaspora.professionals.models import AvailabilityWindow, Licence, Professional
from diaspora.security import verify_password
from missions import matching
from missions.notifications.messages import render
from missions.notifications.models import Notification

from .conftest import START, Browser

HEADER = ["Nom complet", "Courriel", "Téléphone", "Profession", "Spécialité",
          "Pays de résidence", "Langues", "Sexe", "Année de naissance"]
GOOD_PASSWORD = "amber-tortoise-violin-42"


def people_rows(count: int) -> tuple[list[list[str]], dict[str, int]]:
    """``count`` rows: mostly good; every 10th invalid (by turns a country, an e-mail, a
    cadre); every 25th repeats an earlier e-mail; every 37th an earlier name with its phone."""
    rows, expected = [], {"created": 0, "invalid": 0, "same_email": 0, "same_person": 0}
    for n in range(count):
        row = [f"Ama{n} Mensah{n}", f"person{n}@example.org", f"+44 20 7946 {n:04d}",
               "Nursing professional" if n % 2 else "2212", "paediatrics" if n % 2 == 0 else "",
               "GB" if n % 3 else "Royaume-Uni", "en, fr", "F" if n % 2 else "homme",
               str(1960 + n % 40)]
        if n and n % 10 == 0:
            column, value = [(5, "Atlantis"), (1, "not-an-email"), (3, "Astronaut")][n // 10 % 3 - 1]
            row[column] = value
            expected["invalid"] += 1
        elif n and n % 25 == 0:
            row[1] = "person1@example.org"
            expected["same_email"] += 1
        elif n and n % 37 == 0:
            row[0], row[2], row[1] = "Ama1 Mensah1", "+44 20 7946 0001", f"other{n}@example.org"
            expected["same_person"] += 1
        else:
            expected["created"] += 1
        rows.append(row)
    return rows, expected


def first_run(expected) -> dict[str, int]:
    return {"created": expected["created"], "invalid": expected["invalid"],
            "duplicate": expected["same_email"] + expected["same_person"]}


def as_csv(rows, header=HEADER) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode()


def as_xlsx(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:  # birth years as numbers, as spreadsheets keep them
        sheet.append([*row[:8], int(row[8]) if row[8].isdigit() else row[8]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def counts(report) -> dict[str, int]:
    return {k: v for k, v in report.counts().items() if v}


def test_the_mapping_is_guessed_from_french_portuguese_and_english_headers():
    assert services.guess_mapping(HEADER) == {
        "Nom complet": "name", "Courriel": "email", "Téléphone": "phone", "Profession": "cadre",
        "Spécialité": "specialty", "Pays de résidence": "country_of_residence",
        "Langues": "languages", "Sexe": "gender", "Année de naissance": "birth_year"}
    assert services.guess_mapping(["Nome", "E-mail", "Telefone", "Categoria", "País",
                                   "Ano de nascimento", "Comments"]) == {
        "Nome": "name", "E-mail": "email", "Telefone": "phone", "Categoria": "cadre",
        "País": "country_of_residence", "Ano de nascimento": "birth_year"}
    assert services.guess_mapping(["First name", "Last name", "Email", "Cadre"]) == {
        "First name": "given_name", "Last name": "family_name", "Email": "email",
        "Cadre": "cadre"}


def test_5000_rows_twice_creates_once_with_a_per_row_report(app, make_user):
    manager = make_user("manager")
    rows, expected = people_rows(5000)
    data = as_csv(rows)
    mapping = services.guess_mapping(HEADER)
    dry = services.import_people(db.session, data, "people.csv", mapping=mapping, actor=manager,
                                 now=START, dry_run=True)
    assert counts(dry) == {"rows": 5000, **first_run(expected)}
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0  # dry run: nothing
    first = services.import_people(db.session, data, "people.csv", mapping=mapping,
                                   actor=manager, now=START)
    assert [(r.row, r.status) for r in first.rows] == [(r.row, r.status) for r in dry.rows]
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == expected["created"]
    by_row = {r.row: r for r in first.rows}
    assert by_row[12].status == "invalid" and by_row[12].messages[0].startswith("Pays de")
    assert by_row[22].status == "invalid" and by_row[22].messages[0].startswith("Courriel:")
    assert by_row[32].status == "invalid" and by_row[32].messages[0].startswith("Profession:")
    assert by_row[27].status == "duplicate" and "earlier row" in by_row[27].messages[0]
    assert by_row[39].status == "duplicate" and "same phone" in by_row[39].messages[0]
    again = services.import_people(db.session, data, "people.csv", mapping=mapping,
                                   actor=manager, now=START)
    # the same e-mail is now in the registry: skipped; the same person stays for a manager
    assert counts(again) == {"rows": 5000, "skipped": expected["created"] + expected["same_email"],
                             "invalid": expected["invalid"], "duplicate": expected["same_person"]}
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == expected["created"]
    one = db.session.scalar(sa.select(Professional).join(User).where(
        User.email == "person3@example.org"))
    assert (one.given_name, one.family_name, one.cadre, one.country_of_residence, one.gender,
            one.consent_given, [s.language for s in one.languages]) == (
        "Ama3", "Mensah3", "2221", "GB", "female", False, ["en", "fr"])
    assert one.user.password_hash == "" and not verify_password(one.user.password_hash, "")


def test_messages_come_in_the_users_language(app, make_user):
    manager = make_user("manager")
    from flask_babel import force_locale
    with force_locale("fr"):
        report = services.import_people(
            db.session, as_csv([["Awa Diallo", "pas-un-courriel", "", "2212", "", "SN", "", "",
                                 ""]]),
            "x.csv", mapping=services.guess_mapping(HEADER), actor=manager, now=START,
            dry_run=True)
    assert report.rows[0].status == "invalid"
    assert "Courriel" in report.rows[0].messages[0] and "adresse" in report.rows[0].messages[0]


def test_an_xlsx_file_with_a_registry_duplicate_by_birth_year(app, make_user, make_professional):
    manager = make_user("manager")
    existing = make_professional(given_name="Kofi", family_name="Boateng")
    db.session.add(Invitation(user_id=existing.user_id, birth_year=1975, created_at=START))
    db.session.commit()
    rows, expected = people_rows(300)
    rows.append(["Kofi Boateng", "kofi.new@example.org", "", "2212", "", "GH", "", "", "1975"])
    rows.append(["Kofi Boateng", "kofi.other@example.org", "", "2212", "", "GH", "", "", "1980"])
    report = services.import_people(db.session, as_xlsx(rows), "people.xlsx",
                                    mapping=services.guess_mapping(HEADER), actor=manager,
                                    now=START)
    assert counts(report) == {"rows": 302, "created": expected["created"] + 1,
                              "invalid": expected["invalid"],
                              "duplicate": first_run(expected)["duplicate"] + 1}
    assert [r.status for r in report.rows[-2:]] == ["duplicate", "created"]


def test_invited_people_are_not_matchable_until_they_consent(app, make_user, make_need,
                                                             make_professional):
    manager = make_user("manager")
    consenting = make_professional()
    services.import_people(db.session, as_csv([[
        "Abena Owusu", "abena@example.org", "+44 20 7000 0001", "2212", "obstetrics-gynaecology",
        "GB", "en", "F", "1980"]]), "p.csv", mapping=services.guess_mapping(HEADER),
        actor=manager, now=START)
    invited = db.session.scalar(sa.select(Professional).where(Professional.given_name == "Abena"))
    # everything the need asks, except consent
    invited.licences.append(Licence(country="GH", authority="Council", number="X1",
                                    valid_from=START.date().replace(year=2025),
                                    valid_until=START.date().replace(year=2028)))
    invited.windows.append(AvailabilityWindow(
        kind="available", mode="either", starts_on=START.date().replace(month=4, day=1),
        ends_on=START.date().replace(month=6, day=30), hours_per_week=4))
    db.session.commit()
    need = make_need()
    listed = [c.professional_id for c in matching.shortlist(db.session, need, now=START)]
    assert consenting.id in listed and invited.id not in listed


def test_the_claim_link_works_once_and_expires(app, make_user):
    manager = make_user("manager")
    services.import_people(db.session, as_csv([[
        "Yaw Mensah", "yaw@example.org", "", "2211", "", "GH", "", "M", ""]]), "p.csv",
        mapping=services.guess_mapping(HEADER), actor=manager, now=START)
    invitation = db.session.scalars(sa.select(Invitation)).one()
    token = invitations.make_token(invitation, now=START)
    expired = invitations.make_token(invitation, now=START - timedelta(days=15))
    with pytest.raises(NotFound, match="expired"):
        invitations.invitation_for(db.session, expired, now=START)
    with pytest.raises(NotFound, match="not valid"):
        invitations.invitation_for(db.session, token[:-2] + "xx", now=START)
    with pytest.raises(Invalid) as refused:
        invitations.claim(db.session, token, password="short", consent=False, now=START)
    assert set(refused.value.errors) == {"password", "consent"}
    browser = Browser(app.test_client())
    page = browser.get(f"/claim/{token}")
    assert page.status_code == 200 and "yaw@example.org" in page.get_data(as_text=True)
    response = browser.post(f"/claim/{token}", {"password": GOOD_PASSWORD, "consent": "y"})
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "yaw@example.org"))
    db.session.refresh(user)
    assert verify_password(user.password_hash, GOOD_PASSWORD)
    professional = db.session.scalar(sa.select(Professional).where(Professional.user_id == user.id))
    assert professional.consent_given and professional.consent_history[-1].recorded_by_id == user.id
    assert browser.get(f"/claim/{token}").status_code == 410
    with pytest.raises(NotFound, match="already been used"):
        invitations.claim(db.session, token, password=GOOD_PASSWORD, consent=True, now=START)


def test_manager_previews_remaps_and_imports_in_a_job(app, make_user):
    manager = make_user("manager")
    browser = Browser(app.test_client())
    browser.login(manager)
    rows, expected = people_rows(60)
    assert browser.get("/facilities/imports/professionals").status_code == 200
    response = browser.post("/facilities/imports/professionals", {
        "file": (io.BytesIO(as_csv(rows)), "people.csv")}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'<option value="email" selected>', page)
    assert f"Created: {expected['created']}" in page
    content = base64.b64encode(as_csv(rows)).decode()
    ignore_email = {f"map-{i}": field for i, field in enumerate(
        ["name", "", "phone", "cadre", "specialty", "country_of_residence", "languages",
         "gender", "birth_year"])}
    response = browser.post("/facilities/imports/professionals", {
        "content": content, "filename": "people.csv", "mapped": "1", **ignore_email})
    assert "Invalid: 60" in response.get_data(as_text=True)  # no e-mail column: every row invalid
    mapped = {**ignore_email, "map-1": "email"}
    assert 'formaction="/facilities/imports/professionals/import"' in page
    form = {"content": content, "filename": "people.csv", "mapped": "1", **mapped,
            "submission_token": "import-once"}
    response = browser.post("/facilities/imports/professionals/import", form)
    assert response.status_code == 302
    again = browser.post("/facilities/imports/professionals/import", form)  # a double click
    assert again.headers["Location"] == response.headers["Location"]
    job = db.session.scalars(sa.select(Job)).one()
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0  # not in the request
    assert jobs.run_pending(db.session, clock=lambda: START) == 1
    db.session.refresh(job)
    assert job.status == "done", job.error
    assert job.result["counts"]["created"] == expected["created"]
    # each invited person gets their claim link through the missions component's outbox
    notices = db.session.scalars(sa.select(Notification).where(
        Notification.kind == "account_invitation")).all()
    assert len(notices) == job.result["counts"]["invited"] == expected["created"]
    link = render(notices[0], "UTC").link
    assert "/claim/" in link
    assert link.startswith(app.config["PUBLIC_URL"])
    claim_page = Browser(app.test_client()).get(link.removeprefix(app.config["PUBLIC_URL"]))
    assert claim_page.status_code == 200
    job_page = browser.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "Professionals from a spreadsheet" in job_page and "People invited" in job_page
    report = browser.get(f"/jobs/{job.id}/problems.csv").get_data(as_text=True)
    assert len(report.splitlines()) == 1 + expected["invalid"] + first_run(expected)["duplicate"]
    assert "people.csv" in browser.get("/facilities/imports/professionals").get_data(as_text=True)


def test_bad_uploads_are_refused_with_messages(app, make_user):
    browser = Browser(app.test_client())
    browser.login(make_user("manager"))
    response = browser.post("/facilities/imports/professionals", {}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose a file" in response.get_data(as_text=True)
    response = browser.post("/facilities/imports/professionals", {
        "file": (io.BytesIO(b"\xff\xfe\x00bad"), "people.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422 and "UTF-8" in response.get_data(as_text=True)
    response = browser.post("/facilities/imports/professionals", {
        "file": (io.BytesIO(b"PK\x03\x04broken"), "people.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 422


def test_an_invited_persons_export_and_erasure_cover_the_invitation(app, make_user):
    manager, admin = make_user("manager"), make_user("admin")
    services.import_people(db.session, as_csv([[
        "Efua Asante", "efua@example.org", "", "2221", "", "GH", "", "F", "1984"]]), "p.csv",
        mapping=services.guess_mapping(HEADER), actor=manager, now=START)
    user = db.session.scalar(sa.select(User).where(User.email == "efua@example.org"))
    exported = privacy.export_person(db.session, user, actor=admin, now=START)
    assert exported["invitation"]["birth_year"] == 1984
    privacy.erase_person(db.session, user, actor=admin, now=START)
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0


def test_an_email_taken_while_the_import_runs_is_skipped_not_fatal(app, make_user):
    manager = make_user("manager")
    rows, expected = people_rows(30)

    def someone_signs_up(done, total):  # after the de-duplication, before the writes
        if done == 0:
            make_user("professional", email="person7@example.org")

    report = services.import_people(db.session, as_csv(rows), "p.csv",
                                    mapping=services.guess_mapping(HEADER), actor=manager,
                                    now=START, progress=someone_signs_up)
    assert counts(report) == {"rows": 30, "created": expected["created"] - 1, "skipped": 1,
                              "invalid": expected["invalid"],
                              "duplicate": first_run(expected)["duplicate"]}
    assert report.rows[7].status == "skipped"
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == expected["created"] - 1
