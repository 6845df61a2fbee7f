"""The JSON API object: flask-smorest's ``Api`` with our error handling and bearer auth.

Errors are rendered by ``diaspora.errors`` for the whole app (one catalogue), so the Api does
not install its own handler. Interactive docs live at ``/api/docs`` and use the Swagger UI
files installed from PyPI (``swagger-ui-bundle``), never a CDN.

The OpenAPI document is the contract, errors included. Each operation gets:

- an ``operationId``: its endpoint name in lowerCamelCase (``list_missions`` → ``listMissions``),
  so renaming a view renames the operation: don't, without a changelog entry;
- the tag of its blueprint (``ApiBlueprint(tags=...)``), named for what people do;
- the errors its route declaration implies (``implied_errors``): 401 where a token is needed,
  403 where only some roles may call it, 404 where the path names a record, 400 (malformed
  JSON) where it takes a body; flask-smorest adds 422 for arguments and 304 for ETags;
- the errors only its service knows (409, a 403 for "not yours", ...), declared on the route
  with ``@blp.answers(status, description)``.

No operation has a catch-all "default" response: schemathesis checks that every status an
operation answers is one it documents.
"""
from __future__ import annotations

import http

import marshmallow as ma
from apispec import BasePlugin
from apispec.exceptions import APISpecError
from apispec.ext.marshmallow import MarshmallowPlugin, OpenAPIConverter
from apispec.ext.marshmallow.common import resolve_schema_cls, resolve_schema_instance
from flask_smorest import Api, Blueprint
from flask_smorest.pagination import PaginationMetadataSchema
from werkzeug.routing import IntegerConverter

from .security import EVERY_ROLE


class ErrorSchema(ma.Schema):
    """The problem body of every error (``diaspora.errors.problem``)."""

    code = ma.fields.Integer(required=True, metadata={"description": "The HTTP status code"})
    status = ma.fields.String(required=True, metadata={"description": "The HTTP status name"})
    message = ma.fields.String(metadata={"description": "What went wrong, in the reader's language"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata={"description": 'Messages by location and field, e.g. {"json": {"reason": '
                                 '["Give a reason."]}} (422; also some 400 and 409 answers)'})
    current_status = ma.fields.String(
        metadata={"description": "409: the record's status, which does not allow the action"})
    conflicting_mission = ma.fields.Integer(
        metadata={"description": "409: the mission that already holds the professional's time"})
    missing = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "409 on ready: the readiness items not yet ticked"})
    missing_reports = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "409 on close: the outcome reports neither filed nor waived"})
    missing_rate = ma.fields.Dict(
        metadata={"description": "422 on a cost: the exchange rate to enter (base, quote, on)"})
    missing_per_diem = ma.fields.Dict(
        metadata={"description": "422 on an estimate: the per diem rate to enter (country, "
                                 "city, year)"})
    over_budget = ma.fields.List(
        ma.fields.Dict(),
        metadata={"description": "409 on a cost: the budget lines it would take past what "
                                 "remains (category, period, remaining, amount, over_by, "
                                 "currency)"})


