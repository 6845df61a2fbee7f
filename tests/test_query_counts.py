"""No N+1 queries: the number of SQL statements a page runs does not grow with its rows."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from diaspora.extensions import db

from .conftest import START, is_savepoint


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


# --- pages of one record with a list or a map (issue 19) ----------------------------------

def _counts_for(app, browser, path: str) -> int:
    with count_queries(app) as counted:
        response = browser.get(path)
        assert response.status_code == 200, path
    return len(counted)


def test_a_facility_page_with_its_missions_and_map_does_not_grow(
        app, signed_in, manager, make_facility, make_need, make_professional, propose):
    """Its missions panel (needs, sessions) and its map (the country's other facilities)."""
    facility = make_facility(latitude=9.4, longitude=-0.85)

    def grow(n):
        for i in range(n):
            make_facility(latitude=6.0 + i * 0.3, longitude=-1.5 + i * 0.1)
            virtual = make_need(facility, mode="virtual", purpose="teaching", duration_days=None,
                                sessions_per_week=1, weeks=2, session_hours=1.0)
            propose(virtual, make_professional(), kind="virtual", weekdays=["TU"],
                    starts_on=date(2026, 4, 7) + timedelta(days=7 * i), session_minutes=60, weeks=2)
            propose(make_need(facility), make_professional(),
                    starts_on=date(2026, 4, 13) + timedelta(days=7 * i))

    browser = signed_in(manager)
    grow(2)
    _counts_for(app, browser, f"/facilities/{facility.id}")
    small = _counts_for(app, browser, f"/facilities/{facility.id}")
    grow(6)
    large = _counts_for(app, browser, f"/facilities/{facility.id}")
    assert large == small, f"{small} queries with 4 missions, {large} with 16"


def test_a_need_page_listing_its_missions_does_not_grow(app, signed_in, manager, make_need,
                                                        make_professional, propose):
    need = make_need()
    browser = signed_in(manager)

    def grow(n):
        for i in range(n):
            propose(need, make_professional(), starts_on=date(2026, 4, 6) + timedelta(days=7 * i))

    grow(2)
    _counts_for(app, browser, f"/needs/{need.id}")
    small = _counts_for(app, browser, f"/needs/{need.id}")
    grow(3)
    large = _counts_for(app, browser, f"/needs/{need.id}")
    assert large == small, f"{small} queries with 2 missions, {large} with 5"


def test_the_dashboard_and_the_inbox_do_not_grow(app, signed_in, manager, make_need,
                                                 make_facility, make_professional, propose,
                                                 make_user):
    browser = signed_in(manager)
    seed(2, make_need, make_facility, make_professional, propose, make_user)
    for path in ("/dashboard", "/inbox"):
        _counts_for(app, browser, path)
    small = [_counts_for(app, browser, path) for path in ("/dashboard", "/inbox")]
    seed(8, make_need, make_facility, make_professional, propose, make_user)
    large = [_counts_for(app, browser, path) for path in ("/dashboard", "/inbox")]
    assert large == small


def test_a_mission_page_listing_its_sessions_does_not_grow(app, signed_in, manager, make_need,
                                                           make_professional, propose):
    """An online mission's page lists every session: 2 weeks or 8, the same queries."""
    def online(weeks):
        need = make_need(mode="virtual", purpose="teaching", duration_days=None,
                         sessions_per_week=1, weeks=weeks, session_hours=1.0)
        return propose(need, make_professional(), kind="virtual", weekdays=["TU"],
                       starts_on=date(2026, 4, 7), session_minutes=60, weeks=weeks)

    browser = signed_in(manager)
    short, long = online(2), online(8)
    _counts_for(app, browser, f"/missions/{short.id}")
    small = _counts_for(app, browser, f"/missions/{short.id}")
    large = _counts_for(app, browser, f"/missions/{long.id}")
    assert len(long.sessions) == 4 * len(short.sessions)
    assert large == small, f"{small} queries with 2 sessions, {large} with 8"


def test_a_shortlist_page_does_not_grow_with_its_candidates(app, signed_in, manager, make_need,
                                                            make_professional):
    need = make_need()
    browser = signed_in(manager)
    for _ in range(2):
        make_professional()
    _counts_for(app, browser, f"/needs/{need.id}/shortlist")
    small = _counts_for(app, browser, f"/needs/{need.id}/shortlist")
    for _ in range(8):
        make_professional()
    large = _counts_for(app, browser, f"/needs/{need.id}/shortlist")
    page = browser.get(f"/needs/{need.id}/shortlist").get_data(as_text=True)
    assert page.count("Mensah") >= 10  # every candidate is listed
    assert large == small, f"{small} queries with 2 candidates, {large} with 10"


def test_a_shortlist_runs_as_many_queries_for_30_candidates_as_for_3(app, make_need,
                                                                     make_facility,
                                                                     make_professional,
                                                                     propose):
    """The shortlist service: the hard filters and the ranking in SQL, then one query per
    kind of row for the pool checked (profiles, skills, missions, windows, bookings, licences,
    languages), whatever the number of candidates."""
    from missions import matching
    from tests.conftest import START

    facility = make_facility()
    need = make_need(facility=facility, mode="either", skills=["partograph"], weeks=4,
                     sessions_per_week=1, session_hours=2.0)

    def queries():
        with app.app_context(), count_queries(app) as counted:
            shortlist = matching.shortlist(db.session, need, now=START, limit=40)
        return len(counted), len(shortlist)

    def grow(n):
        for i in range(n):
            professional = make_professional(skills=["partograph"] if i % 2 else [],
                                             country_of_origin=("GH", "NG")[i % 2])
            if i % 5 == 0:
                propose(make_need(facility=facility), professional,
                        starts_on=date(2026, 5, 4) + timedelta(days=i))

    grow(3)
    small, listed_small = queries()
    grow(27)
    large, listed_large = queries()
    assert (listed_small, listed_large) == (3, 30)
    assert large == small <= 20, f"{small} queries for 3 candidates, {large} for 30"


# --- every list page of every role (issue 19) -----------------------------------------------
# Each role's list and map pages are counted with the world at one size and again after it grew
# (facilities, needs, missions, cost lines, professionals, users, partners, offers, nominations,
# staff, rates, notifications and audit entries all multiply): the counts must not move.

PROFESSIONAL_PAGES = ["/", "/missions", "/inbox", "/documents", "/me", "/calendar",
                      "/api/v1/missions", "/api/v1/notifications", "/api/v1/documents",
                      "/api/v1/professionals/me/licences", "/api/v1/professionals/me/windows"]
COORDINATOR_PAGES = ["/", "/facilities/mine", "/needs", "/missions", "/staff", "/placements",
                     "/facilities/requests", "/facilities/{facility}", "/inbox",
                     "/api/v1/needs", "/api/v1/missions", "/api/v1/host-workers",
                     "/api/v1/placements"]
MANAGER_PAGES = ["/", "/dashboard", "/dashboard/report", "/plan", "/money",
                 "/money/exchange-rates", "/money/rates", "/programmes/{programme}/budget",
                 "/programmes/{programme}/results", "/partners", "/placements",
                 "/organisations", "/programmes", "/overview", "/facilities/imports",
                 "/facilities/imports/links", "/facilities/requests", "/staff",
                 "/professionals", "/facilities", "/needs", "/missions",
                 "/missions?status=proposed", "/missions/{mission}/costs",
                 "/missions/{mission}/outcomes", "/api/v1/programmes", "/api/v1/organisations",
                 "/api/v1/partners", "/api/v1/placements", "/api/v1/placement-offers",
                 "/api/v1/host-workers", "/api/v1/rates/exchange", "/api/v1/rates/per-diem",
                 "/api/v1/placement-figures", "/api/v1/value-for-money",
                 "/api/v1/programmes/{programme}/budget", "/api/v1/missions/{mission}/costs",
                 "/api/v1/missions/{mission}/sessions", "/api/v1/missions/{mission}/outcomes",
                 "/api/v1/missions/{mission}/counterparts"]
ADMIN_PAGES = ["/users", "/admin/audit", "/admin/safeguards", "/admin/retention",
               "/api/v1/users", "/api/v1/auth/tokens"]


@pytest.fixture
def world(make_user, make_facility, make_need, make_professional, propose, manager,
          test_programme):
    """People of every role, and ``grow(n)``: n more of every kind of row their lists show."""
    from decimal import Decimal

    from missions.costs import rates, services as costs
    from missions.placements import services as placements

    from .placement_factories import make_offer, make_partner, make_worker

    programme = test_programme()
    programme.currency = "EUR"
    db.session.commit()
    coordinator, admin = make_user("coordinator"), make_user("admin")
    home = make_facility()
    home.coordinators.append(coordinator)
    professional = make_professional()
    mission = propose(make_need(home, programme_id=programme.id), make_professional())
    grown = []

    def grow(n):
        for _ in range(n):
            k = len(grown)
            grown.append(k)
            facility = make_facility(latitude=6.0 + k * 0.3, longitude=-1.5 + k * 0.1)
            facility.coordinators.append(coordinator)
            need = make_need(facility, programme_id=programme.id)
            propose(need, make_professional())
            # the professional's own missions: one fortnight each, April to June
            propose(make_need(home, programme_id=programme.id), professional,
                    starts_on=date(2026, 4, 1) + timedelta(days=15 * k))
            costs.add_line(db.session, mission, {"category": "visa", "amount": Decimal(10 + k),
                                                 "currency": "EUR"}, actor=manager, now=START)
            make_user("professional")
            partner = make_partner(manager, name=f"Partner {k}")
            offer = make_offer(manager, partner)
            worker = make_worker(coordinator, home, family_name=f"Owusu {k}")
            placements.nominate(db.session, offer, worker, actor=coordinator, now=START)
            rates.set_exchange_rate(db.session, {"base": "GHS", "quote": "EUR",
                                                 "rate_on": date(2026, 1, 1) + timedelta(days=k),
                                                 "rate": Decimal("0.06")}, actor=manager, now=START)
            rates.set_per_diem(db.session, {"country": "GH", "city": f"City {k}", "year": 2026,
                                            "daily_amount": Decimal(200), "currency": "GHS"},
                               actor=manager, now=START)
        db.session.commit()

    return {"professional": professional.user, "coordinator": coordinator,
            "manager": manager, "admin": admin, "grow": grow,
            "ids": {"facility": home.id, "programme": programme.id, "mission": mission.id}}


@pytest.mark.parametrize("role, paths", [("professional", PROFESSIONAL_PAGES),
                                         ("coordinator", COORDINATOR_PAGES),
                                         ("manager", MANAGER_PAGES), ("admin", ADMIN_PAGES)])
def test_every_list_page_of_a_role_does_not_grow(app, world, signed_in, api_client, role, paths):
    user = world[role]
    browser = signed_in(user)
    client, headers = api_client(user)
    paths = [path.format(**world["ids"]) for path in paths]

    def counts():
        found = {}
        for path in paths:
            with count_queries(app) as counted:
                response = client.get(path, headers=headers) if path.startswith("/api/") \
                    else browser.get(path, follow_redirects=True)   # / leads to the role's home
                assert response.status_code == 200, (role, path, response.status_code)
            found[path] = len(counted)
        return found

    world["grow"](2)
    counts()   # warm up: the first API call records the token's use
    small = counts()
    world["grow"](4)
    large = counts()
    grew = {path: (small[path], large[path]) for path in paths if large[path] != small[path]}
    assert not grew, f"{role}: queries (with 2 rows, with 6) of pages that grew: {grew}"


def test_a_mission_page_listing_its_engagement_visits_does_not_grow(
        app, signed_in, manager, make_facility, make_need, make_professional, propose):
    """A mission's page lists the earlier and later visits of its circular engagement."""
    facility, professional = make_facility(), make_professional()
    first = propose(make_need(facility), professional, starts_on=date(2026, 4, 1))
    browser = signed_in(manager)

    def grow(n, offset):
        for i in range(n):   # online visits: each shows when its sessions are
            need = make_need(facility, mode="virtual", purpose="teaching", duration_days=None,
                             sessions_per_week=1, weeks=2, session_hours=1.0)
            propose(need, professional, kind="virtual", weekdays=["TU"],
                    starts_on=date(2026, 4, 21) + timedelta(days=14 * (offset + i)),
                    session_minutes=60, weeks=2)

    grow(1, 0)
    _counts_for(app, browser, f"/missions/{first.id}")
    small = _counts_for(app, browser, f"/missions/{first.id}")
    grow(3, 1)
    large = _counts_for(app, browser, f"/missions/{first.id}")
    assert len(first.engagement.missions) == 5
    assert large == small, f"{small} queries with 2 visits, {large} with 5"
