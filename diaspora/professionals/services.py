"""Domain operations on professionals. Each takes the session, the acting user and ``now``,
checks permission, validates the final state, and commits (or changes nothing)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from .. import audit, geo
from ..auth.models import User
from ..db import unit_of_work, where_given
from ..errors import Forbidden, Invalid, NotFound
from ..hooks import registry_hooks
from ..programmes.models import Organisation, Programme
from .models import (
    AvailabilityWindow,
    ConsentRecord,
    Licence,
    Professional,
    ProfessionalCadre,
    ProfessionalLanguage,
    ProfessionalSkill,
    ProfessionalSpecialty,
    ProgrammeConsent,
    Qualification,
)
from .schemas import CONTACT_PURPOSES

CHILD_MODELS = {
    "qualifications": Qualification,
    "licences": Licence,
    "windows": AvailabilityWindow,
}


# --- access -------------------------------------------------------------------------------

def is_self(actor: User, professional: Professional) -> bool:
    return actor.id == professional.user_id


def can_view(session, actor: User, professional: Professional) -> bool:
    """The whole profile: the person and programme managers. A host facility sees only what a
    mission shows (name, cadre, languages) and reads the contact through the mission."""
    return is_self(actor, professional) or actor.is_manager


def get_professional(session, professional_id: int, *, actor: User, now: datetime) -> Professional:
    """A profile the actor may see. Reads by anyone but the person themself are audited."""
    professional = session.get(Professional, professional_id)
    if professional is None:
        raise NotFound(_("No such professional."))
    if not can_view(session, actor, professional):
        with unit_of_work(session):
            audit.record(session, now=now, actor=actor, action="denied", entity="professional",
                         entity_id=professional.id)
        raise Forbidden(_("You cannot see this profile."))
    if not is_self(actor, professional):
        with unit_of_work(session):
            audit.record(session, now=now, actor=actor, action="read", entity="professional",
                         entity_id=professional.id)
    return professional


def read_contact(session, professional: Professional, *, actor: User, now: datetime,
                 purpose: str, mission_id: int | None = None) -> dict:
    """One person's e-mail and phone, read for one purpose. Every read is audited (who, whose,
    which mission, why); callers check that the actor may read it for that purpose."""
    detail = {"purpose": purpose} | ({"mission": mission_id} if mission_id else {})
    with unit_of_work(session):
        audit.record(session, now=now, actor=actor, action="read", entity="contact",
                     entity_id=professional.id, detail=detail)
    return {"email": professional.user.email, "phone": professional.phone}


def manager_reads_contact(session, professional_id: int, purpose: str | None, *, actor: User,
                          now: datetime) -> dict:
    """A programme manager reads one professional's contact for a stated purpose."""
    if not actor.is_manager:
        raise Forbidden(_("Only programme managers read contacts outside a mission."))
    if purpose not in CONTACT_PURPOSES:
        raise Invalid(errors={"purpose": [_("Say why you need this contact.")]})
    professional = session.get(Professional, professional_id)
    if professional is None:
        raise NotFound(_("No such professional."))
    return read_contact(session, professional, actor=actor, now=now, purpose=purpose)


def own_profile(session, actor: User) -> Professional:
    professional = session.scalar(sa.select(Professional).where(Professional.user_id == actor.id))
    if professional is None:
        raise NotFound(_("You have no professional profile."))
    return professional


def require_self(actor: User, professional: Professional) -> None:
    if not is_self(actor, professional):
        raise Forbidden(_("Only the professional can change their own profile."))


def profile_loading() -> tuple:
    """Loader options for whole profiles (as the API shows them) in a fixed number of queries."""
    return (joinedload(Professional.user),
            *(selectinload(getattr(Professional, part))
              for part in ("specialties", "skills", "languages", "qualifications", "licences",
                           "windows", "other_cadres")),
            selectinload(Professional.programme_consents).joinedload(ProgrammeConsent.programme))


def list_professionals(session, *, actor: User, now: datetime, q: str | None = None,
                       cadre: str | None = None, country_of_residence: str | None = None,
                       consent_given: bool | None = None) -> sa.Select:
    """Programme managers only: the registry is never a recruitment channel (WHO Code)."""
    if not actor.is_manager:
        with unit_of_work(session):
            audit.record(session, now=now, actor=actor, action="denied",
                         entity="professional_list")
        raise Forbidden(_("Only programme managers can list professionals."))
    # The log keeps that a name was searched, never the name: it is append-only, and an
    # erased person's name must not outlive them there.
    filters = {"name_search": True if q else None, "cadre": cadre,
               "country_of_residence": country_of_residence, "consent_given": consent_given}
    with unit_of_work(session):
        audit.record(session, now=now, actor=actor, action="read", entity="professional_list",
                     detail={k: v for k, v in filters.items() if v is not None})
    query = sa.select(Professional).order_by(Professional.family_name, Professional.given_name)
    if q:
        pattern = f"%{q.strip().lower()}%"
        query = query.where(sa.or_(sa.func.lower(Professional.family_name).like(pattern),
                                   sa.func.lower(Professional.given_name).like(pattern)))
    query = where_given(query, {Professional.cadre: cadre,
                                Professional.country_of_residence: country_of_residence})
    if consent_given is not None:
        query = query.where(Professional.consent_given == consent_given)
    return query


