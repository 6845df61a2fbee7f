"""Read a spreadsheet of professionals (CSV or XLSX), map its columns, validate each row,
de-duplicate, and create *invited* people.

``read_table`` gives the header and the rows; ``guess_mapping`` maps headers to fields from
their English, French or Portuguese names; ``import_people`` validates each row through
``ImportRowSchema`` (then the registry's ``ProfileSchema``), de-duplicates against the registry
(same e-mail: *skipped*, the person exists; same name with the same phone or birth year:
*duplicate*, for a manager to confirm, not created) and within the file, and creates the others
(with ``dry_run`` it writes nothing). Every row gets a report: its number, its status, its
messages (in the language of the request, or of the job's ``locale``).

An imported person has a user without a password and a profile without consent: they cannot
sign in, and nothing lists, matches or proposes them until they claim the account
(``invitations``) and consent themselves.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from babel import Locale
from flask import current_app
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from marshmallow import ValidationError, fields, pre_load, validate
from openpyxl import load_workbook
from sqlalchemy.exc import IntegrityError

from .. import audit, geo, library_messages, reference
from ..auth.models import User
from ..db import unit_of_work
from ..professionals.models import GENDERS, Professional
from ..professionals.schemas import ProfileSchema
from ..professionals.services import _apply_profile
from ..schemas import BaseSchema, CountryCode, Trimmed
from ..vocabulary import HoldStatus, Role
from .models import DuplicateHold, Invitation

FIELDS = {
    "name": _l("Full name"), "given_name": _l("Given name"), "family_name": _l("Family name"),
    "email": _l("E-mail"), "phone": _l("Phone"), "cadre": _l("Cadre"),
    "specialty": _l("Specialty"), "country_of_residence": _l("Country of residence"),
    "languages": _l("Languages"), "gender": _l("Gender"), "birth_year": _l("Birth year"),
}
STATUSES = {"created": _l("Created"), "skipped": _l("Skipped: already in the registry"),
            "duplicate": _l("Possible duplicate"), "invalid": _l("Invalid")}
# Header words (folded: lower case, no accents) in English, French and Portuguese.
HEADER_WORDS = {
    "name": ("name", "full name", "nom complet", "nom et prenom", "nome", "nome completo"),
    "given_name": ("given name", "first name", "prenom", "primeiro nome", "nome proprio"),
    "family_name": ("family name", "last name", "surname", "nom de famille", "nom", "apelido",
                    "sobrenome", "ultimo nome"),
    "email": ("email", "e-mail", "mail", "courriel", "adresse e-mail", "correio eletronico"),
    "phone": ("phone", "telephone", "mobile", "tel", "telefone", "telemovel", "celular",
              "portable"),
    "cadre": ("cadre", "profession", "occupation", "categorie", "categoria", "profissao"),
    "specialty": ("specialty", "speciality", "specialite", "especialidade"),
    "country_of_residence": ("country of residence", "country", "residence", "pays de residence",
                             "pays", "pais de residencia", "pais"),
    "languages": ("languages", "language", "langues", "langue", "linguas", "idiomas"),
    "gender": ("gender", "sex", "sexe", "genre", "sexo", "genero"),
    "birth_year": ("birth year", "year of birth", "annee de naissance", "ano de nascimento",
                   "ano nascimento"),
}
GENDER_WORDS = {"f": "female", "female": "female", "femme": "female", "feminin": "female",
                "feminino": "female", "mulher": "female", "woman": "female",
                "m": "male", "male": "male", "homme": "male", "masculin": "male",
                "masculino": "male", "homem": "male", "man": "male", "other": "other",
                "autre": "other", "outro": "other"}
MAX_ROWS = 20000
CHUNK = 500


class SpreadsheetError(ValueError):
    pass


def fold(text) -> str:
    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[_\-:.]+", " ", text).lower().split())


def read_table(data: bytes, filename: str) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a CSV (UTF-8, comma or semicolon) or XLSX file, as text."""
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:
            raise SpreadsheetError(_("This file is not a readable XLSX workbook.")) from error
        rows = [["" if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer()
                                       else str(v)) for v in row]
                for row in book.active.iter_rows(values_only=True)]
        book.close()
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise SpreadsheetError(_("Save the CSV file as UTF-8 text.")) from error
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise SpreadsheetError(_("The file is empty."))
    if len(rows) - 1 > MAX_ROWS:
        raise SpreadsheetError(_("At most %(count)s rows per file.", count=MAX_ROWS))
    return [cell.strip() for cell in rows[0]], rows[1:]


