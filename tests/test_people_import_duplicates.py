"""Professionals from a spreadsheet (issue 17), the parts a manager confirms: rows held as
possible duplicates (decided once, even by two managers at the same moment) and saved column
mappings proposed for a file with the same header."""
from __future__ import annotations

import io
import os
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from diaspora.audit import AuditEvent
from diaspora.auth.models import User
from diaspora.errors import Conflict, Forbidden, Invalid
from diaspora.extensions import db
from diaspora.jobs import services as jobs
from diaspora.people_imports import duplicates, mappings, services
from diaspora.people_imports.models import DuplicateHold, Invitation, SavedMapping
from diaspora.professionals.models import Professional
from diaspora.vocabulary import HoldStatus
from missions.notifications.models import Notification

from .conftest import START, Browser, make_app
from .test_people_imports import HEADER, as_csv
from .test_races import WAIT_SECONDS, ProcessRacers, ThreadRacers

REPLAYS = int(os.environ.get("RACE_REPLAYS", "5"))


def file_rows(n: int = 0) -> list[list[str]]:
    """Kofi as in the registry (same phone, new e-mail); Esi, then Esi again (same birth
    year, other e-mail); Yaw, nobody's double."""
    return [
        ["Kofi Boateng", f"kofi.new{n}@example.org", "+233 20 000 0001", "2212", "", "GH", "fr",
         "M", ""],
        ["Esi Ofori", f"esi{n}@example.org", "", "2221", "", "GH", "", "F", "1980"],
        ["Esi Ofori", f"esi.other{n}@example.org", "", "2221", "paediatrics", "GH", "", "F",
         "1980"],
        ["Yaw Darko", f"yaw{n}@example.org", "", "2211", "", "GH", "", "M", "1975"],
    ]


def import_in_job(manager, rows) -> int:
    """The file through the job, as the browser starts it; the job's id."""
    job = jobs.enqueue(db.session, "professionals.import", actor=manager, now=START,
                       params={"mapping": services.guess_mapping(HEADER), "locale": "en"},
                       input_name="people.csv", input_data=as_csv(rows))
    assert jobs.run_pending(db.session, clock=lambda: START) == 1
    db.session.refresh(job)
    assert job.status == "done", job.error
    return job.id


@pytest.fixture
def kofi(make_professional):
    return make_professional(given_name="Kofi", family_name="Boateng", phone="+233 20 000 0001",
                             gender="male", languages=())


def holds(job_id=None) -> dict[str, DuplicateHold]:
    query = sa.select(DuplicateHold)
    if job_id is not None:
        query = query.where(DuplicateHold.job_id == job_id)
    return {hold.email: hold for hold in db.session.scalars(query)}


def test_possible_duplicates_are_held_not_created_and_listed_beside_the_record(
        app, make_user, kofi):
    manager = make_user("manager")
    job_id = import_in_job(manager, file_rows())
    held = holds(job_id)
    assert set(held) == {"kofi.new0@example.org", "esi.other0@example.org"}
    esi = db.session.scalar(sa.select(Professional).join(User).where(
        User.email == "esi0@example.org"))
    # each held row names the record it may duplicate: in the registry, or made by the file
    assert held["kofi.new0@example.org"].existing_id == kofi.id
    assert held["esi.other0@example.org"].existing_id == esi.id
    assert {h.status for h in held.values()} == {HoldStatus.PENDING}
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(
        User.email.in_(list(held)))) == 0
    browser = Browser(app.test_client())
    browser.login(manager)
    job_page = browser.get(f"/jobs/{job_id}").get_data(as_text=True)
    link = f"/facilities/imports/professionals/{job_id}/duplicates"
    assert link in job_page
    page = browser.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert kofi.user.email in html and "kofi.new0@example.org" in html and "1980" in html
    assert html.count('name="action" value="merge"') == 2
    read = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "read", AuditEvent.entity == "professional",
        AuditEvent.actor_id == manager.id)).all()
    assert read and sorted(read[-1].detail["professionals"]) == sorted([kofi.id, esi.id])
    # the same file again: the held rows are not held twice, and say they wait
    again = services.import_people(db.session, as_csv(file_rows()), "people.csv",
                                   mapping=services.guess_mapping(HEADER), actor=manager,
                                   now=START)
    assert [r.status for r in again.rows] == ["duplicate", "skipped", "duplicate", "skipped"]
    assert "waiting for a manager" in again.rows[0].messages[-1]
    assert len(holds()) == 2


