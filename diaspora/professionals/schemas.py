"""Validation of a professional's profile: the one boundary for the HTML forms and the API."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from .. import reference
from ..clock import now
from ..schemas import BaseSchema, CountryCode, LanguageCode, Text, TimeZone, Trimmed, one_of
from ..vocabulary import Mode, Recognition
from .models import GENDERS, PROFICIENCY, WINDOW_KINDS

# Why a programme manager may read one person's contact outside a mission.
CONTACT_PURPOSES = ("proposal", "licence_check", "data_request")


class LanguageSchema(BaseSchema):
    language = LanguageCode(required=True)
    proficiency = fields.String(load_default="professional", validate=one_of(PROFICIENCY))


def _normalise_skill(skill: str) -> str:
    return " ".join(skill.lower().split())


class ProfileSchema(BaseSchema):
    """The profile fields a professional edits themselves."""

    given_name = Trimmed(required=True, validate=validate.Length(min=1, max=100))
    family_name = Trimmed(required=True, validate=validate.Length(min=1, max=100))
    phone = Trimmed(allow_none=True, validate=validate.Regexp(
        r"^\+?[0-9 ()\-]{6,30}$", error=_l("Use digits, spaces and an optional leading +.")))
    gender = fields.String(load_default="undisclosed", validate=one_of(GENDERS))
    cadre = fields.String(required=True, validate=one_of(reference.CADRES),
                          metadata={"description": "ISCO-08 unit group, e.g. 2212"})
    other_cadres = fields.List(fields.String(validate=one_of(reference.CADRES)),
                               load_default=list, validate=validate.Length(max=5),
                               metadata={"description": "further ISCO-08 cadres held, e.g. "
                                         "2222 for a nurse (2221) who is also a midwife"})
    specialties = fields.List(fields.String(validate=one_of(reference.SPECIALTIES)),
                              load_default=list)
    skills = fields.List(Trimmed(validate=validate.Length(min=2, max=80)), load_default=list,
                         validate=validate.Length(max=30))
    country_of_origin = CountryCode(required=True)
    country_of_residence = CountryCode(required=True)
    city_of_residence = Trimmed(allow_none=True, validate=validate.Length(max=120))
    timezone = TimeZone(required=True)
    offers_physical = fields.Boolean(load_default=True)
    offers_virtual = fields.Boolean(load_default=True)
    organisation_id = fields.Integer(allow_none=True)
    bio = Text(allow_none=True, validate=validate.Length(max=4000))
    languages = fields.List(fields.Nested(LanguageSchema), load_default=list,
                            validate=validate.Length(max=20))

    @validates_schema(skip_on_field_errors=False)
    def _at_least_one_mode(self, data, **kwargs):
        if data.get("offers_physical") is False and data.get("offers_virtual") is False:
            raise ValidationError(_l("Offer at least one mode: in person or online."),
                                  field_name="offers_virtual")

    @validates_schema(skip_on_field_errors=False)
    def _languages_once(self, data, **kwargs):
        # Runs despite field errors: an item whose language was refused has none.
        codes = [item["language"] for item in data.get("languages") or [] if "language" in item]
        if len(codes) != len(set(codes)):
            raise ValidationError(_l("List each language once."), field_name="languages")

    @post_load
    def _normalise(self, data, **kwargs):
        if "skills" in data:
            data["skills"] = sorted({_normalise_skill(s) for s in data["skills"] if s})
        if "specialties" in data:
            data["specialties"] = sorted(set(data["specialties"]))
        if "other_cadres" in data:
            data["other_cadres"] = sorted(set(data["other_cadres"]) - {data.get("cadre")})
        return data


class QualificationSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    title = Trimmed(required=True, validate=validate.Length(min=2, max=200))
    issuing_body = Trimmed(required=True, validate=validate.Length(min=2, max=200))
    country = CountryCode(required=True)
    year = fields.Integer(required=True, validate=validate.Range(min=1950, max=2100))
    recognition = fields.String(load_default=Recognition.NONE, validate=one_of(Recognition),
                                metadata={"description": "Recognition in the origin country"})


class LicenceSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    country = CountryCode(required=True)
    authority = Trimmed(required=True, validate=validate.Length(min=2, max=200))
    number = Trimmed(required=True, validate=validate.Length(min=1, max=80))
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    verified_at = fields.Method("_verified_at", dump_only=True, allow_none=True, metadata={
        "type": "string", "format": "date-time",
        "description": "When a manager verified the licence, as it stands, against a document "
                       "(issue 18); null when not verified, changed since, or ended."})

    def _verified_at(self, licence):
        if licence.verified_at is None or licence.valid_until < now().date():
            return None
        return fields.AwareDateTime()._serialize(licence.verified_at, "verified_at", licence)

    @validates_schema(skip_on_field_errors=False)  # with the field errors, in one round
    def _range(self, data, **kwargs):
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] < data["valid_from"]:
            raise ValidationError(_l("The end of validity must not be before its start."),
                                  field_name="valid_until")


class WindowSchema(BaseSchema):
    """An availability window or a blackout, in whole days (inclusive)."""

    id = fields.Integer(dump_only=True)
    kind = fields.String(load_default="available", validate=one_of(WINDOW_KINDS))
    mode = fields.String(load_default=Mode.EITHER, validate=one_of(Mode))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    hours_per_week = fields.Float(allow_none=True, validate=validate.Range(min=0.5, max=80))
    note = Trimmed(allow_none=True, validate=validate.Length(max=200))

    @validates_schema(skip_on_field_errors=False)  # with the field errors, in one round
    def _range(self, data, **kwargs):
        if data.get("starts_on") and data.get("ends_on"):
            if data["ends_on"] < data["starts_on"]:
                raise ValidationError(_l("The last day must not be before the first."),
                                      field_name="ends_on")
            if (data["ends_on"] - data["starts_on"]).days > 3 * 366:
                raise ValidationError(_l("A window can span at most three years."),
                                      field_name="ends_on")
        if data.get("kind") == "available" and data.get("mode") == Mode.VIRTUAL \
                and data.get("hours_per_week") is None:
            raise ValidationError(_l("Say how many hours a week you can give online."),
                                  field_name="hours_per_week")

    @post_load
    def _blackouts_have_no_mode(self, data, **kwargs):
        if data.get("kind") == "blackout":
            data["mode"] = Mode.EITHER
            data["hours_per_week"] = None
        return data


class ConsentSchema(BaseSchema):
    given = fields.Boolean(required=True)
    wording_version = fields.String(dump_only=True)


class ProgrammeConsentsFormSchema(BaseSchema):
    """The consent page: the active programmes ticked (every other one is withdrawn)."""

    programme_ids = fields.List(fields.Integer(), load_default=list,
                                validate=validate.Length(max=1000))


class ProgrammeConsentSchema(BaseSchema):
    programme_id = fields.Integer(dump_only=True)
    programme = fields.Function(lambda c: c.programme.name, dump_only=True)
    funder = fields.Function(lambda c: c.programme.funder, dump_only=True, allow_none=True)
    given = fields.Boolean(dump_only=True)
    wording_version = fields.String(dump_only=True)
    changed_at = fields.AwareDateTime(dump_only=True)


class ConsentRecordSchema(BaseSchema):
    programme_id = fields.Integer(allow_none=True,
                                  metadata={"description": "None: the registry consent"})
    given = fields.Boolean()
    wording_version = fields.String()
    recorded_at = fields.AwareDateTime()


class ProfessionalSchema(ProfileSchema):
    """A professional as the API shows it (to the person themself or a programme manager)."""

    id = fields.Integer(dump_only=True)
    email = fields.Function(lambda p: p.user.email, dump_only=True)
    languages = fields.List(fields.Nested(LanguageSchema))
    specialties = fields.Function(lambda p: [s.specialty for s in p.specialties], dump_only=True)
    other_cadres = fields.Function(lambda p: p.cadres[1:], dump_only=True)
    skills = fields.Function(lambda p: [s.skill for s in p.skills], dump_only=True)
    latitude = fields.Float(dump_only=True, allow_none=True)
    longitude = fields.Float(dump_only=True, allow_none=True)
    training_countries = fields.List(fields.String(), dump_only=True)
    qualifications = fields.List(fields.Nested(QualificationSchema), dump_only=True)
    licences = fields.List(fields.Nested(LicenceSchema), dump_only=True)
    windows = fields.List(fields.Nested(WindowSchema), dump_only=True)
    consent_given = fields.Boolean(dump_only=True)
    consent_version = fields.String(dump_only=True, allow_none=True)
    consent_changed_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    programme_consents = fields.List(fields.Nested(ProgrammeConsentSchema), dump_only=True,
                                     metadata={"description": "consent per programme: a need "
                                               "of a programme is matched only with those who "
                                               "consented to it"})
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class RegistryProfessionalSchema(ProfessionalSchema):
    """A professional as a programme manager sees them, alone or in a list: no e-mail or phone
    (a contact is read one person at a time, for a purpose, and audited)."""

    class Meta(ProfessionalSchema.Meta):
        exclude = ("email", "phone")


class ContactSchema(BaseSchema):
    email = fields.String()
    phone = fields.String(allow_none=True)


class ContactQuerySchema(BaseSchema):
    purpose = fields.String(required=True, validate=one_of(CONTACT_PURPOSES), metadata={
        "description": "Why: proposal (before proposing a mission), licence_check, "
                       "data_request (answering the person's own request)"})


class ProfileUpdateSchema(ProfileSchema):
    """PATCH: every field optional, no defaults filled in."""

    class Meta(BaseSchema.Meta):
        pass

    def __init__(self, *args, **kwargs):
        # Its own fields only: a language given is given whole.
        kwargs.setdefault("partial", tuple(self._declared_fields))
        super().__init__(*args, **kwargs)


class ProfessionalQuerySchema(BaseSchema):
    q = fields.String(validate=validate.Length(max=100))
    cadre = fields.String(validate=one_of(reference.CADRES))
    country_of_residence = CountryCode()
    consent_given = fields.Boolean()
