"""Reference vocabularies: ISCO-08 health cadres, specialties, countries, languages, zones.

Labels are wrapped in ``lazy_gettext`` so every page shows them in the viewer's language.
Codes are what the database stores.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from zoneinfo import available_timezones

import pycountry
from babel import Locale
from flask import has_request_context
from flask_babel import get_locale, lazy_gettext as _l

# ISCO-08 unit groups for health professionals (ILO, International Standard Classification of
# Occupations 2008), the codes iHRIS and WHO's National Health Workforce Accounts use.
CADRES = {
    "2211": _l("Generalist medical practitioner"),
    "2212": _l("Specialist medical practitioner"),
    "2221": _l("Nursing professional"),
    "2222": _l("Midwifery professional"),
    "2230": _l("Traditional and complementary medicine professional"),
    "2240": _l("Paramedical practitioner"),
    "2261": _l("Dentist"),
    "2262": _l("Pharmacist"),
    "2263": _l("Environmental and occupational health professional"),
    "2264": _l("Physiotherapist"),
    "2265": _l("Dietitian and nutritionist"),
    "2266": _l("Audiologist and speech therapist"),
    "2267": _l("Optometrist"),
    "2269": _l("Other health professional"),
    "3211": _l("Medical imaging and therapeutic equipment technician"),
    "3212": _l("Medical and pathology laboratory technician"),
    "3213": _l("Pharmaceutical technician"),
    "3221": _l("Nursing associate professional"),
    "3222": _l("Midwifery associate professional"),
    "3256": _l("Medical assistant"),
    "2634": _l("Psychologist"),
    "2149": _l("Biomedical engineer"),
}

# Clinical specialties and fields of expertise a need can ask for (codes are stable slugs).
SPECIALTIES = {
    "anaesthesia": _l("Anaesthesia"),
    "cardiology": _l("Cardiology"),
    "critical-care": _l("Critical care"),
    "dentistry": _l("Dentistry"),
    "dermatology": _l("Dermatology"),
    "emergency-medicine": _l("Emergency medicine"),
    "family-medicine": _l("Family medicine"),
    "general-surgery": _l("General surgery"),
    "health-management": _l("Health management and systems"),
    "infectious-diseases": _l("Infectious diseases"),
    "internal-medicine": _l("Internal medicine"),
    "laboratory": _l("Laboratory medicine"),
    "mental-health": _l("Mental health"),
    "midwifery": _l("Midwifery"),
    "neonatology": _l("Neonatology"),
    "nephrology": _l("Nephrology"),
    "neurology": _l("Neurology"),
    "nursing-education": _l("Nursing education"),
    "obstetrics-gynaecology": _l("Obstetrics and gynaecology"),
    "oncology": _l("Oncology"),
    "ophthalmology": _l("Ophthalmology"),
    "orthopaedics": _l("Orthopaedics and trauma"),
    "paediatrics": _l("Paediatrics"),
    "pharmacy": _l("Pharmacy and supply chain"),
    "physiotherapy": _l("Physiotherapy and rehabilitation"),
    "public-health": _l("Public health"),
    "radiology": _l("Radiology and imaging"),
    "biomedical-engineering": _l("Biomedical engineering"),
    "urology": _l("Urology"),
}


GENDERS = {
    "female": _l("Female"),
    "male": _l("Male"),
    "other": _l("Other"),
    "undisclosed": _l("Prefer not to say"),
}


PROFICIENCIES = {
    "basic": _l("Basic"),
    "professional": _l("Professional working"),
    "native": _l("Native or fluent"),
}

# Languages offered first in pickers (any ISO 639 code is accepted).
# Ghana's own come first, by their ISO 639-1 code where there is one, else ISO 639-3 (also their
# BCP 47 tags): Akan, Twi, Fante, Ga (``gaa``: ``ga`` is Irish), Ewe, Dagbani, Hausa.
COMMON_LANGUAGES = ["en", "fr", "pt", "ak", "tw", "fat", "gaa", "ee", "dag", "ha", "wo", "ff",
                    "sw", "zu", "yo", "ig", "nl", "de", "es", "ar"]
# Names people use where CLDR's differ ("Fanti").
LANGUAGE_NAMES = {"fat": _l("Fante")}


def _locale() -> str:
    """The viewer's language in a request, else English (CLI, scheduler, tests)."""
    return str(get_locale() or "en") if has_request_context() else "en"


def _sort_key(name: str) -> str:
    """Names sorted as readers expect: accents ignored (Égypte next to Equateur)."""
    return "".join(c for c in unicodedata.normalize("NFKD", name.casefold())
                   if not unicodedata.combining(c))


def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code → short name in the viewer's language, sorted by name."""
    return _countries(_locale())


