"""The JSON API object: flask-smorest's ``Api`` with our error handling and bearer auth.

Errors are rendered by ``diaspora.errors`` for the whole app (one catalogue), so the Api does
not install its own handler. Interactive docs live at ``/api/docs`` and use the Swagger UI
files installed from PyPI (``swagger-ui-bundle``), never a CDN.
"""
from __future__ import annotations

import marshmallow as ma
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask_smorest import Api

from .limits import check_page_number


def schema_name(schema) -> str:
    """Component names: the class name without "Schema"; partial (PATCH) variants end in "Patch"."""
    name = resolve_schema_cls(schema).__name__.removesuffix("Schema")
    if isinstance(schema, ma.Schema):
        if schema.partial:
            name += "Patch"
        if schema.exclude:
            name += "Without" + "".join(part.title() for field in sorted(schema.exclude)
                                        for part in field.split("_"))
    return name


class RegistryApi(Api):
    def _register_error_handlers(self):
        """Errors are handled app-wide by ``diaspora.errors.register_error_handlers``."""

    def init_app(self, app, *, spec_kwargs=None):
        spec_kwargs = {"marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name),
                       **(spec_kwargs or {})}
        super().init_app(app, spec_kwargs=spec_kwargs)
        self.spec.components.security_scheme(
            "bearerAuth",
            {"type": "http", "scheme": "bearer",
             "description": "A personal API token: create one under Account → API tokens, "
                            "or POST /api/v1/auth/tokens with your e-mail and password."},
        )
        self.spec.options["security"] = [{"bearerAuth": []}]


def page_of(session, statement, pagination_parameters):
    """Run ``statement`` for one page, telling flask-smorest the total (X-Pagination header)."""
    import sqlalchemy as sa

    check_page_number(pagination_parameters.page)
    total = session.scalar(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery()))
    pagination_parameters.item_count = total
    return list(session.scalars(statement.limit(pagination_parameters.page_size)
                                .offset(pagination_parameters.first_item)))
