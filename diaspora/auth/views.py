"""Pages: sign-in, registration, account settings, API tokens, user management."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from ..clock import now
from ..errors import DomainError
from ..extensions import db
from ..facilities.services import facility_query
from ..forms import load_form
from ..idempotency import idempotent, idempotent_secret
from ..ratelimit import login_limit, rate_limited
from ..security import login_required, roles_required
from ..vocabulary import MANAGERS, Role
from ..web import add_nav
from . import services
from .models import User
from .schemas import (
    LoginSchema,
    PasswordChangeSchema,
    SettingsSchema,
    SignupSchema,
    TokenCreateSchema,
    UserCreateSchema,
    UserQuerySchema,
    UserUpdateSchema,
)

bp = Blueprint("auth", __name__)


@bp.record_once
def _nav(state):
    add_nav(state.app, "auth.users", _l("Users"), MANAGERS, 80, "auth.user")


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after sign-in (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@rate_limited(login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    errors: dict = {}
    form = request.form
    if request.method == "POST":
        data, errors = load_form(LoginSchema())
        if data:
            try:
                user = services.authenticate(db.session, data["email"], data["password"],
                                             address=request.remote_addr, now=now())
            except DomainError as error:
                errors = {"password": [error.message]}
            else:
                session.clear()
                login_user(user, remember=bool(form.get("remember")))
                session.permanent = True
                flash(_("Welcome, %(name)s.", name=user.name), "success")
                return redirect(_safe_next(request.args.get("next")) or url_for("main.index"))
        return render_template("auth/login.html", errors=errors, form=form), 422
    return render_template("auth/login.html", errors=errors, form=form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        services.sign_out(db.session, current_user._get_current_object(), now=now())
        message = _("You are signed out on every device, and your API tokens are revoked.")
    else:
        message = _("You are signed out.")
    logout_user()
    session.clear()
    flash(message, "success")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
@rate_limited(login_limit, methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(SignupSchema())
        if data:
            try:
                user = services.sign_up(db.session, data, now=now())
            except DomainError as error:
                errors = error.errors or {"email": [error.message]}
            else:
                login_user(user)
                session.permanent = True
                flash(_("Your account is ready."), "success")
                if user.role == Role.PROFESSIONAL:
                    return redirect(url_for("professionals.me"))
                return redirect(url_for("main.index"))
        return _signup_page(errors), 422
    return _signup_page(errors)


def _signup_page(errors: dict) -> str:
    """The sign-up form: the two roles people may give themselves, the posted one chosen."""
    choices = ((Role.PROFESSIONAL, _("a diaspora health professional")),
               (Role.COORDINATOR, _("a coordinator at a host health facility")))
    chosen = request.form.get("role", Role.PROFESSIONAL)
    return render_template("auth/signup.html", errors=errors, form=request.form,
                           role_choices=[(role, label, role == chosen) for role, label in choices])


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    errors: dict = {}
    status = 200
    if request.method == "POST":
        data, errors = load_form(SettingsSchema())
        if data:
            services.update_settings(db.session, current_user, data)
            flash(_("Settings saved."), "success")
            return redirect(url_for("auth.account"))
        status = 422
    return render_template("auth/account.html", errors=errors, password_errors={},
                           form=request.form, tokens=services.list_tokens(db.session, current_user)), status


@bp.post("/account/password")
@login_required
def change_password():
    data, errors = load_form(PasswordChangeSchema())
    if data:
        try:
            user = services.change_password(db.session, current_user._get_current_object(),
                                            data["current_password"], data["new_password"],
                                            now=now())
        except DomainError as error:
            errors = error.errors or {}
        else:
            login_user(user)  # the old session was invalidated by the change
            flash(_("Password changed. Your other sessions were signed out and your API tokens "
                    "revoked."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", errors={}, password_errors=errors, form={},
                           tokens=services.list_tokens(db.session, current_user)), 422


@bp.post("/account/tokens")
@login_required
@idempotent_secret
def create_token():
    data, errors = load_form(TokenCreateSchema())
    if not data:
        flash(_("Give the token a name."), "error")
        return redirect(url_for("auth.account"))
    api_token, token = services.create_token(db.session, current_user, data["name"], now=now())
    return render_template("auth/token_created.html", api_token=api_token, token=token)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    services.revoke_token(db.session, current_user, token_id, now=now())
    flash(_("Token revoked."), "success")
    return redirect(url_for("auth.account"))


# --- user management ----------------------------------------------------------------------

@bp.get("/users")
@roles_required(Role.MANAGER)
def users():
    invalid = UserQuerySchema().validate(request.args)
    args = {k: v for k, v in request.args.items() if v and k not in invalid}
    statement = services.list_users(db.session, actor=current_user, role=args.get("role"),
                                    q=args.get("q"))
    page = db.paginate(statement, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("auth/users.html", page=page, args=request.args.to_dict(), roles=tuple(Role))


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.MANAGER)
@idempotent
def user_new():
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(UserCreateSchema(exclude=("facility_ids",)))
        if data:
            try:
                user = services.create_user(db.session, data, actor=current_user, now=now())
            except DomainError as error:
                errors = error.errors or {"role": [error.message]}
            else:
                flash(_("User %(name)s created.", name=user.name), "success")
                return redirect(url_for("auth.user_edit", user_id=user.id))
        return _user_form(errors, request.form, None), 422
    return _user_form(errors, {}, None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.MANAGER)
def user_edit(user_id: int):
    user = services.get_user(db.session, user_id, actor=current_user)
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(UserUpdateSchema(exclude=("facility_ids",)))
        if data:
            try:
                services.update_user(db.session, user, data, actor=current_user, now=now())
            except DomainError as error:
                errors = error.errors or {"role": [error.message]}
            else:
                flash(_("Saved."), "success")
                return redirect(url_for("auth.user_edit", user_id=user.id))
        status = 422
    else:
        status = 200
    return _user_form(errors, request.form, user), status


def _user_form(errors: dict, form, user: User | None) -> str:
    """The user form, with what it may show decided here rather than in the template."""
    coordinator = user is not None and user.role == Role.COORDINATOR
    return render_template(
        "auth/user_form.html", errors=errors, form=form, user=user, roles=_grantable_roles(),
        role_editable=user is None or user.role != Role.PROFESSIONAL,
        default_role=user.role if user else Role.COORDINATOR,
        may_erase=user is not None and current_user.role == Role.ADMIN,
        coordinates=coordinator,
        facilities=db.session.scalars(facility_query(coordinator=user)).all() if coordinator else [])


def _grantable_roles() -> tuple[str, ...]:
    if current_user.role == Role.ADMIN:
        return (Role.COORDINATOR, Role.MANAGER, Role.ADMIN)
    return (Role.COORDINATOR,)