def refuse_contact_export(session, *, actor: User, now: datetime):
    """Contact data is never exported in bulk: the request is refused and recorded."""
    with unit_of_work(session):
        audit.record(session, now=now, actor=actor, action="denied", entity="professional_list",
                     detail={"export": "contacts"})
    raise Forbidden(_("Contact data is never exported in bulk (WHO Global Code of Practice)."))


# --- profile ------------------------------------------------------------------------------

def create_professional(session, user: User, data: dict, *, now: datetime,
                        consent_version: str) -> Professional:
    """Create the profile of a new professional user (not committed: sign-up owns the
    transaction). Consent is recorded as given with the wording version shown."""
    professional = Professional(user=user, created_at=now, updated_at=now,
                                consent_given=False)
    session.add(professional)
    _apply_profile(session, professional, data)
    _record_consent(session, professional, True, actor=user, now=now, version=consent_version)
    return professional


def update_profile(session, professional: Professional, data: dict, *, actor: User,
                   now: datetime) -> Professional:
    require_self(actor, professional)
    with unit_of_work(session):
        _apply_profile(session, professional, data)
        if not (professional.offers_physical or professional.offers_virtual):
            raise Invalid(_("Offer at least one mode."), errors={
                "offers_virtual": [_("Offer at least one mode: in person or online.")]})
        professional.updated_at = now
        audit.record(session, now=now, actor=actor, action="update", entity="professional",
                     entity_id=professional.id, detail={"fields": sorted(data)})
    return professional


def _apply_profile(session, professional: Professional, data: dict) -> None:
    simple = ("given_name", "family_name", "phone", "gender", "cadre", "country_of_origin",
              "country_of_residence", "city_of_residence", "timezone", "offers_physical",
              "offers_virtual", "bio")
    for field in simple:
        if field in data:
            setattr(professional, field, data[field])
    if "organisation_id" in data:
        organisation_id = data["organisation_id"]
        if organisation_id is not None and session.get(Organisation, organisation_id) is None:
            raise Invalid(_("No such organisation."),
                          errors={"organisation_id": [_("No such organisation.")]})
        professional.organisation_id = organisation_id
    if "specialties" in data:
        professional.specialties = [ProfessionalSpecialty(specialty=s) for s in data["specialties"]]
    if "other_cadres" in data or "cadre" in data:
        wanted = data.get("other_cadres", [row.cadre for row in professional.other_cadres])
        kept = {row.cadre: row for row in professional.other_cadres}
        professional.other_cadres = [kept.get(code) or ProfessionalCadre(cadre=code)
                                     for code in sorted(set(wanted) - {professional.cadre})]
    if "skills" in data:
        professional.skills = [ProfessionalSkill(skill=s) for s in data["skills"]]
    if "languages" in data:
        professional.languages = [ProfessionalLanguage(**item) for item in data["languages"]]
    if {"city_of_residence", "country_of_residence"} & data.keys():
        _locate(professional)


def _locate(professional: Professional) -> None:
    place = None
    if professional.city_of_residence:
        place = geo.geocode(professional.country_of_residence, professional.city_of_residence,
                            user_agent=current_app.config.get("NOMINATIM_USER_AGENT"))
    professional.latitude = place.latitude if place else None
    professional.longitude = place.longitude if place else None


# --- consent ------------------------------------------------------------------------------

def set_consent(session, professional: Professional, given: bool, *, actor: User,
                now: datetime) -> Professional:
    """Give or withdraw the registry consent. Withdrawal takes the person out of matching at
    once (for every programme); components' ``consent_withdrawn`` hooks run too (the missions
    package cancels pending proposals)."""
    require_self(actor, professional)
    version = current_app.config["CONSENT_VERSION"]
    with unit_of_work(session):
        _record_consent(session, professional, given, actor=actor, now=now, version=version)
        if not given:
            for hook in registry_hooks().consent_withdrawn:
                hook(session, professional, actor=actor, now=now)
    return professional


def _record_consent(session, professional: Professional, given: bool, *, actor: User,
                    now: datetime, version: str) -> None:
    professional.consent_given = given
    professional.consent_version = version
    professional.consent_changed_at = now
    professional.consent_history.append(ConsentRecord(
        given=given, wording_version=version, recorded_at=now, recorded_by_id=actor.id))


def active_programmes(session, *, now: datetime) -> list[Programme]:
    """The programmes a professional can consent to today: begun, and not ended."""
    today = now.date()
    return list(session.scalars(
        sa.select(Programme).where(Programme.starts_on <= today,
                                   sa.or_(Programme.ends_on.is_(None), Programme.ends_on >= today))
        .order_by(Programme.name)))


