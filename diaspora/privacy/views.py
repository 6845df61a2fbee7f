"""Pages: a person's privacy page (download, erase); admins act on requests for others."""
from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ..auth.models import User
from ..clock import now
from ..errors import DomainError, NotFound
from ..extensions import db
from ..security import login_required, roles_required, verify_password
from ..vocabulary import Role
from . import services

bp = Blueprint("privacy", __name__)


def _download(data: dict, user: User) -> Response:
    body = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="my-data-{user.id}.json"'})


@bp.get("/me/privacy")
@login_required
def page():
    return render_template("privacy/page.html", errors={})


@bp.get("/me/data.json")
@login_required
def download():
    user = current_user._get_current_object()
    return _download(services.export_person(db.session, user, actor=user, now=now()), user)


@bp.post("/me/erase")
@login_required
def erase():
    user = current_user._get_current_object()
    errors = {}
    if not verify_password(user.password_hash, request.form.get("password", "")):
        errors["password"] = [_("This is not your password.")]
    if request.form.get("confirm") != "ERASE":
        errors["confirm"] = [_("Type ERASE to confirm.")]
    if not errors:
        try:
            services.erase_person(db.session, user, actor=user, now=now())
        except DomainError as error:
            errors["confirm"] = [error.message]
        else:
            logout_user()
            flash(_("Your personal data has been erased. Thank you for your service."), "success")
            return redirect(url_for("main.index"))
    return render_template("privacy/page.html", errors=errors), 422


def _person(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


@bp.get("/admin/users/<int:user_id>/data.json")
@roles_required(Role.ADMIN)
def admin_download(user_id: int):
    user = _person(user_id)
    return _download(services.export_person(db.session, user, actor=current_user, now=now()), user)


@bp.post("/admin/users/<int:user_id>/erase")
@roles_required(Role.ADMIN)
def admin_erase(user_id: int):
    user = _person(user_id)
    try:
        services.erase_person(db.session, user, actor=current_user, now=now())
    except DomainError as error:
        if error.code != 409:
            raise
        flash(error.message, "error")
    else:
        flash(_("The person's data has been erased."), "success")
    return redirect(url_for("auth.user_edit", user_id=user.id))