def guess_mapping(header: list[str]) -> dict[str, str]:
    """header → field for the headers recognised (each field once)."""
    mapping: dict[str, str] = {}
    for column in header:
        folded = fold(column)
        for name, words in HEADER_WORDS.items():
            if folded in {fold(word) for word in words} and name not in mapping.values():
                mapping[column] = name
                break
    return mapping


VOCABULARIES = {"cadre": reference.CADRES, "specialty": reference.SPECIALTIES}


@cache
def _vocabulary(kind: str) -> dict[str, str]:
    """Folded codes and labels (English, French, Portuguese) of a vocabulary → its code."""
    labels = VOCABULARIES[kind]
    names = {}
    for locale in ("pt", "fr", "en"):
        with force_locale(locale):
            names.update({fold(str(label)): code for code, label in labels.items()})
    return names | {fold(code): code for code in labels}


def _choice(value: str, kind: str) -> str:
    """A code from its code or its label in English, French or Portuguese (else as given)."""
    return _vocabulary(kind).get(fold(value), value)


@cache
def _country_names() -> dict[str, str]:
    """Folded country names in English, French and Portuguese → ISO code."""
    codes = set(reference.countries())
    names = {}
    for locale in ("pt", "fr", "en"):
        names.update({fold(name): code for code, name in Locale.parse(locale).territories.items()
                      if code in codes})
    return names


class ImportRowSchema(BaseSchema):
    """One spreadsheet row, after mapping; the profile is then checked by ``ProfileSchema``."""

    given_name = Trimmed(required=True, validate=validate.Length(min=1, max=100))
    family_name = Trimmed(required=True, validate=validate.Length(min=1, max=100))
    email = Trimmed(required=True, validate=[
        validate.Length(max=254), validate.Email(error=_l("Give a valid e-mail address."))])
    phone = Trimmed(load_default=None)
    cadre = fields.String(required=True)
    specialty = fields.String(load_default=None)
    country_of_residence = CountryCode(required=True)
    languages = fields.List(fields.String(), load_default=list)
    gender = fields.String(load_default="undisclosed", validate=validate.OneOf(GENDERS))
    birth_year = fields.Integer(load_default=None, validate=validate.Range(min=1900, max=2020))

    @pre_load
    def _from_cells(self, data, **kwargs):
        data = {k: v.strip() for k, v in data.items() if isinstance(v, str) and v.strip()}
        if "name" in data and not ({"given_name", "family_name"} & data.keys()):
            parts = data.pop("name").rsplit(" ", 1)
            data["given_name"], data["family_name"] = (parts if len(parts) == 2 else (parts[0], ""))
        data.pop("name", None)
        if "email" in data:
            data["email"] = data["email"].lower()
        if "cadre" in data:
            data["cadre"] = _choice(data["cadre"], "cadre")
        if "specialty" in data:
            data["specialty"] = _choice(data["specialty"], "specialty")
        if "gender" in data:
            data["gender"] = GENDER_WORDS.get(fold(data["gender"]), data["gender"])
        if "country_of_residence" in data:
            value = data["country_of_residence"]
            if len(value) == 3:
                value = reference.alpha2_from_alpha3(value.upper()) or value
            elif len(value) > 3:
                value = _country_names().get(fold(value), value)
            data["country_of_residence"] = value.upper()
        if "languages" in data:
            data["languages"] = [code.strip().lower()
                                 for code in re.split(r"[,;/]", data["languages"]) if code.strip()]
        return data


@dataclass
class RowReport:
    row: int
    status: str
    messages: list[str] = field(default_factory=list)
    email: str | None = None


@dataclass
class Report:
    """A spreadsheet import's rows, each with its status (a key of ``statuses``, their labels)."""

    statuses: dict = field(default_factory=lambda: STATUSES)
    rows: list[RowReport] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {"rows": len(self.rows)} | {status: 0 for status in self.statuses}
        for row in self.rows:
            counts[row.status] += 1
        return counts

    def as_result(self) -> dict:
        """The job's result: counts, and every row not created as a problem (row, status,
        message), so ``jobs.services.problems_csv`` downloads the report."""
        return {"counts": self.counts(),
                "problems": [{"line": r.row, "column": str(self.statuses[r.status]),
                              "message": "; ".join(r.messages)}
                             for r in self.rows if r.status != "created"]}


def _messages(errors: dict, mapping_back: dict[str, str]) -> list[str]:
    errors = library_messages.translate(errors)
    out = []
    for key, value in errors.items():
        column = mapping_back.get(key, str(FIELDS.get(key, key)))
        texts = value if isinstance(value, list) else [value]
        flat = []
        for text in texts:
            flat.extend(_messages(text, mapping_back) if isinstance(text, dict) else [str(text)])
        out.append(f"{column}: {' '.join(flat)}")
    return out


