"""The schema is made only by migrations, and they agree with the models on both databases."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from diaspora.extensions import db

from .conftest import BACKENDS, TEST_DATABASE_URL, make_app


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


@pytest.fixture(params=BACKENDS)
def empty_database_url(request, tmp_path):
    """A database of its own, so downgrading does not disturb the other tests."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    admin = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    # named after the test database, so suites run at once against one server never share it
    name = f"{make_url(TEST_DATABASE_URL).database}_migrations"
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def table_names(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(empty_database_url):
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade()
        created = table_names(db.engine)
        assert {"users", "professionals", "facilities", "licences", "audit_events"} <= created
        downgrade(revision="base")
        assert table_names(db.engine) == set()
        upgrade()
        assert table_names(db.engine) == created
        db.engine.dispose()


def test_the_audit_log_is_append_only_in_the_database(app):
    from diaspora.audit import AuditEvent

    from .conftest import START

    db.session.add(AuditEvent(at=START, action="read", entity="professional", entity_id=1))
    db.session.commit()
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        db.session.execute(sa.update(AuditEvent).values(entity="tampered"))
    db.session.rollback()
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        db.session.execute(sa.delete(AuditEvent))
    db.session.rollback()
    assert db.session.scalar(sa.select(AuditEvent.entity)) == "professional"


def test_professionals_who_consent_today_consent_to_every_programme(empty_database_url):
    """0009: nothing changes for an existing deployment: registry consent → every programme."""
    app = make_app(empty_database_url)
    now = "2026-01-05 10:00:00+00:00"
    with app.app_context():
        upgrade(revision="0008")
        with db.engine.begin() as connection:
            for n in (1, 2):
                connection.execute(sa.text(
                    "INSERT INTO users (id, email, name, password_hash, role, timezone, active, "
                    "created_at, session_version) VALUES (:n, :email, 'P', 'x', 'professional', "
                    "'UTC', true, :now, 1)"), {"n": n, "email": f"p{n}@example.org", "now": now})
                connection.execute(sa.text(
                    "INSERT INTO professionals (id, user_id, given_name, family_name, gender, "
                    "cadre, country_of_origin, country_of_residence, timezone, offers_physical, "
                    "offers_virtual, consent_given, consent_version, created_at, updated_at) "
                    "VALUES (:n, :n, 'A', 'B', 'female', '2212', 'GH', 'GB', 'UTC', true, true, "
                    ":consent, '2026-01', :now, :now)"), {"n": n, "consent": n == 1, "now": now})
            for n, name in ((1, "MIDA"), (2, "Other")):
                connection.execute(sa.text(
                    "INSERT INTO programmes (id, name, origin_country, host_countries, "
                    "starts_on) VALUES (:n, :name, 'GH', '[]', '2026-01-01')"),
                    {"n": n, "name": name})
        upgrade()
        with db.engine.connect() as connection:
            consents = connection.execute(sa.text(
                "SELECT professional_id, programme_id, given, wording_version "
                "FROM programme_consents ORDER BY programme_id")).all()
            history = connection.execute(sa.text(
                "SELECT programme_id FROM consent_records WHERE professional_id = 1 "
                "ORDER BY programme_id")).scalars().all()
        assert [tuple(row) for row in consents] == [(1, 1, True, "2026-01"), (1, 2, True, "2026-01")]
        assert history == [1, 2]
        db.engine.dispose()