@lru_cache(maxsize=8)
def _countries(locale: str) -> dict[str, str]:
    names = Locale.parse(locale).territories
    items = ((c.alpha_2, names.get(c.alpha_2) or c.name) for c in pycountry.countries)
    return dict(sorted(items, key=lambda item: _sort_key(item[1])))


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return countries().get(code.upper(), code)


@lru_cache(maxsize=512)
def alpha2_from_alpha3(code: str) -> str | None:
    country = pycountry.countries.get(alpha_3=code.upper())
    return country.alpha_2 if country else None


@lru_cache(maxsize=2048)
def language(code: str):
    """The pycountry language for an ISO 639-1 or 639-3 code, or None."""
    code = (code or "").strip().lower()
    if len(code) == 2:
        return pycountry.languages.get(alpha_2=code)
    if len(code) == 3:
        return pycountry.languages.get(alpha_3=code)
    return None


def language_name(code: str) -> str:
    """The language's name in the viewer's language (babel), else its ISO 639 name."""
    found = language(code)
    if not found:
        return code
    if code.strip().lower() in LANGUAGE_NAMES:
        return str(LANGUAGE_NAMES[code.strip().lower()])
    return _language_name(_locale(), code.strip().lower(), found.name)


@lru_cache(maxsize=4096)
def _language_name(locale: str, code: str, english: str) -> str:
    name = None if locale == "en" else Locale.parse(locale).languages.get(code)
    if not name:
        return english
    return name[0].upper() + name[1:]   # "anglais" → "Anglais" at the start of a list item


def language_choices(also=()) -> list[tuple[str, str]]:
    """The languages offered in pickers, then any of ``also`` (codes already chosen) not among
    them."""
    common = [(code, language_name(code)) for code in COMMON_LANGUAGES if language(code)]
    others = [(code, language_name(code)) for code in dict.fromkeys(also or ())
              if code not in COMMON_LANGUAGES and language(code)]
    return common + others


@lru_cache(maxsize=1)
def timezones() -> tuple[str, ...]:
    """IANA zone names (canonical area/location names only)."""
    return tuple(sorted(z for z in available_timezones()
                        if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/"))))


def timezone_choices() -> list[tuple[str, str]]:
    return [(zone, zone.replace("_", " ")) for zone in timezones()]


def is_timezone(name: str | None) -> bool:
    return bool(name) and name in _timezone_set()


@lru_cache(maxsize=1)
def _timezone_set() -> frozenset[str]:
    return frozenset(available_timezones())


FACILITY_CATEGORIES = {
    "health_post": _l("Health post"),
    "community_health_unit": _l("Community health unit (e.g. CHPS)"),
    "clinic": _l("Clinic"),
    "health_centre": _l("Health centre"),
    "polyclinic": _l("Polyclinic"),
    "maternity": _l("Maternity"),
    "hospital": _l("Hospital"),
    "other": _l("Other"),
}

FACILITY_OWNERSHIPS = {
    "public": _l("Public (ministry of health)"),
    "faith_based": _l("Faith-based"),
    "ngo": _l("Non-profit / NGO"),
    "private": _l("Private"),
    "local_authority": _l("Local authority"),
    "unknown": _l("Not stated"),
}

FACILITY_SETTINGS = {"rural": _l("Rural"), "urban": _l("Urban"), "unknown": _l("Not known")}

TIERS = {
    1: _l("Tier 1 · health post"),
    2: _l("Tier 2 · health centre"),
    3: _l("Tier 3 · district or provincial hospital"),
    4: _l("Tier 4 · central hospital"),
}


def tier_label(tier: int | None) -> str:
    return str(TIERS.get(tier, "—")) if tier else "—"

ORGANISATION_KINDS = {
    "diaspora_association": _l("Diaspora association"),
    "professional_body": _l("Professional body"),
    "ngo": _l("NGO"),
    "government": _l("Government"),
    "other": _l("Other"),
}


PRIORITIES = {1: _l("Critical"), 2: _l("High"), 3: _l("Medium"), 4: _l("Low")}


CHECKLIST_LABELS = {
    "orientation": _l("Pre-departure orientation done"),
    "insurance": _l("Insurance in place"),
    "licence_verified": _l("Licence verified"),
    "terms_agreed": _l("Terms and leave agreed"),
    "travel_booked": _l("Travel booked"),
    "ict_tested": _l("Connection and equipment tested"),
    "counterpart_assigned": _l("Local counterpart assigned"),
}

WEEKDAY_LABELS = {"MO": _l("Monday"), "TU": _l("Tuesday"), "WE": _l("Wednesday"),
                  "TH": _l("Thursday"), "FR": _l("Friday"), "SA": _l("Saturday"),
                  "SU": _l("Sunday")}