def test_a_manager_skips_merges_or_creates_each_held_row_once(app, make_user, kofi):
    manager = make_user("manager")
    job_id = import_in_job(manager, file_rows() + [
        ["Kofi Boateng", "kofi.third@example.org", "+233 20 000 0001", "2212", "", "GH", "", "",
         ""]])
    held = holds(job_id)
    browser = Browser(app.test_client())
    browser.login(manager)
    base = "/facilities/imports/professionals/duplicates"
    # same person: the empty fields of the record are filled, the others kept
    response = browser.post(f"{base}/{held['kofi.new0@example.org'].id}", {"action": "merge"})
    assert response.status_code == 303
    db.session.refresh(kofi)
    assert [lang.language for lang in kofi.languages] == ["fr"] and kofi.gender == "male"
    assert kofi.user.email != "kofi.new0@example.org"
    # the second click (or a second manager) learns what was decided; nothing changes
    response = browser.post(f"{base}/{held['kofi.new0@example.org'].id}", {"action": "create"})
    assert response.status_code == 409
    assert "already decided" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(
        User.email == "kofi.new0@example.org")) == 0
    # different person: created, invited (through the outbox), not matchable before consent
    notices = db.session.scalar(sa.select(sa.func.count(Notification.id)))
    response = browser.post(f"{base}/{held['esi.other0@example.org'].id}", {"action": "create"})
    assert response.status_code == 303
    other = db.session.scalar(sa.select(Professional).join(User).where(
        User.email == "esi.other0@example.org"))
    assert other is not None and not other.consent_given
    assert [s.specialty for s in other.specialties] == ["paediatrics"]
    assert db.session.scalar(sa.select(Invitation.sent_at).where(
        Invitation.user_id == other.user_id)) is not None
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == notices + 1
    response = browser.post(f"{base}/{held['kofi.third@example.org'].id}", {"action": "skip"})
    assert response.status_code == 303
    db.session.expire_all()
    assert {h.email: h.status for h in holds(job_id).values()} == {
        "kofi.new0@example.org": HoldStatus.MERGED, "esi.other0@example.org": HoldStatus.CREATED,
        "kofi.third@example.org": HoldStatus.SKIPPED}
    # bad input: an unknown action, an unknown row, a non-manager
    assert browser.post(f"{base}/{held['kofi.third@example.org'].id}",
                        {"action": "explode"}).status_code == 422
    assert browser.post(f"{base}/999999", {"action": "skip"}).status_code == 404
    assert browser.get("/facilities/imports/professionals/999999/duplicates").status_code == 404
    with pytest.raises(Forbidden):
        duplicates.decide(db.session, held["kofi.third@example.org"].id, "skip",
                          actor=make_user("coordinator"), now=START)
    # a later file with a row a manager said was the same person: skipped, not held again
    report = services.import_people(db.session, as_csv(file_rows()), "people.csv",
                                    mapping=services.guess_mapping(HEADER), actor=manager,
                                    now=START)
    assert report.rows[0].status == "skipped" and "confirmed" in report.rows[0].messages[0]
    assert len(holds()) == 3
    # erasing the person created from a held row takes the row's cells with them
    from diaspora.privacy import services as privacy
    privacy.erase_person(db.session, other.user, actor=make_user("admin"), now=START)
    assert "esi.other0@example.org" not in holds()


def test_creating_a_held_row_whose_email_was_taken_meanwhile_is_a_clear_conflict(
        app, make_user, kofi):
    manager = make_user("manager")
    job_id = import_in_job(manager, file_rows())
    hold = holds(job_id)["kofi.new0@example.org"]
    make_user("professional", email="kofi.new0@example.org")
    with pytest.raises(Conflict, match="already exists"):
        duplicates.decide(db.session, hold.id, "create", actor=manager, now=START)
    db.session.refresh(hold)
    assert hold.status == HoldStatus.PENDING and hold.decided_by_id is None


# --- two managers at the same moment ----------------------------------------------------------

@dataclass(frozen=True)
class Decision:
    hold_id: int
    action: str
    actor_id: int


def decide_attempt(job: Decision, barrier) -> str:
    """Read the held row (the manager's open page), wait for the other, decide."""
    try:
        actor = db.session.get(User, job.actor_id)
        hold = db.session.get(DuplicateHold, job.hold_id)
        assert hold.status == HoldStatus.PENDING
        barrier.wait(timeout=WAIT_SECONDS)
        duplicates.decide(db.session, job.hold_id, job.action, actor=actor, now=START)
        return "won"
    except Conflict as error:
        return f"409 {error.extra.get('current_status')}"
    except Exception as error:  # reported to the test, which fails on it
        return f"error {error!r}"
    finally:
        db.session.remove()


