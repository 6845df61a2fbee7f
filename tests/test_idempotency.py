"""Creates are idempotent: a form posted twice, or an API write sent twice with one
Idempotency-Key, makes one record and answers the first response again."""
from __future__ import annotations

import multiprocessing
import re
import threading

import pytest
import sqlalchemy as sa

from diaspora.auth.models import ApiToken
from diaspora.auth.services import create_token
from diaspora.extensions import db
from diaspora.idempotency import IdempotencyKey
from diaspora.needs.models import Need

from .conftest import START, make_app

NEED = {"title": "Emergency obstetric care training", "cadre": "2222",
        "purpose": "training_of_trainers", "mode": "physical", "earliest_start": "2026-05-01",
        "latest_end": "2026-07-31", "duration_days": 21}
SUBMISSION_TOKEN = re.compile(r'name="submission_token" value="([^"]+)"')


@pytest.fixture
def coordinator(make_user, make_facility):
    facility = make_facility()
    user = make_user("coordinator")
    facility.coordinators.append(user)
    db.session.commit()
    user.facility = facility
    return user


def needs() -> int:
    return db.session.scalar(sa.select(sa.func.count(Need.id)))


def form_token(browser, url: str) -> str:
    return SUBMISSION_TOKEN.search(browser.get(url).get_data(as_text=True)).group(1)


# --- forms --------------------------------------------------------------------------------

def test_a_double_submitted_need_form_creates_one_need(signed_in, coordinator):
    browser = signed_in(coordinator)
    form = {**NEED, "facility_id": str(coordinator.facility.id),
            "submission_token": form_token(browser, "/needs/new")}
    first = browser.post("/needs/new", form)
    second = browser.post("/needs/new", form)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert needs() == 1
    # a new form (a new token) files another need
    browser.post("/needs/new", {**form, "submission_token": form_token(browser, "/needs/new")})
    assert needs() == 2


def test_a_form_sent_again_changed_is_another_submission(signed_in, coordinator):
    browser = signed_in(coordinator)
    form = {**NEED, "facility_id": str(coordinator.facility.id),
            "submission_token": form_token(browser, "/needs/new")}
    first = browser.post("/needs/new", form)
    changed = browser.post("/needs/new", {**form, "title": "Neonatal resuscitation"})
    assert changed.status_code == 302 and changed.headers["Location"] != first.headers["Location"]
    assert "Idempotent-Replayed" not in changed.headers
    assert needs() == 2


def test_a_form_refused_for_its_errors_can_be_corrected_and_sent_with_its_token(signed_in,
                                                                                coordinator):
    browser = signed_in(coordinator)
    form = {**NEED, "facility_id": str(coordinator.facility.id),
            "submission_token": form_token(browser, "/needs/new")}
    assert browser.post("/needs/new", {**form, "latest_end": "2026-04-01"}).status_code == 422
    assert browser.post("/needs/new", form).status_code == 302
    assert needs() == 1


def test_every_form_carries_a_fresh_submission_token(signed_in, coordinator):
    browser = signed_in(coordinator)
    assert form_token(browser, "/needs/new") != form_token(browser, "/needs/new")


# --- API ----------------------------------------------------------------------------------

