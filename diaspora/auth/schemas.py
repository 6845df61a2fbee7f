"""Validation for accounts: sign-up, sign-in, settings, user management, API tokens."""
from __future__ import annotations

import re

from flask import current_app
from flask_babel import gettext as _
from marshmallow import ValidationError, fields, post_load, validate, validates, validates_schema

from ..professionals.schemas import ProfileSchema
from ..schemas import BaseSchema, TimeZone
from ..security import is_easy_to_guess
from ..vocabulary import Role


def check_password(password: str, email: str | None = None) -> None:
    """The password policy: long enough, not the e-mail, not common, breached or patterned
    (``security.is_easy_to_guess``), not the published demo password."""
    problems = []
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        problems.append(_("Use at least %(n)d characters.", n=minimum))
    if len(password) > 256:
        problems.append(_("Use at most 256 characters."))
    if email and password.lower() == email.lower():
        problems.append(_("Do not use your e-mail address as password."))
    elif is_easy_to_guess(password, *([email, *re.split(r"\W+", email)] if email else [])):
        problems.append(_("This password is too easy to guess: avoid common words, names, dates "
                          "and keyboard patterns, or use a few unrelated words."))
    if problems:
        raise ValidationError(problems)


def check_locale(value: str | None) -> None:
    if value is not None and value not in current_app.config["LANGUAGES"]:
        raise ValidationError(_("Choose one of: %(langs)s.",
                                langs=", ".join(current_app.config["LANGUAGES"])))


class Email(fields.Email):
    """An e-mail address, trimmed and lower-cased; at most 254 characters (RFC 5321)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Length(max=254))
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        return value.strip().lower()


class LoginSchema(BaseSchema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))


class TokenRequestSchema(LoginSchema):
    name = fields.String(load_default="API token", validate=validate.Length(min=1, max=100))


class TokenCreateSchema(BaseSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class TokenSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    prefix = fields.String(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    expires_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    last_used_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    revoked_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(dump_only=True, metadata={"description": "Shown once; store it now."})


class SettingsSchema(BaseSchema):
    """What every user may change about their own account."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    locale = fields.String(allow_none=True, validate=check_locale)
    timezone = TimeZone()


class PasswordChangeSchema(BaseSchema):
    current_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True)

    @validates("new_password")
    def _policy(self, value, **kwargs):
        check_password(value)


class UserSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    email = Email(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(Role.codes()))
    locale = fields.String(allow_none=True, validate=check_locale)
    timezone = TimeZone(load_default="UTC")
    active = fields.Boolean(load_default=True)
    created_at = fields.AwareDateTime(dump_only=True)
    last_login_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    facility_ids = fields.List(fields.Integer(), load_default=list,
                               metadata={"description": "Facilities a coordinator is attached to"})


class UserCreateSchema(UserSchema):
    password = fields.String(required=True, load_only=True)

    @validates_schema(skip_on_field_errors=False)  # with the field errors, in one round
    def _password_policy(self, data, **kwargs):
        if "password" in data:
            try:
                check_password(data["password"], data.get("email"))
            except ValidationError as error:
                raise ValidationError(error.messages, field_name="password") from error


class UserUpdateSchema(BaseSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    role = fields.String(validate=validate.OneOf(Role.codes()))
    locale = fields.String(allow_none=True, validate=check_locale)
    timezone = TimeZone()
    active = fields.Boolean()
    facility_ids = fields.List(fields.Integer())


class UserQuerySchema(BaseSchema):
    role = fields.String(validate=validate.OneOf(Role.codes()))
    q = fields.String(validate=validate.Length(max=100))


PROFILE_FIELDS_AT_SIGNUP = ("given_name", "family_name", "gender", "cadre", "country_of_origin",
                            "country_of_residence", "city_of_residence", "timezone",
                            "offers_physical", "offers_virtual")


class SignupSchema(BaseSchema):
    """Self-service registration: a professional (with their essentials and consent) or a
    facility coordinator (attached to facilities later by a programme manager)."""

    role = fields.String(required=True, validate=validate.OneOf((Role.PROFESSIONAL, Role.COORDINATOR)))
    email = Email(required=True)
    password = fields.String(required=True, load_only=True)
    name = fields.String(validate=validate.Length(min=1, max=200))
    locale = fields.String(allow_none=True, validate=check_locale)
    timezone = TimeZone()
    consent = fields.Boolean(load_default=False)
    given_name = fields.String()
    family_name = fields.String()
    gender = fields.String()
    cadre = fields.String()
    country_of_origin = fields.String()
    country_of_residence = fields.String()
    city_of_residence = fields.String(allow_none=True)
    offers_physical = fields.Boolean(load_default=True)
    offers_virtual = fields.Boolean(load_default=True)
    facility_requested = fields.String(validate=validate.Length(min=2, max=200),
                                       metadata={"description": "coordinators: the facility "
                                                 "they coordinate, in their own words"})

    @validates_schema(skip_on_field_errors=False)
    def _policy(self, data, **kwargs):
        errors: dict = {}
        if "password" in data:
            try:
                check_password(data["password"], data.get("email"))
            except ValidationError as error:
                errors["password"] = error.messages
        if data.get("role") == Role.PROFESSIONAL:
            try:
                self._profile(data)
            except ValidationError as error:
                errors.update(error.messages)
            if not data.get("consent"):
                errors["consent"] = [_("Registration needs your consent; you can withdraw it at any time.")]
        elif data.get("role") == Role.COORDINATOR:
            if not data.get("name"):
                errors["name"] = [_("Missing data for required field.")]
            if not (data.get("facility_requested") or "").strip():
                errors["facility_requested"] = [_("Say which facility you coordinate.")]
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _profile(data: dict) -> dict:
        return ProfileSchema().load({k: data[k] for k in PROFILE_FIELDS_AT_SIGNUP if k in data})

    @post_load
    def _split(self, data, **kwargs):
        if data["role"] == Role.PROFESSIONAL:
            data["profile"] = self._profile(data)
            data["name"] = f"{data['profile']['given_name']} {data['profile']['family_name']}"
            data.setdefault("timezone", data["profile"]["timezone"])
        return data