def race(url: str, racers_of) -> None:
    app = make_app(url)
    racers = racers_of(url, 2, attempt=decide_attempt)
    try:
        with app.app_context():
            managers = [User(email=f"m{n}@race.example", name=f"M{n}", role="manager",
                             password_hash="-", created_at=START, timezone="UTC") for n in (1, 2)]
            db.session.add_all(managers)
            db.session.commit()
            first = services.import_people(
                db.session, as_csv([file_rows()[1]]), "a.csv",
                mapping=services.guess_mapping(HEADER), actor=managers[0], now=START)
            assert first.rows[0].status == "created"
            for n in range(REPLAYS):
                # one "Esi Ofori, 1980" more, held against the first
                services.import_people(
                    db.session, as_csv([["Esi Ofori", f"esi.race{n}@example.org", "", "2221", "",
                                         "GH", "", "F", "1980"]]), "b.csv",
                    mapping=services.guess_mapping(HEADER), actor=managers[0], now=START)
                hold = db.session.scalar(sa.select(DuplicateHold).where(
                    DuplicateHold.email == f"esi.race{n}@example.org"))
                outcomes = racers.run([Decision(hold.id, "create", managers[0].id),
                                       Decision(hold.id, "skip", managers[1].id)])
                db.session.expire_all()
                assert outcomes.count("won") == 1, f"replay {n}: {outcomes}"
                won = ("create", "skip")[outcomes.index("won")]
                target = {"create": HoldStatus.CREATED, "skip": HoldStatus.SKIPPED}[won]
                assert sorted(outcomes) == sorted(["won", f"409 {target}"]), outcomes
                assert db.session.get(DuplicateHold, hold.id).status == target
                created = db.session.scalar(sa.select(sa.func.count(User.id)).where(
                    User.email == f"esi.race{n}@example.org"))
                assert created == (1 if won == "create" else 0)
                decisions = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
                    AuditEvent.entity == "import_duplicate", AuditEvent.entity_id == hold.id))
                assert decisions == 1  # the loser wrote nothing
            db.session.remove()
            db.engine.dispose()
    finally:
        racers.close()


def test_two_managers_deciding_at_once_threads_on_sqlite(sqlite_url):
    race(sqlite_url, ThreadRacers)


def test_two_managers_deciding_at_once_processes_on_postgresql(postgres_database_url):
    race(postgres_database_url, ProcessRacers)


# --- saved column mappings ----------------------------------------------------------------------

ODD_HEADER = ["Col A", "Col B", "Col C", "Col D", "Col E"]
ODD_MAPPING = {"map-0": "name", "map-1": "email", "map-2": "cadre", "map-3": "country_of_residence",
               "map-4": ""}


def odd_file(order=(0, 1, 2, 3, 4)) -> bytes:
    rows = [["Abena Owusu", "abena@example.org", "2212", "GH", "x"]]
    return as_csv([[row[i] for i in order] for row in rows], header=[ODD_HEADER[i] for i in order])


def test_a_saved_mapping_is_proposed_for_a_file_with_the_same_columns(app, make_user,
                                                                     test_programme):
    manager = make_user("manager")
    programme = test_programme()
    browser = Browser(app.test_client())
    browser.login(manager)
    url = "/facilities/imports/professionals"
    first = browser.post(url, {"file": (io.BytesIO(odd_file()), "a.csv")},
                         content_type="multipart/form-data").get_data(as_text=True)
    assert '<option value="email" selected>' not in first  # nothing to guess from "Col B"
    import base64
    form = {"content": base64.b64encode(odd_file()).decode(), "filename": "a.csv", "mapped": "1",
            **ODD_MAPPING, "programme_id": str(programme.id)}
    # bad input: no name
    refused = browser.post(f"{url}/mappings", {**form, "mapping_name": "  "})
    assert refused.status_code == 422 and "Give the mapping a name" in refused.get_data(as_text=True)
    saved = browser.post(f"{url}/mappings", {**form, "mapping_name": "Ministry roster"})
    assert saved.status_code == 200 and "Created: 1" in saved.get_data(as_text=True)
    stored = db.session.scalars(sa.select(SavedMapping)).one()
    assert stored.mapping == {"col a": "name", "col b": "email", "col c": "cadre",
                              "col d": "country_of_residence"}
    # the same columns in another order: the saved mapping proposed, the dry run uses it
    again = browser.post(url, {"file": (io.BytesIO(odd_file((4, 3, 2, 1, 0))), "b.csv")},
                         content_type="multipart/form-data").get_data(as_text=True)
    assert "Ministry roster" in again and "Created: 1" in again
    # saving again under the name replaces; listing and deleting
    assert browser.post(f"{url}/mappings", {**form, "mapping_name": "Ministry roster"}
                        ).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(SavedMapping.id))) == 1
    listing = browser.get(f"{url}/mappings").get_data(as_text=True)
    assert "Ministry roster" in listing and "col b → E-mail" in listing
    # another programme's manager neither sees it, nor is proposed it, nor deletes it
    other = make_user("manager", programmes=())
    assert mappings.listed(db.session, actor=other) == []
    assert mappings.proposed(db.session, ODD_HEADER, actor=other) == (None, {})
    with pytest.raises(Forbidden):
        mappings.delete(db.session, stored.id, actor=other, now=START)
    with pytest.raises(Invalid) as refused:
        mappings.save(db.session, programme_id=None, name="Mine", header=ODD_HEADER,
                      mapping={"Col A": "name"}, actor=other, now=START)
    assert "programme_id" in refused.value.errors
    assert browser.post(f"{url}/mappings/{stored.id}/delete").status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(SavedMapping.id))) == 0
    assert browser.post(f"{url}/mappings/{stored.id}/delete").status_code == 404
    # a different header: nothing proposed
    assert mappings.proposed(db.session, ["Other"], actor=manager) == (None, {})
