"""Property-based fuzzing of the whole JSON API with schemathesis, from its own OpenAPI spec.

For every operation, generated requests (valid and invalid) must never produce a 5xx, and
every response must match the schema the spec declares for it. Runs on each database under
test, signed in as a programme manager (the widest access) against a small seeded data set.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from diaspora.auth.services import create_token
from diaspora.extensions import db

from .conftest import START


@pytest.fixture
def api_schema(app, make_user, make_professional, make_need, propose):
    professional = make_professional()
    propose(make_need(), professional)
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def manager_headers(app, manager):
    _api_token, token = create_token(db.session, manager, "fuzz", now=START)
    return {"Authorization": f"Bearer {token}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_never_fails_and_keeps_its_contract(case, manager_headers):
    response = case.call(headers=manager_headers)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance,
                                             content_type_conformance])
