"""Declarative base, naming convention and column types shared by every model."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Session, registry

# A naming convention lets Alembic name (and later drop) every constraint on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator):
    """An instant: stored in UTC, always returned timezone-aware.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so values are stored as naive
    UTC and made aware again on the way out. Naive input is refused: every instant in this code
    base must say which zone it is in.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def where_given(query: sa.Select, equal: dict) -> sa.Select:
    """``query`` narrowed to ``column == value`` for each filter given (a blank or missing
    value leaves that column unfiltered): the optional filters of the list queries."""
    for column, value in equal.items():
        if value:
            query = query.where(column == value)
    return query


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """The one transaction of a service call: committed when the block ends, rolled back when
    it raises (a domain error included), so a refused change leaves nothing behind.

    Services open it at their edge and the helpers they call never commit. A service called
    from inside another's unit of work joins it: only the outermost block commits, so a change
    made of several services (consent withdrawn cancelling missions) is one transaction.
    """
    if session.info.get("unit_of_work"):
        yield session
        return
    session.info["unit_of_work"] = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop("unit_of_work", None)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )
