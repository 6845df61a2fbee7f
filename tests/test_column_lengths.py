"""Every text field a schema loads fits the column it is stored in.

PostgreSQL refuses a value longer than its ``VARCHAR(n)`` (SQLite stores it anyway), so a
schema allowing more than its column is a 500 on one database only. The test walks every
``BaseSchema`` in ``diaspora`` and ``missions``: a field is stored in the column of the same
name in its schema's model(s) unless ``COLUMNS`` says otherwise, and for each bounded column

- every ``Length`` validator of the field allows at most the column's length, and
- the field refuses a value one character longer than the column (whatever validator does it).

A new field of a listed schema is checked by its name; a new schema with text fields fails
until it is listed here (stored where, or a filter, or output only).
"""
from __future__ import annotations

import importlib
import pkgutil

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError, fields, validate

import diaspora
import missions
from diaspora.admin.models import SafeguardList
from diaspora.auth.models import ApiToken, User
from diaspora.documents.models import Document, Verification
from diaspora.facilities.models import Facility
from diaspora.needs.models import Need, NeedCounterpart, NeedEvent
from diaspora.partners.models import PartnerAgreement, PartnerInstitution, Partnership
from diaspora.professionals.models import (
    AvailabilityWindow,
    Licence,
    Professional,
    ProfessionalCadre,
    ProfessionalLanguage,
    ProfessionalSkill,
    ProfessionalSpecialty,
    Qualification,
)
from diaspora.programmes.models import Organisation, Programme
from diaspora.schemas import BaseSchema
from diaspora.workforce.models import HostHealthWorker
from missions.core.models import ChecklistItem, Mission, MissionEvent, MissionSession, SessionAttendance
from missions.costs.models import (
    BudgetLine,
    CostLine,
    CostLineChange,
    ExchangeRate,
    PerDiemRate,
    ResultTarget,
)
from missions.outcomes.models import FollowUp, OutcomeItem, OutcomeReport, OutcomeTrainee, ReportWaiver
from missions.placements.models import Placement, PlacementEvent, PlacementFollowUp, PlacementOffer

from .conftest import make_app

for package in (diaspora, missions):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)

# Schema (by class name, subclasses included) → the models its fields are stored in.
STORED_IN = {
    "SafeguardListSchema": (SafeguardList,),
    "SettingsSchema": (User,), "UserSchema": (User,), "UserUpdateSchema": (User,),
    "SignupSchema": (User,), "TokenCreateSchema": (ApiToken,), "TokenRequestSchema": (ApiToken,),
    "FacilityRowSchema": (Facility,), "FacilityUpdateSchema": (Facility,),
    "NeedSchema": (Need,), "CounterpartSchema": (NeedCounterpart,),
    "ProfileSchema": (Professional,), "LanguageSchema": (ProfessionalLanguage,),
    "LicenceSchema": (Licence,), "QualificationSchema": (Qualification,),
    "WindowSchema": (AvailabilityWindow,),
    "OrganisationSchema": (Organisation,), "ProgrammeSchema": (Programme,),
    "ScheduleSchema": (Mission,), "TickSchema": (ChecklistItem,),
    "AttendanceRowSchema": (SessionAttendance,),
    "OutcomeReportSchema": (OutcomeReport,), "TraineeSchema": (OutcomeTrainee,),
    "ItemSchema": (OutcomeItem,), "FollowUpAnswerSchema": (FollowUp,),
    "CostLineSchema": (CostLine,), "EstimateSchema": (CostLine,),
    "ExchangeRateSchema": (ExchangeRate,), "PerDiemRateSchema": (PerDiemRate,),
    "BudgetLineSchema": (BudgetLine,), "TargetSchema": (ResultTarget,),
    "PersonalUploadSchema": (Document,), "MissionUploadSchema": (Document,),
    "VerificationSchema": (Verification,),
}
# Fields stored under another name or in several places; () for a field not stored as text
# (a password is hashed, a code is converted, a sign-up's profile is loaded again by
# ProfileSchema, which is checked itself).
COLUMNS = {
    ("ActionSchema", "reason"): (Need.return_reason, NeedEvent.reason),
    ("NeedDecisionSchema", "reason"): (Need.return_reason, NeedEvent.reason),
    ("ReasonSchema", "reason"): (Mission.status_reason, MissionEvent.reason),
    ("SessionCancelSchema", "reason"): (MissionSession.status_reason,),
    ("WaiverSchema", "reason"): (ReportWaiver.reason,),
    ("ProfileSchema", "skills"): (ProfessionalSkill.skill,),
    ("ProfileSchema", "specialties"): (ProfessionalSpecialty.specialty,),
    ("ProfileSchema", "other_cadres"): (ProfessionalCadre.cadre,),
    ("FacilityRowSchema", "ownership"): (Facility.ownership_source,),
    ("FacilityRowSchema", "country_name"): (), ("FacilityRowSchema", "iso3"): (),
    ("FacilityRowSchema", "type9"): (),
    ("ScheduleSchema", "weekdays"): (Mission.rrule,), ("ScheduleSchema", "series_zone"): (),
    ("UserCreateSchema", "password"): (), ("SignupSchema", "password"): (),
    ("CostLineChangeSchema", "reason"): (CostLineChange.reason,),
    ("EstimateSchema", "city"): (PerDiemRate.city,),
    ("TokenRequestSchema", "email"): (), ("TokenRequestSchema", "password"): (),
    **{("SignupSchema", name): () for name in (
        "given_name", "family_name", "gender", "cadre", "country_of_origin",
        "country_of_residence", "city_of_residence")},
}
# Schemas whose text is never stored: filters and sign-in (read only), and output only.
FILTERS = {"AuditQuerySchema", "LoginSchema", "PasswordChangeSchema", "UserQuerySchema",
           "FacilityQuerySchema", "NeedQuerySchema", "ErasureSchema", "ProfessionalQuerySchema",
           "PageQuerySchema", "WorkforceQuerySchema", "FilterSchema", "PlanRequestSchema",
           "MissionQuerySchema", "ContactQuerySchema", "BudgetQuerySchema"}
OUTPUT = {"ConsentRecordSchema", "ProfessionalSchema", "AssignmentSchema", "CandidateSchema",
          "CriterionSchema", "NeedSummarySchema", "ShortlistSchema", "UnmetSchema",
          "NotificationSchema", "FollowUpSchema", "MissionOutcomesSchema", "ChecklistItemSchema",
          "ContactSchema", "EventSchema", "MissionSchema", "SessionSchema",
          "CostLineHistorySchema", "ExecutionSchema", "BudgetReportSchema", "ValueSchema"}


# Partners, host health workers and placements (issue 16).
STORED_IN.update({
    "AgreementSchema": (PartnerAgreement,), "PartnerSchema": (PartnerInstitution,),
    "PartnershipSchema": (Partnership,), "HostHealthWorkerSchema": (HostHealthWorker,),
    "PlacementOfferSchema": (PlacementOffer,), "PlacementFollowUpAnswerSchema": (PlacementFollowUp,),
})
COLUMNS.update({
    ("PlacementNominationSchema", "note"): (Placement.nomination_note,),
    ("PlacementActionSchema", "reason"): (Placement.status_reason, Placement.report,
                                          PlacementEvent.reason),
})
FILTERS |= {"WorkerQuerySchema"}
OUTPUT |= {"CounterpartWorkerSchema"}


from diaspora.facilities.requests import FacilityRequest  # noqa: E402

# imports (issue 17): a ministry's unit is stored as a facility; the upload form's country
# only chooses how the file is read.
STORED_IN["SourceUnitSchema"] = (Facility,)
COLUMNS.update({("SourceUnitSchema", "uid"): (Facility.source_uid,),
                ("SourceUnitSchema", "code"): (Facility.source_code,),
                ("SourceUnitSchema", "path"): (Facility.source_path,),
                ("SourceUnitSchema", "ownership"): (Facility.ownership_source,)})