def _name_key(given: str, family: str) -> str:
    return fold(f"{given} {family}")


def _digits(phone: str | None) -> str | None:
    digits = re.sub(r"\D", "", phone or "")
    return digits[-9:] if len(digits) >= 6 else None


class _Registry:
    """What the registry already holds, for de-duplication: e-mails, and names with their
    phones, birth years and e-mails (the e-mail names the person a duplicate is held against)."""

    def __init__(self, session, emails: set[str]):
        self.emails: set[str] = set()
        listed = sorted(emails)
        for start in range(0, len(listed), CHUNK):
            self.emails.update(session.scalars(
                sa.select(User.email).where(User.email.in_(listed[start:start + CHUNK]))))
        self.people: dict[str, list[tuple[str | None, int | None, str]]] = {}
        query = (sa.select(Professional.given_name, Professional.family_name, Professional.phone,
                           Invitation.birth_year, User.email)
                 .join(User, User.id == Professional.user_id)
                 .outerjoin(Invitation, Invitation.user_id == Professional.user_id))
        for given, family, phone, year, email in session.execute(query):
            self.add(_name_key(given, family), phone, year, email)

    def add(self, name: str, phone: str | None, year: int | None, email: str) -> None:
        self.people.setdefault(name, []).append((_digits(phone), year, email))

    def same_person(self, name: str, phone: str | None, year: int | None) -> str | None:
        """The e-mail of the first person with this name and the same phone or birth year."""
        phone = _digits(phone)
        for p, y, email in self.people.get(name, ()):
            if (phone and phone == p) or (year and year == y):
                return email
        return None


def load_row(cells: dict[str, str], country_of_origin: str | None,
             mapping_back: dict[str, str] | None = None,
             schemas: tuple | None = None) -> tuple[dict | None, list[str]]:
    """A row's cells (field → text) checked by ``ImportRowSchema`` then ``ProfileSchema``:
    (the item with its ``profile``, []) or (None, the messages)."""
    mapping_back = mapping_back or {}
    row_schema, profile_schema = schemas or (ImportRowSchema(), ProfileSchema())
    try:
        item = row_schema.load(cells)
    except ValidationError as error:
        return None, _messages(error.messages, mapping_back)
    item["cells"] = cells
    profile = {"given_name": item["given_name"], "family_name": item["family_name"],
               "phone": item["phone"], "gender": item["gender"], "cadre": item["cadre"],
               "specialties": [item["specialty"]] if item["specialty"] else [],
               "country_of_origin": country_of_origin or item["country_of_residence"],
               "country_of_residence": item["country_of_residence"],
               "timezone": (geo.country_zones(item["country_of_residence"]) or ["UTC"])[0],
               "languages": [{"language": code} for code in item["languages"]]}
    try:
        item["profile"] = profile_schema.load(profile)
    except ValidationError as error:
        return None, _messages(error.messages, mapping_back)
    return item, []


