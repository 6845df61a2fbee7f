"""The JSON API's contract: its OpenAPI document, checked as written and by schemathesis.

The document: every operation has an operationId, a summary and a tag named for what people
do, and documents each error its route can answer (401/403/404/422, 409 where a state can
refuse, no catch-all "default").

schemathesis, from the app's own document, for each database under test and signed in as a
programme manager (the widest access) and as a professional (with a proposed mission): every
generated request, valid or not, one at a time (schemathesis's examples, coverage and fuzzing
phases) and in stateful sequences following the links schemathesis infers, must answer no
5xx, a documented status, and a body, content type and headers that match what the document
declares for that status.

Hostile values are generated too, by hypothesis strategies hooked into schemathesis's own
(``flatmap_*`` hooks): in about half the generated cases one field — of the path, the query
string or the JSON body, at any depth — is replaced by a NUL character, a lone surrogate (body
only: a URL cannot carry one), an integer beyond 2^31 or 2^63, or a date near year 1 or 9999
or just outside 1900–2200. schemathesis itself sends NUL characters in strings
(``allow_x00``) and, in its coverage phase, each parameter's boundary values and every
missing, wrongly typed or unexpected one.

Bounded: the coverage phase makes about 5,000 cases per role (every boundary of every
parameter of 86 operations); the suite sends a fixed share of them, ``FUZZ_COVERAGE`` (default
0.05: the same cases every run, chosen by a hash of operation and scenario). The fuzzing phase
draws ``FUZZ_EXAMPLES`` cases per operation (default 3) and the stateful phase
``2 × FUZZ_EXAMPLES`` sequences of up to 5 calls, so the fuzz part stays within about three
minutes per database on this machine. For a one-off measurement, raise both
(``FUZZ_COVERAGE=1 FUZZ_EXAMPLES=20``) and set ``FUZZ_REPORT`` to a file: each test appends a
JSON line with its database, role, number of requests by phase and of responses >= 500.
"""
from __future__ import annotations

import json
import os
import re
import zlib
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings, strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.checks import not_a_server_error
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.routing import IntegerConverter

from diaspora.auth.services import create_token
from diaspora.documents.uploads import UPLOAD_ENDPOINTS
from diaspora.extensions import db
from diaspora.security import EVERY_ROLE

from .conftest import START

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance,
          content_type_conformance, response_headers_conformance]
ROLES = ("manager", "professional")
# A failure is reported as found, not shrunk: shrinking a sequence of API calls can take longer
# than the whole suite (the failing example is printed either way).
NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]
QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much,
         HealthCheck.data_too_large]
METHODS = ("get", "put", "post", "patch", "delete")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
COVERAGE_SHARE = float(os.environ.get("FUZZ_COVERAGE", "0.05"))
REPORT = os.environ.get("FUZZ_REPORT")

# schemathesis runs requests through the WSGI app in contexts of its own; a fresh app per test
# keeps them apart from the shared app's rolled-back transaction (see conftest).
pytestmark = pytest.mark.own_app


# --- hostile values ------------------------------------------------------------------------

HUGE_INTEGERS = st.sampled_from([2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**30]) | \
    st.integers(min_value=2**31).map(lambda n: n * (1 if n % 2 else -1))
EXTREME_DATES = st.sampled_from([date(1, 1, 1), date(9999, 12, 31), date(1899, 12, 31),
                                 date(2201, 1, 1)]) | st.dates()
EXTREME_DATE_TEXTS = EXTREME_DATES.flatmap(lambda day: st.sampled_from(
    [day.isoformat(), f"{day.isoformat()}T00:00:00Z", f"{day.isoformat()}T23:59:59+14:00"]))
UNSTORABLE = st.sampled_from(["\x00", "\ud800", "\udfff"]) | st.characters(categories=["Cs"])