def set_programme_consent(session, professional: Professional, programme_id: int, given: bool,
                          *, actor: User, now: datetime) -> Professional:
    """Give or withdraw consent to be matched for one programme's needs (next to the registry
    consent, which every match needs too). Withdrawal runs the ``consent_withdrawn`` hooks for
    that programme only (the missions package cancels its pending proposals)."""
    require_self(actor, professional)
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise NotFound(_("No such programme."))
    if given and programme not in active_programmes(session, now=now):
        raise Invalid(errors={"programme_id": [_("This programme is not running.")]})
    with unit_of_work(session):
        record_programme_consent(session, professional, programme.id, given, actor=actor,
                                 now=now)
    return professional


def set_programme_consents(session, professional: Professional, programme_ids: set[int], *,
                           actor: User, now: datetime) -> Professional:
    """The consent page: consent to exactly ``programme_ids`` among the active programmes."""
    require_self(actor, professional)
    current = {c.programme_id for c in professional.programme_consents if c.given}
    with unit_of_work(session):
        for programme in active_programmes(session, now=now):
            given = programme.id in programme_ids
            if given != (programme.id in current):
                record_programme_consent(session, professional, programme.id, given,
                                         actor=actor, now=now)
    return professional


def record_programme_consent(session, professional: Professional, programme_id: int,
                             given: bool, *, actor: User, now: datetime) -> None:
    """Change one programme's consent and keep it in the history (a helper: it joins the
    caller's unit of work)."""
    version = current_app.config["CONSENT_VERSION"]
    consent = next((c for c in professional.programme_consents
                    if c.programme_id == programme_id), None)
    if consent is None:
        consent = ProgrammeConsent(programme_id=programme_id)
        professional.programme_consents.append(consent)
    consent.given, consent.wording_version, consent.changed_at = given, version, now
    professional.consent_history.append(ConsentRecord(
        programme_id=programme_id, given=given, wording_version=version, recorded_at=now,
        recorded_by_id=actor.id))
    if not given:
        for hook in registry_hooks().consent_withdrawn:
            hook(session, professional, actor=actor, now=now, programme_id=programme_id)


# --- qualifications, licences, availability -------------------------------------------------

def get_child(session, professional: Professional, kind: str, child_id: int):
    child = session.get(CHILD_MODELS[kind], child_id)
    if child is None or child.professional_id != professional.id:
        raise NotFound(_("Not found."))
    return child


def add_child(session, professional: Professional, kind: str, data: dict, *, actor: User,
              now: datetime):
    require_self(actor, professional)
    with unit_of_work(session):
        child = CHILD_MODELS[kind](**data)
        getattr(professional, kind).append(child)
        _touch(professional, kind, now)
        audit.record(session, now=now, actor=actor, action="create", entity="professional",
                     entity_id=professional.id, detail={"part": kind})
    return child


def update_child(session, professional: Professional, kind: str, child_id: int, data: dict, *,
                 actor: User, now: datetime):
    require_self(actor, professional)
    child = get_child(session, professional, kind, child_id)
    with unit_of_work(session):
        for field, value in data.items():
            setattr(child, field, value)
        if kind == "licences":
            child.verified_at = None  # a changed licence must be verified again
            child.verified_by_id = None
        _check_child(child, kind)
        _touch(professional, kind, now)
        audit.record(session, now=now, actor=actor, action="update", entity="professional",
                     entity_id=professional.id, detail={"part": kind})
        _licence_changed(session, professional, kind, actor=actor, now=now)
    return child


def delete_child(session, professional: Professional, kind: str, child_id: int, *, actor: User,
                 now: datetime) -> None:
    require_self(actor, professional)
    child = get_child(session, professional, kind, child_id)
    with unit_of_work(session):
        session.delete(child)
        _touch(professional, kind, now)
        audit.record(session, now=now, actor=actor, action="delete", entity="professional",
                     entity_id=professional.id, detail={"part": kind})
        _licence_changed(session, professional, kind, actor=actor, now=now)


def _licence_changed(session, professional: Professional, kind: str, *, actor: User,
                     now: datetime) -> None:
    """Tell the components that a licence changed or went (issue 18), inside the change's unit
    of work."""
    if kind != "licences":
        return
    session.flush()
    session.expire(professional, ["licences"])
    for hook in registry_hooks().licence_changed:
        hook(session, professional, actor=actor, now=now)


def _check_child(child, kind: str) -> None:
    """Re-check cross-field rules after a partial update; on failure nothing is kept (the
    unit of work rolls back)."""
    errors = {}
    if kind == "licences" and child.valid_until < child.valid_from:
        errors["valid_until"] = [_("The end of validity must not be before its start.")]
    if kind == "windows" and child.ends_on < child.starts_on:
        errors["ends_on"] = [_("The last day must not be before the first.")]
    if errors:
        raise Invalid(_("Some information is not valid."), errors=errors)


def _touch(professional: Professional, kind: str, now: datetime) -> None:
    professional.updated_at = now
    if kind == "windows":
        professional.availability_updated_at = now
