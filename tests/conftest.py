"""Fixtures: one migrated app per database for the session; each test inside a transaction
that is rolled back when it ends.

- Databases: SQLite always, PostgreSQL too when TEST_DATABASE_URL is set. A test that touches
  the database runs once per database (the ``backend`` parameter). The schema is made by the
  migrations, once per session (on PostgreSQL after dropping the schema).
- The shared app: ``create_app`` costs about half a second (mostly flask-smorest registering the
  API), so each database has one app for the whole session. A test runs on one connection, in
  a transaction rolled back at its end. Flask-SQLAlchemy's session is bound to that connection
  with ``join_transaction_mode="create_savepoint"``: every ``db.session`` — the test's own and
  those of the requests the test client makes, each in its own app context — works inside a
  SAVEPOINT, so the services' ``commit()`` and ``rollback()`` behave as usual and nothing
  outlives the test. On SQLite, pysqlite's own BEGIN is switched off so SAVEPOINTs nest
  (``take_over_begin``). What a test may change on the app is put back after it: the config
  (``CLOCK`` a FakeClock at START again) and the rate limiter's counts; ``g`` lives in the
  test's app context and goes with it.
- Own app (``@pytest.mark.own_app``): a test whose writes another connection must see — threads
  or processes with connections of their own, the scheduler started in-process, the Playwright
  live server (requests in server threads), a second connection writing in the middle of a
  request — gets a fresh app on a committed database of its own: a copy of the migrated SQLite
  template, or the PostgreSQL test database truncated afterwards. ``database_url`` is that
  database, for tests that build apps of their own with ``make_app(database_url, ...)``
  (different settings, several apps); the migrations tests make empty databases themselves.
- Tests that only make sense on PostgreSQL (several scheduler processes sharing row locks) take
  the ``postgres_database_url`` fixture (committed, truncated afterwards); without
  TEST_DATABASE_URL they are deselected, never skipped, and CI (which sets it) always runs them.
- Under pytest-xdist each worker is a session of its own (its SQLite template, its shared app,
  its PostgreSQL database ``<TEST_DATABASE_URL's name>_<worker>``, created when missing).
- Tests of the Redis rate-limit storage take the ``redis_url`` fixture: they run when
  TEST_REDIS_URL is set (CI sets it) and are deselected otherwise, in the same way.
"""
from __future__ import annotations

import copy
import gc
import os
import re
import shutil
import socket
import tempfile
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession

from diaspora import create_app
from diaspora.clock import FakeClock
from diaspora.extensions import db
from diaspora.ratelimit import limiter_of

# The cyclic collector: a test process keeps a large heap alive (two apps, their schemas and
# compiled templates, about 365,000 objects), which the default thresholds (700, 10, 10) walk
# every few requests, about 0.2 s a time. Collect the young generation every 50,000
# allocations instead; nothing a test asserts depends on when cycles are freed.
gc.set_threshold(50_000, 20, 100)

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
# Under pytest-xdist (``make test`` runs ``-n auto``) each worker has a PostgreSQL database of
# its own, named after the given one (``test_gw0``, ``test_gw1``), created when missing.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if TEST_DATABASE_URL and XDIST_WORKER:
    _given = sa.make_url(TEST_DATABASE_URL)
    TEST_DATABASE_URL = _given.set(database=f"{_given.database}_{XDIST_WORKER}").render_as_string(
        hide_password=False)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Uploaded documents of every test app (a test that counts files sets a directory of its own).
TEST_DOCUMENTS = os.path.join(tempfile.gettempdir(), f"diaspora-test-documents-{os.getpid()}")
PASSWORD = "correct-horse-battery"


class FreshContextClient(FlaskClient):
    """Runs each request in its own app context, as in production.

    The ``app`` fixture keeps an app context open for the test body; without this, requests
    would reuse it and share ``g`` (and the signed-in user cached there) between requests.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def make_app(database_url: str, **overrides):
    config = {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
              "CLOCK": FakeClock(START), "DOCUMENT_STORAGE_PATH": TEST_DOCUMENTS, **overrides}
    app = create_app(config)
    app.test_client_class = FreshContextClient
    return app


def migrate(database_url: str) -> None:
    app = make_app(database_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


def create_missing_database(url: str) -> None:
    """Create the database of ``url`` unless it exists (connecting to the server's ``postgres``)."""
    target = sa.make_url(url)
    server = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                       {"name": target.database})
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        server.dispose()