# What each error means wherever it is answered; routes may say more (``ApiBlueprint.answers``).
ERROR_DESCRIPTIONS = {
    400: "The request body is not valid JSON.",
    401: "No valid bearer token: missing, unknown, expired or revoked, or the account is "
         "inactive.",
    403: "Your role does not allow this.",
    404: "No such record.",
    409: "The record's state does not allow this now.",
    422: "Some input is not valid: ``errors`` gives the messages by location and field.",
    429: "Too many attempts: wait as long as ``Retry-After`` says.",
}
ERROR_HEADERS = {
    401: {"WWW-Authenticate": {"description": 'Always ``Bearer realm="api"``',
                               "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
}

from .limits import check_page_number


def schema_name(schema) -> str:
    """Component names: the class name without "Schema"; partial (PATCH) variants end in "Patch"
    (unless the class is already an update schema)."""
    name = resolve_schema_cls(schema).__name__.removesuffix("Schema")
    if isinstance(schema, ma.Schema):
        if schema.partial and not name.endswith("Update"):
            name += "Patch"
        if schema.exclude:
            name += "Without" + "".join(part.title() for field in sorted(schema.exclude)
                                        for part in field.split("_"))
    return name


class Converter(OpenAPIConverter):
    def schema2jsonschema(self, schema):
        """A partial schema is a PATCH body, which must change something (``BaseSchema``)."""
        jsonschema = super().schema2jsonschema(schema)
        if resolve_schema_instance(schema).partial:
            jsonschema["minProperties"] = 1
        return jsonschema


class RegistryMarshmallowPlugin(MarshmallowPlugin):
    Converter = Converter


def operation_id(endpoint: str) -> str:
    """``missions_api.list_missions`` → ``listMissions``."""
    first, *rest = endpoint.rpartition(".")[2].split("_")
    return first + "".join(word.title() for word in rest)


def implied_errors(rule, roles: frozenset[str] | None, operation: dict) -> list[int]:
    """The errors a route's declaration alone says it can answer."""
    statuses = []
    if roles is not None:
        statuses.append(401)  # a token is needed
        if roles != EVERY_ROLE:
            statuses.append(403)  # and not every role may call it
    if any(isinstance(converter, IntegerConverter) for converter in rule._converters.values()):
        statuses.append(404)  # the path names a record
    if "requestBody" in operation:
        statuses.append(400)  # a body that is not JSON
    return statuses


class RouteContract(BasePlugin):
    """Completes each operation from its route: operationId, security, the implied errors.

    The roles come from ``security.roles_required`` / ``login_required`` (``allowed_roles`` on
    the view); an operation without them is public.
    """

    def __init__(self, app):
        self.app = app
        self.operation_ids: set[str] = set()

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs["rule"]
        roles = getattr(self.app.view_functions[rule.endpoint], "allowed_roles", None)
        for operation in operations.values():
            self._name(operation, rule.endpoint)
            if roles is None:
                operation.setdefault("security", [])
            responses = operation.setdefault("responses", {})
            for status in implied_errors(rule, roles, operation):
                if status not in responses and str(status) not in responses:
                    responses[status] = http.HTTPStatus(status).name

    def _name(self, operation: dict, endpoint: str) -> None:
        operation.setdefault("operationId", operation_id(endpoint))
        if operation["operationId"] in self.operation_ids:
            raise APISpecError(f"Two operations are called {operation['operationId']}.")
        self.operation_ids.add(operation["operationId"])


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint whose operations are tagged for what people do with them.

    ``tags`` maps tag names to descriptions; a route gets the first unless it names another
    (``@blp.get("/users", tags=["Users"])``).
    """

    def __init__(self, name: str, import_name: str, *, tags: dict[str, str], **kwargs):
        super().__init__(name, import_name, **kwargs)
        self.tags = tags

    def route(self, rule, *, parameters=None, tags=None, **options):
        tags = tags or [next(iter(self.tags))]
        unknown = set(tags) - set(self.tags)
        if unknown:
            raise ValueError(f"{rule}: tags {sorted(unknown)} are not among {self.name}'s")
        return super().route(rule, parameters=parameters, tags=tags, **options)

    def answers(self, status: int, description: str | None = None):
        """Document an error the route's service answers (one its declaration does not imply);
        ``description`` says what it means here (default: ``ERROR_DESCRIPTIONS``)."""
        if description is None:
            return self.alt_response(status, response=http.HTTPStatus(status).name)
        return self.alt_response(status, schema=ErrorSchema, description=description,
                                 headers=ERROR_HEADERS.get(status))


class RegistryApi(Api):
    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # every answer is documented by its status

    def _register_error_handlers(self):
        """Errors are handled app-wide by ``diaspora.errors.register_error_handlers``."""

    def init_app(self, app, *, spec_kwargs=None):
        spec_kwargs = {"marshmallow_plugin": RegistryMarshmallowPlugin(schema_name_resolver=schema_name),
                       "extra_plugins": [RouteContract(app)],
                       **(spec_kwargs or {})}
        super().init_app(app, spec_kwargs=spec_kwargs)
        self.spec.components.security_scheme(
            "bearerAuth",
            {"type": "http", "scheme": "bearer",
             "description": "A personal API token: create one under Account → API tokens, "
                            "or POST /api/v1/auth/tokens with your e-mail and password."},
        )
        self.spec.options["security"] = [{"bearerAuth": []}]

    def register_blueprint(self, blp: ApiBlueprint, **options):
        """Register as flask-smorest does, with the blueprint's own tags instead of its name."""
        super().register_blueprint(blp, **options)
        tags = self.spec._tags  # apispec offers no way to replace the tag flask-smorest added
        tags[:] = [tag for tag in tags if tag["name"] != options.get("name", blp.name)]
        known = {tag["name"] for tag in tags}
        tags.extend({"name": name, "description": description}
                    for name, description in blp.tags.items() if name not in known)

    def _register_responses(self):
        """flask-smorest's response per status, with what our errors mean and carry."""
        super()._register_responses()
        for status, description in ERROR_DESCRIPTIONS.items():
            response = {"description": description,
                        "content": {"application/json": {"schema": self.ERROR_SCHEMA}}}
            if status in ERROR_HEADERS:
                response["headers"] = ERROR_HEADERS[status]
            self.spec.components.response(http.HTTPStatus(status).name, response, lazy=True)

    def _register_pagination_header(self):
        """X-Pagination comes with every page of a list: JSON, so described by ``content``."""
        self.spec.components.header("PAGINATION", {
            "description": "The list's pagination as JSON: total, total_pages, first_page, "
                           "last_page, page, previous_page, next_page.",
            "required": True,
            "content": {"application/json": {"schema": PaginationMetadataSchema}},
        }, lazy=True)


def page_of(session, statement, pagination_parameters):
    """Run ``statement`` for one page, telling flask-smorest the total (X-Pagination header)."""
    import sqlalchemy as sa

    check_page_number(pagination_parameters.page)
    total = session.scalar(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery()))
    pagination_parameters.item_count = total
    return list(session.scalars(statement.limit(pagination_parameters.page_size)
                                .offset(pagination_parameters.first_item)))