FILTERS.add("ImportRequestSchema")
STORED_IN["FacilityRequestSchema"] = (FacilityRequest,)
COLUMNS[("DeclineSchema", "reason")] = (FacilityRequest.reason,)
# professionals from a spreadsheet (issue 17): a row's profile is loaded again by ProfileSchema
# (checked itself); the upload's country and the claim's password (hashed) are not stored as text.
STORED_IN["ImportRowSchema"] = (Professional,)
COLUMNS.update({("ImportRowSchema", "email"): (User.email,),
                **{("ImportRowSchema", name): () for name in (
                    "phone", "cadre", "specialty", "country_of_residence", "languages",
                    "gender")}})
FILTERS.update({"UploadSchema", "ClaimSchema"})
# a held duplicate's decision: one of a few action codes, stored as the hold's status
FILTERS.add("DecisionSchema")
# the plan as a job (issue 19): its answer, never stored from input
OUTPUT.add("PlanJobSchema")


def all_schemas(cls=BaseSchema):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_schemas(sub)


def text_fields(schema) -> dict[str, fields.String]:
    """The loaded text fields of a schema instance (a List's item for a list of strings)."""
    found = {}
    for name, field in schema.fields.items():
        inner = field.inner if isinstance(field, fields.List) else field
        if not field.dump_only and isinstance(inner, fields.String):
            found[name] = inner
    return found


def mapped(schema_cls: type) -> tuple | None:
    for cls in schema_cls.__mro__:
        if cls.__name__ in STORED_IN:
            return STORED_IN[cls.__name__]
    return None


def columns_of(schema_cls: type, name: str) -> tuple:
    for cls in schema_cls.__mro__:
        if (cls.__name__, name) in COLUMNS:
            return tuple(attribute.property.columns[0] for attribute in COLUMNS[cls.__name__, name])
    models = mapped(schema_cls)
    if models is None:
        return ()
    attributes = [getattr(model, name, None) for model in models]
    columns = [a.property.columns[0] for a in attributes
               if a is not None and hasattr(a.property, "columns")]
    assert columns, (f"{schema_cls.__name__}.{name}: no column of that name in "
                     f"{[m.__name__ for m in models]}; say in COLUMNS where it is stored")
    return tuple(columns)


def longer_than(field: fields.String, length: int) -> str:
    """A value of ``length + 1`` characters, otherwise well formed for the field's kind."""
    if isinstance(field, fields.Email):
        domain = "@example.org"
        return "a" * (length + 1 - len(domain)) + domain
    if isinstance(field, fields.URL):
        base = "https://example.org/"
        return base + "a" * (length + 1 - len(base))
    return "x" * (length + 1)


@pytest.fixture(scope="module")
def request_context():
    app = make_app("sqlite://")
    with app.test_request_context():
        yield


def stored_text_fields():
    for schema_cls in sorted(set(all_schemas()), key=lambda c: (c.__module__, c.__name__)):
        schema = schema_cls()
        if not text_fields(schema) or schema_cls.__name__ in FILTERS | OUTPUT:
            continue
        assert mapped(schema_cls) is not None or any(
            (cls.__name__, name) in COLUMNS for cls in schema_cls.__mro__
            for name in text_fields(schema)), \
            f"{schema_cls.__module__}.{schema_cls.__name__}: list it in STORED_IN, FILTERS or OUTPUT"
        for name, field in text_fields(schema).items():
            for column in columns_of(schema_cls, name):
                if isinstance(column.type, sa.String) and column.type.length:
                    yield schema_cls, name, field, column


def test_every_schema_with_text_says_where_it_goes(request_context):
    checked = list(stored_text_fields())
    assert len({(cls, name) for cls, name, _, _ in checked}) > 40


def test_no_length_allows_more_than_its_column(request_context):
    too_long = [f"{cls.__name__}.{name}: Length(max={v.max}) > {column}({column.type.length})"
                for cls, name, field, column in stored_text_fields()
                for v in field.validators
                if isinstance(v, validate.Length) and (v.max or v.equal or 0) > column.type.length]
    assert too_long == []


def test_every_stored_text_refuses_one_character_more_than_its_column(request_context):
    accepted = []
    for cls, name, field, column in stored_text_fields():
        value = longer_than(field, column.type.length)
        assert len(value) == column.type.length + 1
        try:
            field.deserialize(value)
        except ValidationError:
            continue
        accepted.append(f"{cls.__name__}.{name} → {column} ({column.type.length})")
    assert accepted == []