def import_people(session, data: bytes, filename: str, *, mapping: dict[str, str], actor,
                  now: datetime, country_of_origin: str | None = None, dry_run: bool = False,
                  job_id: int | None = None,
                  progress: Callable[[int, int], None] | None = None) -> Report:
    """Validate, de-duplicate and (unless ``dry_run``) create the people of a spreadsheet."""
    header, rows = read_table(data, filename)
    unknown = set(mapping.values()) - FIELDS.keys()
    if unknown:
        raise SpreadsheetError(_("Unknown fields: %(fields)s", fields=", ".join(sorted(unknown))))
    positions = {name: header.index(column) for column, name in mapping.items() if column in header}
    mapping_back = {name: column for column, name in mapping.items()}
    if "name" in positions:
        mapping_back.setdefault("given_name", mapping_back["name"])
        mapping_back.setdefault("family_name", mapping_back["name"])
    schemas = ImportRowSchema(), ProfileSchema()
    loaded: list[tuple[int, dict | None, list[str]]] = []
    for number, row in enumerate(rows, start=2):
        cells = {name: row[index] if index < len(row) else "" for name, index in positions.items()}
        item, messages = load_row(cells, country_of_origin, mapping_back, schemas)
        loaded.append((number, item, messages))
    registry = _Registry(session, {item["email"] for _n, item, _m in loaded if item})
    report, seen_emails, to_create, held = Report(), set(), [], []
    for number, item, messages in loaded:
        if item is None:
            report.rows.append(RowReport(number, "invalid", messages))
            continue
        email, name = item["email"], _name_key(item["given_name"], item["family_name"])
        if email in registry.emails:
            report.rows.append(RowReport(number, "skipped", [
                _("An account with this e-mail already exists.")], email))
            registry.add(name, item["phone"], item["birth_year"], email)
        elif email in seen_emails:
            report.rows.append(RowReport(number, "duplicate", [
                _("The same e-mail is on an earlier row.")], email))
        elif existing := registry.same_person(name, item["phone"], item["birth_year"]):
            row_report = RowReport(number, "duplicate", [
                _("Someone with this name and the same phone or birth year is already in the "
                  "registry or the file: a manager should check.")], email)
            report.rows.append(row_report)
            held.append((row_report, item, existing))
        else:
            row_report = RowReport(number, "created", [], email)
            report.rows.append(row_report)
            to_create.append((row_report, item))
            registry.add(name, item["phone"], item["birth_year"], email)
        seen_emails.add(email)
    earlier = _earlier_holds(session, {row.email for row, _i, _e in held})
    for row_report, _item, _existing in held:
        decided = earlier.get(row_report.email)
        if decided in (HoldStatus.SKIPPED, HoldStatus.MERGED):
            row_report.status = "skipped"
            row_report.messages = [_("A manager has confirmed this is someone already in the "
                                     "registry.")]
        elif decided == HoldStatus.PENDING:
            row_report.messages.append(_("Already waiting for a manager's decision."))
    if progress:
        progress(0, len(to_create))
    if not dry_run:
        for start in range(0, len(to_create), CHUNK):
            chunk = to_create[start:start + CHUNK]
            try:
                with unit_of_work(session):
                    for _row, item in chunk:
                        _create_invited(session, item, actor=actor, now=now, job_id=job_id)
            except IntegrityError:
                # someone took one of these e-mails meanwhile (another import, a sign-up):
                # the chunk again one by one, those rows skipped
                for row_report, item in chunk:
                    try:
                        with unit_of_work(session):
                            _create_invited(session, item, actor=actor, now=now, job_id=job_id)
                    except IntegrityError:
                        row_report.status = "skipped"
                        row_report.messages = [_("An account with this e-mail already exists.")]
            if progress:
                progress(min(start + CHUNK, len(to_create)), len(to_create))
        with unit_of_work(session):
            _hold(session, [(row, item, existing) for row, item, existing in held
                            if row.email not in earlier],
                  job_id=job_id, country_of_origin=country_of_origin, now=now)
            audit.record(session, now=now, actor=actor, action="create", entity="professional_import",
                         detail=report.counts())
    return report


def _earlier_holds(session, emails: set[str]) -> dict[str, str]:
    """e-mail → the status of its latest hold, for the e-mails of this file held before."""
    listed, out = sorted(emails), {}
    for start in range(0, len(listed), CHUNK):
        for email, status in session.execute(
                sa.select(DuplicateHold.email, DuplicateHold.status)
                .where(DuplicateHold.email.in_(listed[start:start + CHUNK]))
                .order_by(DuplicateHold.id)):
            out[email] = status
    return out


def _hold(session, held: list, *, job_id: int | None, country_of_origin: str | None,
          now: datetime) -> None:
    """Keep the rows held as possible duplicates, each with the person it may be."""
    emails = sorted({existing for _r, _i, existing in held})
    ids = {}
    for start in range(0, len(emails), CHUNK):
        ids.update(session.execute(
            sa.select(User.email, Professional.id).join(Professional, Professional.user_id == User.id)
            .where(User.email.in_(emails[start:start + CHUNK]))).all())
    for row_report, item, existing in held:
        session.add(DuplicateHold(job_id=job_id, row=row_report.row, email=item["email"],
                                  cells=item["cells"], country_of_origin=country_of_origin,
                                  existing_id=ids.get(existing), status=HoldStatus.PENDING,
                                  created_at=now))


def _create_invited(session, item: dict, *, actor, now: datetime, job_id: int | None) -> User:
    profile = item["profile"]
    user = User(email=item["email"], name=f"{profile['given_name']} {profile['family_name']}"[:200],
                role=Role.PROFESSIONAL, password_hash="", created_at=now,
                timezone=profile["timezone"] or current_app.config["DEFAULT_TIMEZONE"])
    session.add(user)
    professional = Professional(user=user, created_at=now, updated_at=now, consent_given=False)
    session.add(professional)
    _apply_profile(session, professional, profile)
    session.add(Invitation(user=user, job_id=job_id, invited_by_id=getattr(actor, "id", None),
                           birth_year=item["birth_year"], created_at=now))
    return user
