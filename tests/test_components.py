"""Components (config ``COMPONENTS``): the registry alone, or with missions, in the same process.

Hooks live on each app, so an app built without the missions package neither serves its pages
nor runs its hooks, even next to an app that has them.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app

from diaspora.auth.models import User
from diaspora.demo import load_demo_data
from diaspora.documents import services as documents
from diaspora.errors import Conflict
from diaspora.extensions import db
from diaspora.hooks import RegistryHooks, registry_hooks
from diaspora.privacy.services import erase_person, export_person
from diaspora.professionals.models import Professional
from diaspora.professionals.services import set_consent
from missions.core import lifecycle
from missions.core.hooks import mission_hooks
from missions.core.models import Mission
from missions.notifications import notices

from .conftest import START, Browser, make_app

FIXTURE = Path(__file__).parent / "data" / "who-format-fixture.csv"

# Two apps on one committed database: the registry alone, and the app with missions.
pytestmark = pytest.mark.own_app


@pytest.fixture
def registry_only(app, database_url):
    """The registry without any component, on the same database as ``app`` (which has missions)."""
    registry = make_app(database_url, COMPONENTS=())
    yield registry
    with registry.app_context():
        db.engine.dispose()


def test_the_registry_alone_has_no_missions_pages_api_or_hooks(app, registry_only):
    assert {"missions", "matching", "missions_api"} <= set(app.blueprints)
    assert not {"missions", "matching", "sessions", "missions_api"} & set(registry_only.blueprints)
    assert not [rule.rule for rule in registry_only.url_map.iter_rules()
                if rule.rule.startswith(("/missions", "/api/v1/missions"))]
    # the registry's own documents are exported and erased through the same hooks
    assert registry_hooks(registry_only) == RegistryHooks(
        erasure_steps=[documents.erase_documents], export_sections=[documents.documents_of])
    assert "missions.hooks" not in registry_only.extensions
    assert registry_hooks(app).erasure_steps[0] is lifecycle.refuse_erasure_during_missions
    assert mission_hooks(app).after_transition[0] is notices.on_transition
    with registry_only.test_client() as client:
        paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "/api/v1/needs" in paths and not [p for p in paths if p.startswith("/api/v1/missions")]


def test_registry_pages_link_to_matching_only_when_it_is_there(app, registry_only, make_need,
                                                               manager):
    need = make_need()
    pages = {}
    for name, which in (("registry", registry_only), ("full", app)):
        browser = Browser(which.test_client())
        browser.login(manager)
        response = browser.get(f"/needs/{need.id}")
        assert response.status_code == 200
        pages[name] = response.get_data(as_text=True)
    assert f"/needs/{need.id}/shortlist" in pages["full"]
    assert "/shortlist" not in pages["registry"] and need.title in pages["registry"]


def _confirmed(propose, need, professional, manager) -> Mission:
    mission = propose(need, professional)
    lifecycle.transition(db.session, mission, "accept", actor=professional.user, now=START)
    return lifecycle.transition(db.session, mission, "confirm", actor=manager, now=START)


def _withdraw_export_erase(withdrawing_id: int, busy_user_id: int) -> tuple[dict, bool]:
    """In the current app: one person withdraws consent, another exports then asks for erasure.
    Returns the export and whether the erasure went through."""
    withdrawing = db.session.get(Professional, withdrawing_id)
    set_consent(db.session, withdrawing, False, actor=withdrawing.user, now=START)
    busy = db.session.get(User, busy_user_id)
    with current_app.test_request_context():  # the export links to pages, as in a request
        exported = export_person(db.session, busy, actor=busy, now=START)
    try:
        erase_person(db.session, busy, actor=busy, now=START)
    except Conflict:
        db.session.rollback()
        return exported, False
    return exported, True


def test_only_the_app_with_missions_runs_its_hooks(app, registry_only, make_facility, make_need,
                                                   make_professional, make_user, propose, manager):
    facility = make_facility()
    need = make_need(facility)
    pending = {name: propose(need, make_professional()) for name in ("registry", "full")}
    busy = {name: _confirmed(propose, need, make_professional(), manager) for name in ("registry", "full")}
    ids = {name: (pending[name].professional_id, busy[name].professional.user_id, busy[name].id,
                  busy[name].professional_id)
           for name in pending}
    db.session.commit()

    with registry_only.app_context():
        alone = _withdraw_export_erase(*ids["registry"][:2])
    with_missions = _withdraw_export_erase(*ids["full"][:2])

    db.session.expire_all()
    status = {name: db.session.get(Mission, pending[name].id).status for name in pending}
    assert status == {"registry": "proposed", "full": "cancelled"}      # consent withdrawn
    assert "missions" not in alone[0] and [m["id"] for m in with_missions[0]["missions"]] == [ids["full"][2]]
    assert (alone[1], with_missions[1]) == (True, False)    # erasure refused during a mission


def test_the_registry_alone_loads_demo_data_without_missions(registry_only):
    with registry_only.app_context():
        lines = load_demo_data(db.session, now=START, facilities_path=FIXTURE, professionals=3)
        assert db.session.scalar(sa.select(sa.func.count(Mission.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(Professional.id))) == 3
    assert len(lines) == 2 and "3 professionals" in lines[1]
