"""diaspora.db.unit_of_work: the one transaction of a service call."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from diaspora.db import unit_of_work
from diaspora.errors import Conflict
from diaspora.facilities.models import Facility

from .conftest import START


def add_facility(session, name: str) -> None:
    """A facility added (and flushed) but not committed."""
    session.add(Facility(external_id=f"uow:{name}", source="test", name=name, country="GH",
                         admin1="Northern", facility_type="District Hospital",
                         category="hospital", tier=3, ownership="public",
                         timezone="Africa/Accra", setting="rural", imported_at=START,
                         updated_at=START))
    session.flush()


def names(session) -> set[str]:
    return set(session.scalars(sa.select(Facility.name)))


def test_commits_when_the_block_ends(db_session):
    with unit_of_work(db_session):
        add_facility(db_session, "Kept")
    db_session.rollback()  # nothing left to undo: it was committed
    assert "Kept" in names(db_session)


def test_a_refusal_rolls_everything_back(db_session):
    with pytest.raises(Conflict), unit_of_work(db_session):
        add_facility(db_session, "Undone")
        raise Conflict("refused")
    assert "Undone" not in names(db_session)


def test_an_inner_unit_joins_the_outer_one(db_session):
    with pytest.raises(Conflict), unit_of_work(db_session):
        with unit_of_work(db_session):
            add_facility(db_session, "Inner")
        raise Conflict("the outer call refuses after the inner one finished")
    assert "Inner" not in names(db_session)
