"""schemathesis over the money operations only (tests/test_api_fuzz.py covers the whole API):
as a manager whose programme has a reporting currency and a proposed mission, every generated
request answers no 5xx, a documented status and a body that matches the document."""
from __future__ import annotations

import pytest
import schemathesis

from diaspora.extensions import db

from .test_api_fuzz import CHECKS, call_as, one_at_a_time, people, tally  # noqa: F401 - fixtures

pytestmark = pytest.mark.own_app


@pytest.fixture
def money_schema(app, people, test_programme):  # noqa: F811
    test_programme().currency = "EUR"
    db.session.commit()
    api_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    api_schema.config.generation.update(with_security_parameters=False, allow_x00=False,
                                        codec="utf-8")
    api_schema.config.phases.coverage.enabled = False
    return api_schema.include(path_regex=r"/costs|/rates/|/budget|/value-for-money")


money = schemathesis.pytest.from_fixture("money_schema")


@money.parametrize()
@one_at_a_time(3)
def test_money_api_keeps_its_contract_for_a_manager(case, call_as):  # noqa: F811
    case.validate_response(case.call(**call_as("manager")(case)), checks=CHECKS)
