"""Shared plumbing of the benchmarks: scratch PostgreSQL databases and measurement children.

Each measurement runs in a child process (``python bench/<script>.py --child ...``), so memory
figures and caches start clean; the child prints one JSON line, the parent reads it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_child(script: str, *args) -> dict:
    """Run ``script --child *args`` and return the JSON object it printed last."""
    done = subprocess.run([sys.executable, script, "--child", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if done.returncode != 0:
        raise RuntimeError(f"{Path(script).name} --child {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def postgres_available(url: str) -> bool:
    """True when the server answers; the scratch database is created if it does not exist."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    target = make_url(url)
    try:
        admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                       {"n": target.database})
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
        admin.dispose()
        return True
    except sa.exc.OperationalError:
        return False


def reset_sequences(connection, tables: list[str]) -> None:
    """After bulk inserts with explicit ids, move PostgreSQL's id sequences past them."""
    import sqlalchemy as sa

    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        connection.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 1))"))


def bare_insert_seconds(engine, table: str, columns: list[str], values: list[tuple]) -> float:
    """The floor of a write benchmark: seconds for a bare DB-API ``executemany`` INSERT of
    ``values`` into ``table``, commit included."""
    import time

    marker = "%s" if engine.dialect.name == "postgresql" else "?"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        started = time.perf_counter()
        cursor.executemany(sql, values)
        connection.commit()
        return time.perf_counter() - started
    finally:
        connection.close()


def database_targets(folder, postgres_url: str, sqlite_name: str = "bench.sqlite3") -> list[tuple[str, str]]:
    """``[(name, url)]``: a scratch SQLite file in ``folder``, and PostgreSQL when it answers."""
    targets = [("SQLite", f"sqlite:///{Path(folder) / sqlite_name}")]
    if postgres_available(postgres_url):
        targets.append(("PostgreSQL", postgres_url))
    else:
        print(f"PostgreSQL not reachable at {postgres_url}: skipped")
    return targets


def fresh_app(url: str):
    """An app on a freshly migrated scratch database (a PostgreSQL schema is dropped first)."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from diaspora import create_app
    from diaspora.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
    return app
