"""PostgreSQL roles under which the audit log stays append-only even for the web app itself.

The migrations make ``audit_events`` refuse UPDATE and DELETE with a trigger. A trigger holds
only against someone who cannot remove it: the owner of a table may TRUNCATE it, disable or
drop its triggers, and a superuser may ``SET session_replication_role = replica`` to skip
them. So a deployment uses two roles:

- the **owner** role owns the database and its ``public`` schema and runs ``flask db upgrade``;
- the **app** role, which the web workers and the scheduler connect as, owns nothing: it may
  SELECT, INSERT, UPDATE and DELETE in the tables (the owner's default privileges extend that
  to tables that later migrations make) and use their sequences, but only SELECT and INSERT
  in ``audit_events``, and only SELECT in ``alembic_version``. Not being an owner or a
  superuser, it can neither TRUNCATE, ALTER or drop a trigger, nor change
  ``session_replication_role``.

``flask diaspora db-roles`` prints (or, with ``--apply``, runs as a superuser) the statements
below. They are idempotent: run them before the first migration and again after each upgrade,
which takes back UPDATE and DELETE on a newly made audit table.
"""
from __future__ import annotations

import re

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Tables the app role may read but never change.
APPEND_ONLY = "audit_events"
READ_ONLY = "alembic_version"


def role_statements(database: str, owner: str, app: str) -> list[str]:
    """The statements, for a superuser connected to ``database``."""
    for name in (database, owner, app):
        if not IDENTIFIER.match(name):
            raise ValueError(f"use a plain lower-case SQL name, not {name!r}")
    if owner == app:
        raise ValueError("the owner and the app role must be two roles")
    return [
        *(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
          f"THEN CREATE ROLE {role} LOGIN; END IF; END $$" for role in (owner, app)),
        f"ALTER ROLE {app} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
        f"ALTER DATABASE {database} OWNER TO {owner}",
        f"ALTER SCHEMA public OWNER TO {owner}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {database} TO {app}",
        f"GRANT USAGE ON SCHEMA public TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
        f"DO $$ BEGIN IF to_regclass('public.{APPEND_ONLY}') IS NOT NULL THEN "
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {APPEND_ONLY} FROM {app}; END IF; END $$",
        f"DO $$ BEGIN IF to_regclass('public.{READ_ONLY}') IS NOT NULL THEN "
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {READ_ONLY} FROM {app}; END IF; END $$",
    ]
