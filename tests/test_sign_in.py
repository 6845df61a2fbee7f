"""Sign-in against guessing: one answer and one password hash for every failure, a back-off per
e-mail and client address, a rate limit counted where every worker sees it (the database, or
Redis), and a password policy that refuses common and breached passwords."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from marshmallow import ValidationError

from diaspora.auth import services, throttle
from diaspora.auth.models import RateLimitCounter, SignInFailure, User
from diaspora.auth.schemas import check_password
from diaspora.errors import Unauthorized
from diaspora.extensions import db
from diaspora.ratelimit import limiter_of
from diaspora.security import DEMO_PASSWORD

from .conftest import PASSWORD, START, free_port, make_app

ROOT = Path(__file__).resolve().parents[1]
ONE_MESSAGE = "E-mail or password is incorrect, or there were too many attempts"
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
# Our keys in the shared Redis, under a prefix of this run's own.
REDIS_PREFIX = f"diaspora-test-{uuid.uuid4().hex}"


def sign_in(email: str, password: str, *, address: str = OWNER, now=START) -> User:
    return services.authenticate(db.session, email, password, address=address, now=now)


def fails(email: str, password: str, **kwargs) -> str:
    with pytest.raises(Unauthorized) as refused:
        sign_in(email, password, **kwargs)
    return refused.value.message


@pytest.fixture
def hashes_checked(monkeypatch):
    """Every argon2 verification made, as the hash it was checked against."""
    checked: list[str] = []
    verify = PasswordHasher.verify

    def spy(self, password_hash, password):
        checked.append(password_hash)
        return verify(self, password_hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    return checked


def test_every_failure_gives_one_message_and_costs_one_password_hash(app, make_user, hashes_checked):
    user = make_user("admin")
    inactive = make_user("manager", active=False)
    threshold = app.config["LOGIN_LOCKOUT_THRESHOLD"]
    for _ in range(threshold):
        fails(user.email, "wrong-password-1", address=ATTACKER)
    hashes_checked.clear()
    messages = {
        "unknown e-mail": fails("nobody@example.org", PASSWORD),
        "wrong password": fails(user.email, "wrong-password-2"),
        "inactive account": fails(inactive.email, PASSWORD),
        "slowed down, right password": fails(user.email, PASSWORD, address=ATTACKER),
    }
    assert len(set(messages.values())) == 1, messages
    assert ONE_MESSAGE in messages["unknown e-mail"]
    # one argon2 verification each, the unknown e-mail against a stand-in hash of the same kind
    assert len(hashes_checked) == 4 and all(h.startswith("$argon2id$") for h in hashes_checked)
    assert hashes_checked[0] not in (user.password_hash, inactive.password_hash)


def test_the_api_and_the_page_answer_alike_for_unknown_and_known_e_mails(browser, client, make_user):
    user = make_user("manager")
    page_known = browser.post("/login", {"email": user.email, "password": "wrong-password-1"})
    page_unknown = browser.post("/login", {"email": "nobody@example.org", "password": "wrong-password-1"})
    assert page_known.status_code == page_unknown.status_code == 422
    assert ONE_MESSAGE in page_known.get_data(as_text=True)
    assert ONE_MESSAGE in page_unknown.get_data(as_text=True)
    api_known = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": "wrong-password-1"})
    api_unknown = client.post("/api/v1/auth/tokens", json={"email": "x@example.org", "password": "wrong-password-1"})
    assert api_known.status_code == api_unknown.status_code == 401
    assert api_known.json["message"] == api_unknown.json["message"]


def test_guesses_from_another_address_never_lock_the_owner_out(app, client, make_user):
    admin = make_user("admin")
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"

    def token_request(address: str, password: str) -> int:
        return client.post("/api/v1/auth/tokens", json={"email": admin.email, "password": password},
                           environ_base={"REMOTE_ADDR": address}).status_code

    assert [token_request(ATTACKER, "guess-guess-1") for _ in range(8)] == [401] * 8
    assert token_request(OWNER, PASSWORD) == 201
    # while the attacker's address is slowed down even when it finally has the password
    assert token_request(ATTACKER, PASSWORD) == 401


def test_the_wait_doubles_with_each_failure_past_the_threshold(app, make_user):
    user = make_user("manager")
    threshold, base = app.config["LOGIN_LOCKOUT_THRESHOLD"], app.config["LOGIN_BACKOFF_SECONDS"]
    now = START
    for _ in range(threshold - 1):
        fails(user.email, "wrong-password-1", now=now)
    assert sign_in(user.email, PASSWORD, now=now) == user  # below the threshold: no wait
    for _ in range(threshold):                             # success cleared the count
        fails(user.email, "wrong-password-1", now=now)
    for wait in (base, 2 * base, 4 * base):
        fails(user.email, PASSWORD, now=now + timedelta(seconds=wait - 1))  # still waiting
        now += timedelta(seconds=wait)
        fails(user.email, "wrong-password-1", now=now)  # the wait is over: a new try, wrong again
    fails(user.email, PASSWORD, now=now + timedelta(seconds=8 * base - 1))
    assert sign_in(user.email, PASSWORD, now=now + timedelta(seconds=8 * base)) == user


def test_the_wait_is_capped_and_a_quiet_day_forgets_the_failures(app, make_user):
    user = make_user("manager")
    app.config.update(LOGIN_BACKOFF_SECONDS=60, LOGIN_BACKOFF_MAX_MINUTES=5)
    now = START
    for _ in range(app.config["LOGIN_LOCKOUT_THRESHOLD"] + 6):
        fails(user.email, "wrong-password-1", now=now)
        now += timedelta(minutes=5)  # never longer than the cap
    key = throttle.attempt_key(user.email, OWNER)
    assert db.session.get(SignInFailure, key).failures == app.config["LOGIN_LOCKOUT_THRESHOLD"] + 6
    fails("someone-else@example.org", "wrong-password-1", now=now + throttle.FORGET_AFTER + timedelta(minutes=6))
    db.session.expire_all()
    assert db.session.get(SignInFailure, key) is None


def test_unknown_e_mails_are_slowed_down_like_accounts(app):
    for _ in range(app.config["LOGIN_LOCKOUT_THRESHOLD"]):
        fails("nobody@example.org", "wrong-password-1")
    assert throttle.is_blocked(db.session, throttle.attempt_key("Nobody@Example.org ", OWNER), START)
    assert not throttle.is_blocked(db.session, throttle.attempt_key("nobody@example.org", ATTACKER), START)


def test_the_failure_table_holds_neither_e_mail_nor_address(app, make_user):
    user = make_user("manager")
    fails(user.email, "wrong-password-1")
    (key,) = db.session.scalars(sa.select(SignInFailure.key)).all()
    assert user.email not in key and OWNER not in key and len(key) == 64


def test_the_published_demo_password_never_signs_in_in_production(app, make_user, monkeypatch):
    user = make_user("admin", password=DEMO_PASSWORD)
    assert sign_in(user.email, DEMO_PASSWORD) == user  # demo data in development and tests
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    assert ONE_MESSAGE in fails(user.email, DEMO_PASSWORD)


# --- the rate limit ---------------------------------------------------------------------------

@pytest.mark.own_app  # the storage counts on connections of its own
def test_the_rate_limit_is_counted_in_the_database_by_default(app, client):
    assert app.config["RATELIMIT_STORAGE_URI"] == "database://"
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    statuses = [client.post("/api/v1/auth/tokens", json={"email": "x@example.org",
                                                          "password": "wrong-password-1"}).status_code
                for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    counts = db.session.scalars(sa.select(RateLimitCounter.count)).all()
    assert counts == [4]


@pytest.mark.own_app  # the storage counts on connections of its own
def test_the_database_storage_counts_windows(app):
    storage = throttle.DatabaseStorage()
    assert storage.check()
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3 and storage.get("other") == 0
    assert time.time() < storage.get_expiry("k") <= time.time() + 60
    assert storage.incr("brief", 0) == 1 and storage.incr("brief", 0) == 1  # a new window each time
    storage.clear("k")
    assert storage.get("k") == 0
    assert storage.incr("k", 60, amount=2) == 2
    assert storage.reset() == 1 and storage.get("k") == 0  # one key left: "brief" had expired


def test_each_app_counts_with_a_limiter_of_its_own(database_url):
    """Two apps in one process (tests, a CLI beside a server) share no rate-limit storage."""
    apps = [make_app(database_url, RATELIMIT_STORAGE_URI="memory://",
                     LOGIN_RATE_LIMIT="2 per minute") for _ in range(2)]
    assert limiter_of(apps[0]) is not limiter_of(apps[1])

    def statuses(app, times):
        with app.app_context():
            client = app.test_client()
            answers = [client.post("/api/v1/auth/tokens", json={
                "email": "x@example.org", "password": "wrong-password-1"}).status_code
                for _ in range(times)]
            db.session.remove()
            db.engine.dispose()
            return answers

    assert statuses(apps[0], 3) == [401, 401, 429]
    assert statuses(apps[1], 1) == [401]


def test_the_rate_limit_is_counted_in_redis_when_configured(database_url, redis_url):
    import redis

    prefix = REDIS_PREFIX
    app = make_app(database_url, RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=prefix,
                   LOGIN_RATE_LIMIT="3 per minute")
    server = redis.Redis.from_url(redis_url)
    try:
        with app.app_context():
            client = app.test_client()
            statuses = [client.post("/api/v1/auth/tokens", json={"email": "x@example.org",
                                                                  "password": "wrong-password-1"}).status_code
                        for _ in range(4)]
            assert statuses == [401, 401, 401, 429]
            assert db.session.scalar(sa.select(sa.func.count()).select_from(RateLimitCounter)) == 0
            keys = server.keys(f"*{prefix}*")
            assert len(keys) == 1 and int(server.get(keys[0])) == 4
            db.session.remove()
            db.engine.dispose()
    finally:
        for key in server.scan_iter(f"*{prefix}*"):
            server.delete(key)
        server.close()


def test_gunicorn_workers_share_the_sign_in_rate_limit_without_redis(database_url, tmp_path):
    """The limit holds across processes: 25 tries at once against two workers, 10 answered."""
    port = free_port()
    access_log = tmp_path / "access.log"
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("RATELIMIT_", "LOGIN_", "DATABASE_URL", "SECRET_KEY"))}
    environment.update({"APP_ENV": "testing", "DATABASE_URL": database_url,
                        "LOGIN_RATE_LIMIT": "10 per hour", "INSTANCE_PATH": str(tmp_path)})
    with (tmp_path / "gunicorn.log").open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--preload", "--bind", f"127.0.0.1:{port}",
             "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(r)s %(s)s",
             "diaspora:create_app()"],
            cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, server, tmp_path / "gunicorn.log")

        def attempt(_n: int) -> int:
            request = urllib.request.Request(
                f"{base}/api/v1/auth/tokens", method="POST", headers={"Content-Type": "application/json"},
                data=b'{"email": "admin@example.org", "password": "guess-guess-1"}')
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = Counter(pool.map(attempt, range(25)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert statuses == {401: 10, 429: 15}
    workers = {line.split()[0] for line in access_log.read_text().splitlines() if "/auth/tokens" in line}
    assert len(workers) == 2  # both workers answered


def wait_until_serving(base: str, server, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"gunicorn did not start:\n{log.read_text()}")
        time.sleep(0.1)


# --- the password policy ----------------------------------------------------------------------

@pytest.mark.parametrize("password", ["1234512345", "qwerty1234", "Password1!", DEMO_PASSWORD,
                                      "ghana123456", "aaaaaaaaaaaa", "iloveyou2026",
                                      "boateng2026", "kofi.boateng@example.org1"])
def test_common_breached_patterned_and_published_passwords_are_refused(app, password):
    with pytest.raises(ValidationError) as refused:
        check_password(password, "kofi.boateng@example.org")
    assert any("too easy to guess" in message for message in refused.value.messages)


def test_an_empty_password_is_refused_not_a_crash(app, api_client):
    """zxcvbn fails on an empty string (found by the fuzz suite: POST /users answered 500)."""
    with pytest.raises(ValidationError) as refused:
        check_password("", "0@0.com")
    assert any("at least" in message for message in refused.value.messages)
    client, headers = api_client(role="admin")
    response = client.post("/api/v1/users", headers=headers, json={
        "email": "0@0.com", "name": "0", "role": "coordinator", "password": ""})
    assert response.status_code == 422 and "password" in response.json["errors"]["json"]


@pytest.mark.parametrize("password", ["correct-horse-battery", "Kwame-Accra-midwife", "tiger lantern 94 okra"])
def test_unrelated_words_make_an_acceptable_password(app, password):
    check_password(password, "kofi.boateng@example.org")


def test_registration_and_password_change_apply_the_policy(browser, signed_in):
    from .test_auth import SIGNUP

    response = browser.post("/register", {**SIGNUP, "password": "Password1!"})
    assert response.status_code == 422 and "too easy to guess" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
    member = signed_in("manager")
    response = member.post("/account/password", {"current_password": PASSWORD, "new_password": DEMO_PASSWORD})
    assert response.status_code == 422 and "too easy to guess" in response.get_data(as_text=True)
    assert services.authenticate(db.session, member.user.email, PASSWORD, address=OWNER, now=START)