def text_holding(bad: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(st.text(max_size=8), bad, st.text(max_size=8)).map("".join)


def hostile(surrogates: bool) -> st.SearchStrategy:
    """A value no column can hold, or that the input boundary must refuse."""
    bad = UNSTORABLE if surrogates else st.just("\x00")
    return st.one_of(HUGE_INTEGERS, HUGE_INTEGERS.map(str), EXTREME_DATE_TEXTS,
                     text_holding(bad))


def _leaves(value, path=()):
    """The paths to every value in a JSON document: the document itself and each member."""
    yield path
    items = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from _leaves(item, (*path, key))


def _replaced(value, path, new):
    if not path:
        return new
    head, *rest = path
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    return [*value[:head], _replaced(value[head], rest, new), *value[head + 1:]]


def poisoned(value, *, surrogates: bool, whole: bool) -> st.SearchStrategy:
    """``value`` as generated, or with one member (at any depth) replaced by a hostile value;
    ``whole`` lets the replaced member be the document itself (a body, not a parameter set)."""
    paths = [path for path in _leaves(value) if path or whole]
    if not paths:
        return st.just(value)
    one = st.sampled_from(paths).flatmap(
        lambda path: hostile(surrogates).map(lambda new: _replaced(value, path, new)))
    return st.just(value) | one


def flatmap_path_parameters(context, path_parameters):
    return poisoned(path_parameters, surrogates=False, whole=False)


def flatmap_query(context, query):
    return poisoned(query, surrogates=False, whole=False)


def flatmap_body(context, body):
    return poisoned(body, surrogates=True, whole=True)


# --- the runs ------------------------------------------------------------------------------

@pytest.fixture
def people(app, manager, make_need, make_professional, propose):
    """A manager and a professional with a mission proposed to them."""
    professional = make_professional()
    propose(make_need(), professional)
    return {"manager": manager, "professional": professional.user}


@pytest.fixture
def tally(request, backend):
    """Counts the requests a test sends and the responses >= 500 it gets; written to
    ``FUZZ_REPORT`` when set."""
    counts = {"backend": backend, "test": request.node.name, "requests": 0, "server_errors": 0,
              "failures": 0, "phases": {}}
    yield counts
    if REPORT:
        with open(REPORT, "a", encoding="utf-8") as report:
            report.write(json.dumps(counts) + "\n")


@pytest.fixture
def call_as(client, people, tally):
    """``call_as(role)(case)`` sends the case as that person, with a token of its own (a case
    may revoke the one before) and in an app context of its own, as in production."""

    def caller(role: str):
        def call(case):
            _api_token, token = create_token(db.session, people[role], "fuzz", now=START)
            # identity: the WSGI transport does not decompress what flask-compress would send
            headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
            tally["requests"] += 1
            phase = str(case.meta.phase.name) if case.meta else "explicit"
            tally["phases"][phase] = tally["phases"].get(phase, 0) + 1
            return {"headers": headers, "session": client}

        return call

    return caller


def sent(case) -> bool:
    """Whether the suite sends this case: every generated one, and of the coverage phase's the
    share ``FUZZ_COVERAGE``, picked by a stable hash (the same cases every run)."""
    if case.meta is None or case.meta.phase.name != TestPhase.COVERAGE:
        return True
    key = f"{case.operation.label} {case.meta.phase.data.description}"
    return zlib.crc32(key.encode()) % 10_000 < COVERAGE_SHARE * 10_000


def send(case, call_kwargs, tally):
    """The response; an exception escaping the app (the test client raises it) counts as a
    server error."""
    try:
        return case.call(**call_kwargs(case))
    except Exception:
        tally["server_errors"] += 1
        raise


def validate(case, response, tally, **kwargs):
    tally["server_errors"] += response.status_code >= 500
    try:
        case.validate_response(response, checks=CHECKS, **kwargs)
    except Exception:
        tally["failures"] += 1
        raise


@pytest.fixture
def api_schema(app, people):
    api_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # The bearer token is a real one (call_as), never generated, mutated or left out: who may
    # call what is the role-by-route matrix's business (test_permissions).
    api_schema.config.generation.update(with_security_parameters=False, allow_x00=True,
                                        codec="utf-8")
    for hook in (flatmap_path_parameters, flatmap_query, flatmap_body):
        api_schema.hook(hook)
    return api_schema


schema = schemathesis.pytest.from_fixture("api_schema")


def one_at_a_time(examples: int) -> settings:
    """Per operation: its examples, its coverage cases and ``examples`` generated cases."""
    return settings(max_examples=examples, deadline=None, derandomize=True, phases=NO_SHRINK,
                    suppress_health_check=QUIET)


@schema.parametrize()
@one_at_a_time(EXAMPLES)
def test_api_keeps_its_contract_for_a_manager(case, call_as, tally):
    if sent(case):
        validate(case, send(case, call_as("manager"), tally), tally)


@schema.parametrize()
@one_at_a_time(max(1, EXAMPLES * 3 // 5))  # most operations refuse a professional at once
def test_api_keeps_its_contract_for_a_professional(case, call_as, tally):
    if sent(case):
        validate(case, send(case, call_as("professional"), tally), tally)


@pytest.mark.parametrize("role", ROLES)
def test_api_sequences_keep_the_contract(api_schema, call_as, tally, role):
    """The stateful phase: chains of calls (create, then read, act on, change what was made)."""
    call_kwargs = call_as(role)

    class Sequences(api_schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return call_kwargs(case)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            validate(case, response, tally, transport_kwargs=kwargs)

    try:
        Sequences.run(settings=settings(max_examples=2 * EXAMPLES, stateful_step_count=5,
                                        deadline=None, derandomize=True, phases=NO_SHRINK,
                                        suppress_health_check=QUIET))
    except FlakyStrategyDefinition:
        # Which rule a sequence may take next depends on what the API answered before (links
        # need the records made earlier in the test's database), so Hypothesis cannot always
        # replay a sequence draw for draw. Every response it got was validated all the same:
        # the tally below holds each contract failure and each answer >= 500.
        pass
    assert tally["requests"] > 0
    assert tally["failures"] == 0 and tally["server_errors"] == 0


# --- the document as written ---------------------------------------------------------------

@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def _operations(spec):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_every_operation_is_named_summarised_and_tagged_for_people(spec):
    tags = {tag["name"]: tag.get("description") for tag in spec["tags"]}
    assert all(tags.values()), "every tag has a description"
    assert not [name for name in tags if re.search(r"_api$|^[a-z_]+$", name)], "no module names"
    ids = []
    for path, method, operation in _operations(spec):
        where = f"{method.upper()} {path}"
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", operation.get("operationId", "")), where
        assert operation.get("summary", "").strip(), where
        assert operation["tags"] and set(operation["tags"]) <= tags.keys(), where
        ids.append(operation["operationId"])
    assert len(ids) == len(set(ids))
    assert {"listMissions", "acceptMission", "approveNeed", "getShortlist"} <= set(ids)


def test_every_operation_documents_the_errors_its_route_can_answer(app, spec):
    """From the route itself: who may call it, whether its path names a record, its input."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        roles = getattr(app.view_functions[rule.endpoint], "allowed_roles", None)
        for method in rule.methods & {m.upper() for m in METHODS}:
            operation = spec["paths"][path][method.lower()]
            documented = set(operation["responses"])
            where = f"{method} {path}"
            assert "default" not in documented, where
            if roles is None:  # public; it may still refuse credentials (401)
                assert operation["security"] == [], where
            else:
                assert "401" in documented, where
            assert ("403" in documented) >= (roles is not None and roles != EVERY_ROLE), where
            has_id = any(isinstance(c, IntegerConverter) for c in rule._converters.values())
            assert ("404" in documented) >= has_id, where
            takes_input = "requestBody" in operation or any(
                parameter.get("in") == "query" for parameter in operation.get("parameters", []))
            assert ("422" in documented) == takes_input, where
            assert ("400" in documented) == ("requestBody" in operation), where
            for status in documented - {"200", "201", "202", "204", "304"}:
                uploads = (413,) if rule.endpoint in UPLOAD_ENDPOINTS else ()   # a file too big
                assert int(status) in (400, 401, 403, 404, 409, 422, 429, *uploads), where
            checked += 1
    assert checked == len(list(_operations(spec)))


def test_the_error_schema_admits_what_conflicts_carry(spec):
    error = spec["components"]["schemas"]["Error"]
    assert error["additionalProperties"] is False
    assert {"code", "status", "message", "errors", "current_status", "conflicting_mission",
            "missing", "missing_reports"} <= error["properties"].keys()
    accept = spec["paths"]["/api/v1/missions/{mission_id}/accept"]["post"]["responses"]
    assert "current_status" in accept["409"]["description"]
    assert accept["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
    propose = spec["paths"]["/api/v1/needs/{need_id}/missions"]["post"]["responses"]
    assert "conflicting_mission" in propose["409"]["description"]
    assert "409" not in spec["paths"]["/api/v1/missions"]["get"]["responses"]


def test_pages_of_lists_say_they_send_x_pagination(spec):
    header = spec["components"]["headers"]["PAGINATION"]
    assert header["required"] is True
    assert header["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginationMetadata"}
    paginated = [path for path, method, operation in _operations(spec)
                 if any(p.get("name") == "page" for p in operation.get("parameters", []))]
    assert "/api/v1/missions" in paginated
    for path in paginated:
        ok = spec["paths"][path]["get"]["responses"]["200"]
        assert ok["headers"]["X-Pagination"] == {"$ref": "#/components/headers/PAGINATION"}, path


def test_an_empty_patch_is_refused_with_a_message(spec, api_client, make_professional):
    """Every PATCH body must change something: the document says so, and the API answers 422."""
    professional = make_professional()
    as_professional = api_client(professional.user)
    as_manager = api_client(role="manager")
    patches = [path for path, method, _operation in _operations(spec) if method == "patch"]
    assert len(patches) == 11
    for path in patches:
        body = spec["paths"][path]["patch"]["requestBody"]["content"]["application/json"]["schema"]
        name = body["$ref"].rpartition("/")[2]
        assert spec["components"]["schemas"][name]["minProperties"] == 1, path
        client, headers = as_professional if path.startswith("/api/v1/professionals/me") \
            else as_manager
        url = re.sub(r"\{[^}]+\}", "1", path)
        for empty in ({}, {"not_a_field": 1}):
            response = client.patch(url, headers=headers, json=empty)
            assert response.status_code == 422, (path, response.get_json())
            assert response.get_json()["errors"]["json"]["_schema"] == [
                "Give at least one field to change."], path