def reset_postgres(url: str) -> None:
    create_missing_database(url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path):
    """A SQLite file of its own, migrated: ``database_url`` on SQLite, and the database of the
    thread races (their racers open connections of their own)."""
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def postgres_url():
    reset_postgres(TEST_DATABASE_URL)
    migrate(TEST_DATABASE_URL)
    return TEST_DATABASE_URL


def truncate_all(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        tables = connection.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'")).scalars().all()
        if tables:
            connection.execute(sa.text(
                f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(request, backend):
    """A committed database of this test's own (see the module docstring)."""
    if backend == "sqlite":
        yield request.getfixturevalue("sqlite_url")
    else:
        url = request.getfixturevalue("postgres_url")
        yield url
        truncate_all(url)


@pytest.fixture
def postgres_database_url(request):
    """The PostgreSQL test database (migrated; truncated afterwards) — see the module docstring."""
    url = request.getfixturevalue("postgres_url")
    yield url
    truncate_all(url)


@pytest.fixture
def redis_url():
    """The Redis server of TEST_REDIS_URL — see the module docstring."""
    return TEST_REDIS_URL


def pytest_collection_modifyitems(config, items):
    missing = {name for name, given in (("postgres_database_url", TEST_DATABASE_URL),
                                        ("redis_url", TEST_REDIS_URL)) if not given}
    unrunnable = [item for item in items if missing & set(getattr(item, "fixturenames", ()))]
    if unrunnable:
        config.hook.pytest_deselected(items=unrunnable)
        items[:] = [item for item in items if item not in unrunnable]


# --- the shared app -------------------------------------------------------------------------

class JoinedSession(FlaskSession):
    """Flask-SQLAlchemy's session, except that the connection it is bound to wins: Flask-SQLAlchemy
    picks the engine itself and would ignore the test's connection."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def take_over_begin(engine) -> None:
    """Let SQLAlchemy emit BEGIN on SQLite, so SAVEPOINTs nest inside the test's transaction.

    pysqlite (before Python 3.12) begins a transaction itself, only before a write, and never
    before a SAVEPOINT (SQLAlchemy's SQLite docs, "Transactions": serializable isolation,
    savepoints, transactional DDL).
    """

    @sa.event.listens_for(engine, "connect")
    def _no_pysqlite_begin(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")

    engine.dispose()   # no connection made before the listeners stays in the pool


class SharedApp:
    """One app for every test on one database, each test in a transaction rolled back after it."""

    def __init__(self, app):
        self.app = app
        self.config = copy.deepcopy(dict(app.config))
        self.auto_reload = app.jinja_env.auto_reload   # setting app.debug changes it too

    @contextmanager
    def test(self):
        try:
            with self.app.app_context():
                connection = db.engine.connect()
                transaction = connection.begin()
                factory = db.session.session_factory
                defaults = factory.class_, dict(factory.kw)
                factory.class_ = JoinedSession
                factory.configure(bind=connection, join_transaction_mode="create_savepoint")
                try:
                    yield self.app
                finally:
                    db.session.remove()
                    factory.class_, factory.kw = defaults
                    transaction.rollback()
                    connection.close()
        finally:
            self.reset()

    def reset(self) -> None:
        """Put back what a test may have changed on the app."""
        self.app.config.clear()
        self.app.config.update(copy.deepcopy(self.config))
        self.app.jinja_env.auto_reload = self.auto_reload
        limiter_of(self.app).reset()


# The sign-in rate limit counts in the database on connections of its own (so a count survives
# the request's rollback); inside a test's transaction those would wait for it. The shared app
# counts in memory; the tests of the database storage take an own app.
SHARED_APP_SETTINGS = {"RATELIMIT_STORAGE_URI": "memory://"}


def is_savepoint(statement: str) -> bool:
    """A SAVEPOINT the shared app's test transaction wraps sessions in — not the code's own SQL
    (the code never nests transactions), so query counts leave it out."""
    return statement.startswith(("SAVEPOINT ", "RELEASE SAVEPOINT ", "ROLLBACK TO SAVEPOINT "))


@pytest.fixture(scope="session")
def shared_sqlite_app(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("shared") / "shared.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app = make_app(f"sqlite:///{path}", **SHARED_APP_SETTINGS)
    with app.app_context():
        take_over_begin(db.engine)
    yield SharedApp(app)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def shared_postgresql_app(postgres_url):
    app = make_app(postgres_url, **SHARED_APP_SETTINGS)
    yield SharedApp(app)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(request, backend):
    """The shared app in a rolled-back transaction, or (``own_app``) a fresh app of its own."""
    if request.node.get_closest_marker("own_app"):
        app = make_app(request.getfixturevalue("database_url"))
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()
    else:
        with request.getfixturevalue(f"shared_{backend}_app").test() as app:
            yield app


@pytest.fixture
def clock(app) -> FakeClock:
    return app.config["CLOCK"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db_session(app):
    return db.session


class MailSink:
    """A real SMTP server on a free local port that keeps what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"



def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mail_sink():
    sink = MailSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


# --- factories ------------------------------------------------------------------------------

_serial = count(1)


@pytest.fixture
def test_programme(app):
    """``test_programme()``: the programme the tests' managers manage, made on first use. Its
    origin country is the test facilities' (GH), so needs filed without a programme are within
    its managers' reach (see ``diaspora.programmes.access``)."""
    from diaspora.programmes.models import Programme

    made = []

    def get() -> Programme:
        if not made:
            made.append(Programme(name="Test programme", origin_country="GH",
                                  host_countries=["GB"], starts_on=date(2025, 1, 1)))
            db.session.add(made[0])
            db.session.commit()
        return made[0]

    return get


@pytest.fixture
def make_user(app, test_programme):
    """``make_user(role)``; a manager manages the test programme unless ``programmes`` says
    otherwise (``programmes=()``: a manager of no programme)."""
    from diaspora.auth.models import User
    from diaspora.security import hash_password

    def make(role: str = "manager", *, email: str | None = None, name: str | None = None,
             password: str = PASSWORD, programmes=None, **fields) -> User:
        n = next(_serial)
        user = User(email=email or f"{role}{n}@example.org", name=name or f"{role.title()} {n}",
                    role=role, password_hash=hash_password(password), created_at=START,
                    timezone=fields.pop("timezone", "Africa/Accra"), **fields)
        db.session.add(user)
        if role == "manager":
            for programme in (test_programme(),) if programmes is None else programmes:
                programme.managers.append(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_professional(app, make_user):
    from diaspora.professionals.models import (
        AvailabilityWindow,
        Licence,
        ProfessionalLanguage,
        ProfessionalSpecialty,
    )
    from diaspora.professionals.services import create_professional, record_programme_consent
    from diaspora.programmes.models import Programme

    def make(*, user=None, licences=(("GH", date(2025, 1, 1), date(2028, 12, 31)),),
             windows=((date(2026, 4, 1), date(2026, 6, 30), "either", 4),),
             specialties=("obstetrics-gynaecology",), languages=("en", "tw"), consent=True,
             programmes=None, **profile):
        """With ``consent``, they consent to ``programmes`` too (by default every programme
        there is, as the migration did for existing professionals)."""
        user = user or make_user("professional")
        data = {"given_name": "Ama", "family_name": f"Mensah{user.id}", "cadre": "2212",
                "country_of_origin": "GH", "country_of_residence": "GB",
                "city_of_residence": "London", "timezone": "Europe/London", "gender": "female",
                "offers_physical": True, "offers_virtual": True, **profile}
        professional = create_professional(db.session, user, data, now=START,
                                           consent_version="2026-01")
        professional.consent_given = consent
        if consent:
            for programme in db.session.scalars(sa.select(Programme)) if programmes is None \
                    else programmes:
                record_programme_consent(db.session, professional, programme.id, True,
                                         actor=user, now=START)
        professional.specialties = [ProfessionalSpecialty(specialty=s) for s in specialties]
        professional.languages = [ProfessionalLanguage(language=code) for code in languages]
        for country, valid_from, valid_until in licences:
            professional.licences.append(Licence(country=country, authority="Council",
                                                 number=f"N{next(_serial)}", valid_from=valid_from,
                                                 valid_until=valid_until))
        for starts_on, ends_on, mode, hours in windows:
            professional.windows.append(AvailabilityWindow(kind="available", mode=mode,
                                                           starts_on=starts_on, ends_on=ends_on,
                                                           hours_per_week=hours))
        db.session.commit()
        return professional

    return make


@pytest.fixture
def make_facility(app):
    from diaspora.facilities.models import Facility

    def make(**fields) -> Facility:
        n = next(_serial)
        values = {"external_id": f"test:{n}", "source": "test", "name": f"Facility {n}",
                  "country": "GH", "admin1": "Northern", "facility_type": "District Hospital",
                  "category": "hospital", "tier": 3, "ownership": "public", "latitude": 9.4,
                  "longitude": -0.85, "timezone": "Africa/Accra", "setting": "rural",
                  "imported_at": START, "updated_at": START, **fields}
        facility = Facility(**values)
        db.session.add(facility)
        db.session.commit()
        return facility

    return make


# --- signing in -----------------------------------------------------------------------------

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A test client that signs in through the real form and adds CSRF tokens to its posts."""

    def __init__(self, client):
        self.client = client
        self._token: str | None = None

    def csrf_token(self) -> str:
        if self._token is None:
            page = "/account" if self._signed_in() else "/login"
            html = self.client.get(page).get_data(as_text=True)
            match = CSRF_INPUT.search(html)
            assert match, f"no CSRF token on {page}"
            self._token = match.group(1)
        return self._token

    def login(self, user, password: str = PASSWORD):
        response = self.post("/login", {"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        self._token = None  # the session was renewed
        return response

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.client.post(url, data=data, **kwargs)

    def _signed_in(self) -> bool:
        with self.client.session_transaction() as session:
            return "_user_id" in session


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def signed_in(app, make_user):
    """``signed_in(role_or_user)`` → a Browser signed in as a new user of that role (or that user)."""

    def sign_in(who="manager"):
        user = make_user(who) if isinstance(who, str) else who
        browser = Browser(app.test_client())
        browser.login(user)
        browser.user = user
        return browser

    return sign_in


@pytest.fixture
def api_client(app, make_user):
    """``api_client(user)`` → (client, headers) authenticated with a fresh bearer token."""
    from diaspora.auth.services import create_token

    def make(user=None, role="manager"):
        user = user or make_user(role)
        _api_token, token = create_token(db.session, user, "test", now=START)
        return app.test_client(), {"Authorization": f"Bearer {token}"}

    return make


def stored_values(model) -> list:
    """Every value in ``model``'s table, as the database holds it (not as the model shows it)."""
    return [value for row in db.session.execute(sa.select(model.__table__)) for value in row]


INLINE_CODE = re.compile(r"""\sstyle=|<script(?![^>]*\ssrc=)""")


def inline_code(html: str) -> list[str]:
    """Inline styles and scripts, which the Content-Security-Policy forbids (scripts are files)."""
    return INLINE_CODE.findall(html)


def later(days: int = 0, **kwargs) -> datetime:
    return START + timedelta(days=days, **kwargs)


@pytest.fixture
def make_need(app, make_facility):
    """An approved need (by default physical clinical, 14 days in April–June 2026)."""
    from diaspora.needs.models import Need

    def make(facility=None, **fields) -> Need:
        facility = facility or make_facility()
        values = {"facility_id": facility.id, "title": "Emergency obstetric care", "cadre": "2212",
                  "specialty": "obstetrics-gynaecology", "purpose": "clinical_service",
                  "mode": "physical", "earliest_start": date(2026, 4, 1),
                  "latest_end": date(2026, 6, 30), "duration_days": 14, "status": "approved",
                  "languages": ["en"], "skills": [], "created_at": START, "updated_at": START,
                  **fields}
        need = Need(**values)
        db.session.add(need)
        db.session.commit()
        return need

    return make


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def propose(manager):
    """``propose(need, professional, **schedule)`` → a proposed mission (physical by default)."""
    from missions.core.proposals import propose_mission

    def make(need, professional, **data):
        data.setdefault("kind", "physical")
        data.setdefault("starts_on", date(2026, 4, 6))
        return propose_mission(db.session, need, professional, data, actor=manager, now=START)

    return make
