"""The audit log stays append-only against the web app's own PostgreSQL role: an owner role runs
the migrations, the app role works normally but cannot truncate the log, disable or drop its
trigger, or switch triggers off with session_replication_role."""
from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from diaspora.db_roles import role_statements
from diaspora.extensions import db

from .conftest import PASSWORD, START, TEST_DATABASE_URL, make_app

TAMPERING = [
    "UPDATE audit_events SET entity = 'tampered'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
    "SET session_replication_role = replica",
    "ALTER TABLE audit_events DISABLE TRIGGER ALL",
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
    "DROP TRIGGER audit_events_append_only ON audit_events",
    "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RETURN NEW; END $$",
]


@pytest.fixture
def roles_database(postgres_database_url):
    """A database of its own and two roles named for this run (roles are cluster-wide)."""
    server = make_url(TEST_DATABASE_URL)
    suffix = secrets.token_hex(4)
    name = f"{server.database}_roles"
    owner, app_role = f"{server.database}_owner_{suffix}", f"{server.database}_web_{suffix}"
    admin = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    urls = {who: server.set(database=name, username=who).render_as_string(hide_password=False)
            for who in (server.username, owner, app_role)}
    yield {"superuser": urls[server.username], "owner": urls[owner], "app": urls[app_role],
           "names": (name, owner, app_role)}
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        for role in (app_role, owner):
            connection.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
    admin.dispose()


def run_cli(url: str, *args: str):
    app = make_app(url)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["diaspora", *args])
        db.engine.dispose()
    return result


def test_the_app_role_works_but_cannot_rewrite_the_audit_log(roles_database):
    database, owner, app_role = roles_database["names"]
    setup = ["db-roles", "--owner", owner, "--app", app_role, "--apply"]
    result = run_cli(roles_database["superuser"], *setup)
    assert result.exit_code == 0, result.output
    migrator = make_app(roles_database["owner"])
    with migrator.app_context():
        upgrade()
        db.engine.dispose()
    assert run_cli(roles_database["superuser"], *setup).exit_code == 0  # after the upgrade

    app = make_app(roles_database["app"])
    with app.app_context():
        from diaspora.audit import AuditEvent
        from diaspora.auth.models import User
        from diaspora.security import hash_password

        # normal work: an account, a failed and a good sign-in, a token, reads, the audit log
        db.session.add(User(email="m@example.org", name="M", role="manager", created_at=START,
                            password_hash=hash_password(PASSWORD), timezone="UTC"))
        db.session.commit()
        client = app.test_client()
        assert client.post("/api/v1/auth/tokens", json={"email": "m@example.org",
                                                        "password": "wrong-password-1"}).status_code == 401
        created = client.post("/api/v1/auth/tokens", json={"email": "m@example.org", "password": PASSWORD})
        assert created.status_code == 201
        headers = {"Authorization": f"Bearer {created.json['token']}"}
        assert client.get("/api/v1/users/me", headers=headers).status_code == 200
        assert client.get("/api/v1/users", headers=headers).status_code == 200
        logged = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
        assert logged >= 1
        db.session.remove()

        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT current_user")) == app_role
            assert not connection.scalar(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
            connection.rollback()
            for statement in TAMPERING:
                with pytest.raises(sa.exc.DatabaseError) as refused:
                    with connection.begin():
                        connection.exec_driver_sql(statement)
                message = str(refused.value.orig).lower()
                assert "permission denied" in message or "must be owner" in message, (statement, message)
            assert connection.scalar(sa.text("SHOW session_replication_role")) == "origin"
            assert connection.scalar(sa.select(sa.func.count(AuditEvent.id))) == logged
            connection.rollback()
            with pytest.raises(sa.exc.DatabaseError, match="permission denied"), connection.begin():
                connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'x'")
        db.engine.dispose()


def test_the_statements_are_printed_for_a_database_administrator(roles_database):
    database, owner, app_role = roles_database["names"]
    result = run_cli(roles_database["superuser"], "db-roles", "--owner", owner, "--app", app_role)
    assert result.exit_code == 0, result.output
    assert f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM {app_role}" in result.output
    assert f"ALTER DATABASE {database} OWNER TO {owner}" in result.output
    engine = sa.create_engine(roles_database["superuser"])
    with engine.connect() as connection:  # printed, not run
        assert connection.scalar(sa.text("SELECT count(*) FROM pg_roles WHERE rolname = :r"),
                                 {"r": app_role}) == 0
    engine.dispose()


def test_role_names_must_be_plain_and_distinct():
    with pytest.raises(ValueError):
        role_statements("diaspora", "owner; DROP TABLE users", "web")
    with pytest.raises(ValueError):
        role_statements("diaspora", "web", "web")
    assert len(role_statements("diaspora", "diaspora_owner", "diaspora_web")) > 5


def test_the_command_refuses_sqlite():
    result = run_cli("sqlite://", "db-roles", "--owner", "o", "--app", "a")
    assert result.exit_code != 0 and "PostgreSQL" in result.output
