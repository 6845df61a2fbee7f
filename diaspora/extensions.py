"""Flask extensions, created unbound and attached to an app by ``init_app`` in the factory."""
from __future__ import annotations

from dataclasses import dataclass

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

    def window(self, select, *, per_page: int) -> Window:
        """The ``?page=`` of ``select`` without counting the rows: ``per_page + 1`` rows are
        read and the extra one only says that a next page exists. For the long lists (missions,
        needs), where a ``COUNT`` over every row would cost more than the page itself."""
        number = request.args.get("page", 1, type=int) if has_request_context() else 1
        number = max(number or 1, 1)
        check_page_number(number)
        rows = list(self.session.scalars(select.limit(per_page + 1)
                                         .offset((number - 1) * per_page)))
        return Window(rows[:per_page], number, per_page, has_next=len(rows) > per_page)


@dataclass(frozen=True)
class Window:
    """One page of a list read without a count (``RegistrySQLAlchemy.window``)."""

    items: list
    page: int
    per_page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


db = RegistrySQLAlchemy(model_class=Base)
migrate = Migrate()
login = LoginManager()
csrf = CSRFProtect()
babel = Babel()
api = RegistryApi()
compress = Compress()
