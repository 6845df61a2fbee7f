"""No N+1 queries: the number of SQL statements a page runs does not grow with its rows."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from diaspora.extensions import db

from .conftest import is_savepoint


@contextmanager
def count_queries(app):
    counted = []
    with app.app_context():
        engine = db.engine

    def before(conn, cursor, statement, parameters, context, executemany):
        if not is_savepoint(statement):
            counted.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", before)


def seed(n, make_need, make_facility, make_professional, propose, make_user):
    """n needs and n missions at n facilities, and n professionals."""
    coordinator = make_user("coordinator")
    for i in range(n):
        facility = make_facility()
        facility.coordinators.append(coordinator)
        need = make_need(facility)
        propose(need, make_professional(), starts_on=date(2026, 4, 1) + timedelta(days=(i % 5) * 15))
    db.session.commit()
    return coordinator


PAGES = ["/facilities", "/professionals", "/needs", "/missions", "/missions?status=proposed",
         "/overview", "/programmes", "/api/v1/needs", "/api/v1/missions", "/api/v1/facilities",
         "/api/v1/professionals"]


@pytest.mark.parametrize("path", PAGES)
def test_page_query_count_does_not_grow_with_rows(app, path, signed_in, api_client, make_user,
                                                  make_need, make_facility, make_professional,
                                                  propose, manager):
    browser = signed_in(manager)
    client, headers = api_client(manager)

    def queries_for_page():
        with count_queries(app) as counted:
            if path.startswith("/api/"):
                response = client.get(path, headers=headers)
            else:
                response = browser.get(path)
            assert response.status_code == 200
        return len(counted)

    seed(2, make_need, make_facility, make_professional, propose, make_user)
    queries_for_page()  # warm up: the first API call records the token's use
    small = queries_for_page()
    seed(8, make_need, make_facility, make_professional, propose, make_user)
    large = queries_for_page()
    assert large == small, f"{path}: {small} queries with 2 rows, {large} with 10"