def test_an_api_write_repeated_with_its_key_answers_the_first_response(api_client, coordinator):
    client, headers = api_client(coordinator)
    headers = {**headers, "Idempotency-Key": "need-2026-05-obstetrics"}
    body = {**NEED, "facility_id": coordinator.facility.id}
    first = client.post("/api/v1/needs", headers=headers, json=body)
    second = client.post("/api/v1/needs", headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert second.json == first.json and second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert needs() == 1
    # the same key with another body is a client error, not a second need
    other = client.post("/api/v1/needs", headers=headers, json={**body, "title": "Another need"})
    assert other.status_code == 422 and "another request" in other.json["message"]
    # ... and so is the same body on another query
    assert client.post("/api/v1/needs?submit=true", headers=headers, json=body).status_code == 422
    assert needs() == 1


def test_a_key_belongs_to_its_user_and_route(api_client, coordinator, make_user):
    body = {**NEED, "facility_id": coordinator.facility.id}
    client, headers = api_client(coordinator)
    colleague = make_user("coordinator")
    coordinator.facility.coordinators.append(colleague)
    db.session.commit()
    other_client, other_headers = api_client(colleague)
    key = {"Idempotency-Key": "same-key"}
    assert client.post("/api/v1/needs", headers={**headers, **key}, json=body).status_code == 201
    assert other_client.post("/api/v1/needs", headers={**other_headers, **key},
                             json=body).status_code == 201
    assert needs() == 2


def test_a_refused_write_does_not_spend_its_key(api_client, coordinator):
    client, headers = api_client(coordinator)
    headers = {**headers, "Idempotency-Key": "retry-me"}
    body = {**NEED, "facility_id": coordinator.facility.id}
    assert client.post("/api/v1/needs", headers=headers,
                       json={**body, "purpose": "tourism"}).status_code == 422
    assert client.post("/api/v1/needs", headers=headers, json=body).status_code == 201
    assert needs() == 1


def test_keys_are_forgotten_after_the_retention_period(app, api_client, coordinator, clock):
    client, headers = api_client(coordinator)
    headers = {**headers, "Idempotency-Key": "monthly-need"}
    body = {**NEED, "facility_id": coordinator.facility.id}
    assert client.post("/api/v1/needs", headers=headers, json=body).status_code == 201
    clock.advance(hours=app.config["IDEMPOTENCY_RETENTION_HOURS"] - 1)
    assert client.post("/api/v1/needs", headers=headers, json=body).headers.get(
        "Idempotent-Replayed") == "true"
    clock.advance(hours=2)
    assert client.post("/api/v1/needs", headers=headers, json=body).status_code == 201
    assert needs() == 2
    assert db.session.scalar(sa.select(sa.func.count(IdempotencyKey.id))) == 1  # the old one pruned


def test_a_malformed_key_is_refused(api_client, coordinator):
    client, headers = api_client(coordinator)
    body = {**NEED, "facility_id": coordinator.facility.id}
    for key in ("x" * 201, "café", "two words"):
        response = client.post("/api/v1/needs", headers={**headers, "Idempotency-Key": key},
                               json=body)
        assert response.status_code == 422 and "Idempotency-Key" in response.json["message"]
    assert needs() == 0


def test_a_secret_shown_once_is_not_kept_and_its_repeat_makes_nothing(api_client, coordinator):
    client, headers = api_client(coordinator)
    headers = {**headers, "Idempotency-Key": "token-for-ci"}
    first = client.post("/api/v1/auth/tokens/new", headers=headers, json={"name": "ci"})
    second = client.post("/api/v1/auth/tokens/new", headers=headers, json={"name": "ci"})
    assert first.status_code == 201 and first.json["token"]
    assert second.status_code == 409 and first.json["token"] not in second.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))
                             .where(ApiToken.name == "ci")) == 1
    assert db.session.scalar(sa.select(IdempotencyKey.body)) is None


# --- racing duplicates --------------------------------------------------------------------

def post_need(app, token: str, facility_id: int, barrier, results) -> None:
    """A client posting the need with the key once every client is ready."""
    client = app.test_client()
    barrier.wait()
    response = client.post("/api/v1/needs", json={**NEED, "facility_id": facility_id},
                           headers={"Authorization": f"Bearer {token}",
                                    "Idempotency-Key": "double-click"})
    results.put((response.status_code, response.get_data(as_text=True)))


def post_need_from_a_process(url: str, token: str, facility_id: int, barrier, results) -> None:
    app = make_app(url)
    post_need(app, token, facility_id, barrier, results)
    with app.app_context():
        db.engine.dispose()


def bearer(user) -> str:
    _api_token, token = create_token(db.session, user, "race", now=START)
    return token


@pytest.mark.own_app  # the threads' apps must see the committed coordinator
def test_two_concurrent_posts_with_one_key_create_one_need_threads(database_url, coordinator):
    """Threads, each with its own app and connections (SQLite: the write lock; PostgreSQL:
    the unique index)."""
    import queue

    token, facility_id = bearer(coordinator), coordinator.facility.id
    barrier, results = threading.Barrier(2, timeout=60), queue.Queue()
    app = make_app(database_url)
    threads = [threading.Thread(target=post_need,
                                args=(app, token, facility_id, barrier, results))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        db.engine.dispose()
    answers = [results.get_nowait() for _ in threads]
    assert answers[0] == answers[1] and answers[0][0] == 201
    assert needs() == 1


def coordinator_with_token(url: str) -> tuple[str, int]:
    """A facility and its coordinator, written through an app of its own; (token, facility id)."""
    from diaspora.auth.models import User
    from diaspora.facilities.models import Facility

    app = make_app(url)
    with app.app_context():
        facility = Facility(external_id="test:race", source="test", name="Race Hospital",
                            country="GH", facility_type="District Hospital", category="hospital",
                            tier=3, ownership="public", timezone="Africa/Accra",
                            imported_at=START, updated_at=START)
        user = User(email="race@example.org", name="Race Coordinator", role="coordinator",
                    password_hash="-", created_at=START, timezone="Africa/Accra")
        facility.coordinators.append(user)
        db.session.add(facility)
        db.session.commit()
        token, facility_id = bearer(user), facility.id
        db.session.remove()
        db.engine.dispose()
    return token, facility_id


def test_two_concurrent_posts_with_one_key_create_one_need_processes(postgres_database_url):
    """Two processes on PostgreSQL."""
    token, facility_id = coordinator_with_token(postgres_database_url)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2, timeout=120), context.Queue()
    processes = [context.Process(target=post_need_from_a_process,
                                 args=(postgres_database_url, token, facility_id, barrier, results))
                 for _ in range(2)]
    for process in processes:
        process.start()
    answers = [results.get(timeout=180) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert answers[0] == answers[1] and answers[0][0] == 201
    engine = sa.create_engine(postgres_database_url)
    with engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count(Need.id))) == 1
    engine.dispose()
