"""Bulk upserts for imports of many rows, straight to the driver.

``upsert`` writes a batch of rows (dicts with the same keys) into a table, inserting new keys
and updating existing ones (``INSERT ... ON CONFLICT (key) DO UPDATE``):

- SQLite: one ``executemany`` of the upsert;
- PostgreSQL: ``COPY`` into a temporary table, then one ``INSERT ... SELECT ... ON CONFLICT``
  (a ``COPY`` is several times faster than an ``executemany`` of single-row INSERTs).

Values are converted by the columns' own SQLAlchemy bind processors (e.g. ``UTCDateTime``), so
what is stored is what the ORM would store. Nothing is committed (the caller does).
``without_cycle_collection`` is the context an import runs in.
"""
from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter

import sqlalchemy as sa


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """For an import: reading and writing a list makes many objects and no reference cycles,
    and the cyclic collector would walk every row read so far, again and again. Reference
    counting still frees each object; a cycle made meanwhile waits for the next collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def upsert(session, table: sa.Table, rows: list[dict], *, key: str,
           update: Sequence[str] | Mapping[str, str], dry_run: bool = False) -> int:
    """Write ``rows``; the number of them whose ``key`` was already in ``table``.

    ``update`` names the columns a conflict refreshes from the new row, or maps a column to the
    SQL expression that sets it (``excluded.<column>`` is the new value, ``<table>.<column>``
    the stored one). With ``dry_run`` nothing is written.
    """
    if not rows:
        return 0
    return upsert_on(session.connection(), table, rows, key=key, update=update,
                     dry_run=dry_run)


def upsert_on(connection, table: sa.Table, rows: list[dict], *, key: str,
              update: Sequence[str] | Mapping[str, str], dry_run: bool = False) -> int:
    """``upsert`` on a ``Connection`` (of the session): what a writer thread is given."""
    if not rows:
        return 0
    dialect = connection.dialect
    postgres = dialect.name == "postgresql"
    keys = [row[key] for row in rows]
    if postgres:
        existing = connection.exec_driver_sql(
            f"SELECT count(*) FROM {table.name} WHERE {key} = ANY(%s)", (keys,)).scalar()
    else:
        existing = connection.exec_driver_sql(
            f"SELECT count(*) FROM {table.name} WHERE {key} IN (SELECT value FROM json_each(?))",
            (json.dumps(keys),)).scalar()
    if dry_run:
        return existing
    columns = list(rows[0])
    if not isinstance(update, Mapping):
        update = {column: f"excluded.{column}" for column in update}
    conflict = (f"ON CONFLICT ({key}) DO UPDATE SET "
                + ", ".join(f"{column} = {expression}" for column, expression in update.items()))
    values = _bound_values(table, dialect, columns, rows)
    names = ", ".join(columns)
    if postgres:
        staging = f"{table.name}_import"
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS pg_temp.{staging}")
        connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
                                   f"SELECT {names} FROM {table.name} WITH NO DATA")
        with (connection.connection.driver_connection.cursor() as cursor,
              cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy):
            for value in values:
                copy.write_row(value)
        connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) SELECT {names} "
                                   f"FROM {staging} {conflict}")
    else:
        markers = ", ".join(["?"] * len(columns))
        connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({names}) VALUES ({markers}) {conflict}", values)
    return existing


def _bound_values(table: sa.Table, dialect, columns: list[str], rows: list[dict]) -> list[tuple]:
    """Rows as tuples of driver values, through the columns' bind processors. A value that
    repeats (the import's "now", a flag) is converted once; numbers are converted each time."""
    processed = []
    for position, column in enumerate(columns):
        kind = table.c[column].type
        processor = kind.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processed.append((position, processor, None if isinstance(kind, sa.Float) else {}))
    values = []
    row_values = (itemgetter(*columns) if len(columns) > 1
                  else lambda row: (row[columns[0]],))
    for row in rows:
        value = row_values(row)
        if processed:
            value = list(value)
            for position, processor, converted in processed:
                item = value[position]
                if item is None:
                    continue
                if converted is None:
                    value[position] = processor(item)
                else:
                    if item not in converted:
                        converted[item] = processor(item)
                    value[position] = converted[item]
        values.append(tuple(value))
    return values
