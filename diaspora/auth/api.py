"""JSON API: tokens, own account, user management."""
from __future__ import annotations

from flask import request
from flask_login import current_user

from ..apispec import ApiBlueprint, page_of
from ..clock import now
from ..extensions import db
from ..idempotency import idempotent, idempotent_secret
from ..ratelimit import login_limit, rate_limited
from ..security import login_required, roles_required
from ..vocabulary import Role
from . import services
from .schemas import (
    NewTokenSchema,
    SettingsSchema,
    TokenCreateSchema,
    TokenRequestSchema,
    TokenSchema,
    UserCreateSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)

blp = ApiBlueprint("auth_api", __name__, url_prefix="/api/v1", tags={
    "Account and tokens": "Exchange your e-mail and password for an API token, manage your "
                          "tokens, read and change your own account.",
    "Users": "Programme managers and admins create accounts and change their role, status, "
             "settings or facilities.",
})


def _with_secret(api_token, token: str):
    """The token object, carrying its clear text for this one response."""
    api_token.token = token
    return api_token


@blp.post("/auth/tokens")
@rate_limited(login_limit)
@blp.arguments(TokenRequestSchema)
@blp.response(201, NewTokenSchema)
@blp.answers(401, "E-mail or password is incorrect, or the account is locked for a while after "
                  "too many failures.")
@blp.answers(429)
def create_token_with_password(data):
    """Exchange e-mail and password for a new API token (shown once)."""
    user = services.authenticate(db.session, data["email"], data["password"],
                                         address=request.remote_addr, now=now())
    return _with_secret(*services.create_token(db.session, user, data["name"], now=now()))


@blp.get("/auth/tokens")
@login_required
@blp.response(200, TokenSchema(many=True))
def list_tokens():
    """Your API tokens (never the secret)."""
    return services.list_tokens(db.session, current_user)


@blp.post("/auth/tokens/new")
@login_required
@idempotent_secret
@blp.arguments(TokenCreateSchema)
@blp.response(201, NewTokenSchema)
def create_token(data):
    """Create another token for yourself, authenticated by a current one."""
    return _with_secret(*services.create_token(db.session, current_user, data["name"], now=now()))


@blp.delete("/auth/tokens/<int:token_id>")
@login_required
@blp.response(204)
def revoke_token(token_id):
    """Revoke one of your tokens at once."""
    services.revoke_token(db.session, current_user, token_id, now=now())


@blp.get("/users/me")
@login_required
@blp.etag
@blp.response(200, UserSchema)
def get_my_account():
    """Your own account."""
    return current_user


@blp.patch("/users/me")
@login_required
@blp.arguments(SettingsSchema(partial=True))
@blp.response(200, UserSchema)
def update_my_account(data):
    """Change your name, language or time zone."""
    return services.update_settings(db.session, current_user, data)


@blp.get("/users", tags=["Users"])
@roles_required(Role.MANAGER)
@blp.etag
@blp.arguments(UserQuerySchema, location="query")
@blp.response(200, UserSchema(many=True))
@blp.paginate()
def list_users(args, pagination_parameters):
    """Users (programme managers and admins)."""
    statement = services.list_users(db.session, actor=current_user, **args)
    return page_of(db.session, statement, pagination_parameters)


@blp.post("/users", tags=["Users"])
@roles_required(Role.MANAGER)
@idempotent
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
@blp.answers(403, "Your role does not allow this (only an admin creates managers and admins).")
@blp.answers(409, "An account with this e-mail already exists.")
def create_user(data):
    """Create a coordinator (managers) or a manager/admin (admins only)."""
    return services.create_user(db.session, data, actor=current_user, now=now())


@blp.get("/users/<int:user_id>", tags=["Users"])
@roles_required(Role.MANAGER)
@blp.etag
@blp.response(200, UserSchema)
def get_user(user_id):
    """One user."""
    return services.get_user(db.session, user_id, actor=current_user)


@blp.patch("/users/<int:user_id>", tags=["Users"])
@roles_required(Role.MANAGER)
@blp.arguments(UserUpdateSchema(partial=True))
@blp.response(200, UserSchema)
@blp.answers(403, "Your role does not allow this (only an admin changes managers and admins).")
def update_user(data, user_id):
    """Change a user's role, status, settings or facilities."""
    user = services.get_user(db.session, user_id, actor=current_user)
    return services.update_user(db.session, user, data, actor=current_user, now=now())
