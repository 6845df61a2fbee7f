"""Flask extensions, created unbound and attached to an app by ``init_app`` in the factory."""
from __future__ import annotations

from flask import has_request_context, request
from flask_babel import Babel
from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from .apispec import RegistryApi
from .db import Base
from .limits import check_page_number


class RegistrySQLAlchemy(SQLAlchemy):
    def paginate(self, select, **kwargs):
        """Flask-SQLAlchemy's pages, refusing a ``?page=`` no page can have (422) before it
        becomes an OFFSET the database cannot take."""
        if kwargs.get("page") is None and has_request_context():
            check_page_number(request.args.get("page", 1, type=int) or 1)
        return super().paginate(select, **kwargs)


db = RegistrySQLAlchemy(model_class=Base)
migrate = Migrate()
login = LoginManager()
csrf = CSRFProtect()
babel = Babel()
api = RegistryApi()
compress = Compress()
