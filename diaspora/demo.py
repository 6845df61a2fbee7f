"""Demo data: real Ghana facilities (when ../shared is beside the project) and a synthetic,
seeded set of users, a programme, organisations and Ghanaian diaspora professionals.

Idempotent: facilities are upserted; people are created only if the demo admin is missing.
Every demo account uses the password ``DEMO_PASSWORD`` (for local trials only).
"""
from __future__ import annotations

import csv
import random
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from .auth.models import User
from .config import PROJECT_ROOT
from .facilities.importer import WHO_COLUMNS, import_facilities
from .facilities.models import Facility
from .facilities.services import set_coordinator_facilities
from .hooks import registry_hooks
from .professionals.models import (
    AvailabilityWindow,
    Licence,
    ProfessionalLanguage,
    ProfessionalSkill,
    ProfessionalSpecialty,
    Qualification,
)
from .professionals.services import create_professional, record_programme_consent
from .programmes.models import Organisation, Programme
from .security import DEMO_PASSWORD, hash_password
from .vocabulary import Mode, Role

DEMO_ADMIN = "admin@demo.example"
SHARED_GHANA = PROJECT_ROOT.parent / "shared" / "data" / "facilities" / "who-ssa-2019-GHA.csv"

GIVEN_FEMALE = ["Akosua", "Ama", "Abena", "Efua", "Adwoa", "Yaa", "Afia", "Esi", "Akua", "Mawusi",
                "Dzifa", "Naa", "Adjoa", "Abiba", "Fatima", "Gifty", "Comfort", "Mercy", "Priscilla",
                "Elikem", "Selasi", "Nana", "Dede", "Rahinatu"]
GIVEN_MALE = ["Kwame", "Kofi", "Kwabena", "Yaw", "Kwaku", "Kojo", "Kwesi", "Fiifi", "Nii", "Selorm",
              "Edem", "Yao", "Mohammed", "Abdul", "Ebenezer", "Emmanuel", "Samuel", "Isaac",
              "Prince", "Kobina", "Nana", "Sena", "Alhassan", "Dela"]
FAMILY = ["Mensah", "Owusu", "Boateng", "Asante", "Osei", "Agyeman", "Appiah", "Darko", "Ofori",
          "Amoah", "Nkrumah", "Quaye", "Tetteh", "Adjei", "Annan", "Sarpong", "Addo", "Kuffour",
          "Agbeko", "Amegashie", "Dzansi", "Abdulai", "Issah", "Seidu", "Yakubu", "Bonsu",
          "Acheampong", "Frimpong", "Gyamfi", "Ansah", "Lartey", "Nortey", "Ocansey", "Kpodo"]
RESIDENCES = [  # country, city, zone, licensing authority (None: per cadre, below), share
    ("GB", "London", "Europe/London", None, 30),
    ("GB", "Manchester", "Europe/London", None, 8),
    ("GB", "Birmingham", "Europe/London", None, 6),
    ("NL", "Amsterdam", "Europe/Amsterdam", "BIG-register", 7),
    ("NL", "Rotterdam", "Europe/Amsterdam", "BIG-register", 4),
    ("NL", "The Hague", "Europe/Amsterdam", "BIG-register", 3),
    ("DE", "Hamburg", "Europe/Berlin", "Landesärztekammer", 6),
    ("DE", "Berlin", "Europe/Berlin", "Landesärztekammer", 4),
    ("US", "New York City", "America/New_York", "State Board of Medicine / Nursing", 10),
    ("US", "Houston", "America/Chicago", "Texas Medical Board", 5),
    ("US", "Washington", "America/New_York", "DC Board of Medicine", 5),
]
CADRE_PROFILES = [  # cadre, weight, specialties, skills, qualification
    ("2212", 25, ["obstetrics-gynaecology", "anaesthesia", "paediatrics", "general-surgery",
                  "internal-medicine", "emergency-medicine", "radiology", "cardiology",
                  "ophthalmology", "orthopaedics"],
     ["obstetric ultrasound", "caesarean section", "spinal anaesthesia", "trauma care",
      "echocardiography", "cataract surgery", "clinical audit", "simulation teaching"],
     "MBChB, specialist certificate"),
    ("2211", 12, ["family-medicine", "emergency-medicine", "public-health"],
     ["point-of-care ultrasound", "clinical audit", "triage", "quality improvement"], "MBChB"),
    ("2221", 25, ["critical-care", "nursing-education", "neonatology", "mental-health"],
     ["neonatal resuscitation", "infection prevention", "ICU nursing", "wound care",
      "triage", "simulation teaching"], "BSc Nursing"),
    ("2222", 18, ["midwifery", "neonatology"],
     ["emergency obstetric care", "neonatal resuscitation", "partograph", "postpartum haemorrhage"],
     "BSc Midwifery"),
    ("2262", 10, ["pharmacy"], ["supply chain", "antimicrobial stewardship", "pharmacovigilance"],
     "BPharm"),
    ("3212", 5, ["laboratory"], ["microbiology", "blood bank", "quality management"], "BSc Medical Laboratory Science"),
    ("2149", 5, ["biomedical-engineering"], ["equipment maintenance", "oxygen systems"], "BEng Biomedical Engineering"),
]
# Who registers each cadre where each cadre has its own register: Ghana and the UK.
AUTHORITIES_BY_CADRE = {
    "GH": {"2212": "Medical and Dental Council Ghana", "2211": "Medical and Dental Council Ghana",
           "2221": "Nursing and Midwifery Council of Ghana",
           "2222": "Nursing and Midwifery Council of Ghana", "2262": "Pharmacy Council Ghana",
           "3212": "Allied Health Professions Council Ghana",
           "2149": "Allied Health Professions Council Ghana"},
    "GB": {"2212": "General Medical Council", "2211": "General Medical Council",
           "2221": "Nursing and Midwifery Council", "2222": "Nursing and Midwifery Council",
           "2262": "General Pharmaceutical Council", "3212": "Health and Care Professions Council",
           "2149": "Health and Care Professions Council"},
}
HOME_LANGUAGES = ["ak", "tw", "ee", "gaa", "dag", "ha", "fat"]
RESIDENCE_LANGUAGE = {"GB": None, "US": None, "NL": "nl", "DE": "de"}


class DemoDataRefused(RuntimeError):
    pass


def load_demo_data(session, *, now: datetime, facilities_path: Path | None = None,
                   professionals: int = 80, seed: int = 2026) -> list[str]:
    """Load everything; returns lines describing what was done.

    Refused in production: every demo account has the password published in the README.
    """
    if current_app.config["ENV_NAME"] == "production":
        raise DemoDataRefused("demo data is never loaded in production: its accounts share a "
                              "published password")
    lines = [_load_facilities(session, now, facilities_path, seed)]
    if session.scalar(sa.select(User).where(User.email == DEMO_ADMIN)) is not None:
        lines.append("demo people already present: nothing added")
        return lines
    rng = random.Random(seed)
    staff = _staff(session, now)
    organisations = _organisations(session)
    programme = _programme(session, staff["manager"])
    count = _professionals(session, now, rng, professionals, organisations, programme)
    session.commit()
    lines.append(f"demo users: admin, manager, 2 coordinators, {count} professionals "
                 f"(password for all: {DEMO_PASSWORD})")
    for loader in registry_hooks().demo_loaders:  # e.g. the missions package's needs and missions
        lines.extend(loader(session, now=now, rng=rng, staff=staff, programme=programme))
    return lines


def _load_facilities(session, now, path, seed) -> str:
    """Facilities once: a database that has some keeps them (``make run`` starts quickly and
    never undoes an import or a manager's correction)."""
    if session.scalar(sa.select(Facility.id).limit(1)) is not None:
        return "facilities already present: none imported"
    if path is None and SHARED_GHANA.exists():
        path = SHARED_GHANA
    if path is not None:
        report = import_facilities(session, path, now=now)
        return f"facilities from {path.name}: {report.summary()}"
    with tempfile.TemporaryDirectory() as folder:
        generated = Path(folder) / "generated-who-format.csv"
        write_generated_facilities(generated, rows=400, seed=seed)
        report = import_facilities(session, generated, now=now)
    return f"generated WHO-format facilities: {report.summary()}"


GH_REGIONS = {  # region: (lat, lon) centre, for generated facilities
    "Greater Accra": (5.65, -0.15), "Ashanti": (6.7, -1.6), "Northern": (9.5, -0.9),
    "Volta": (6.6, 0.45), "Western": (5.4, -2.2), "Central": (5.5, -1.2), "Eastern": (6.3, -0.5),
    "Upper East": (10.8, -0.9), "Upper West": (10.3, -2.3), "Brong Ahafo": (7.6, -1.9),
}
GH_TYPES = [  # type, type9, tier, weight
    ("Community-based Health Planning and Services", "Community Health Unit", 1, 30),
    ("Health Centre", "Health Centre", 2, 35), ("Clinic", "Health Clinic", 2, 18),
    ("District Hospital", "Hospital", 3, 10), ("Regional Hospital", "Hospital", 3, 4),
    ("Teaching Hospital", "Hospital", 4, 3),
]
GH_PLACES = ["Adabraka", "Bawku", "Bolgatanga", "Tamale", "Yendi", "Ho", "Hohoe", "Keta", "Sefwi",
             "Tarkwa", "Axim", "Winneba", "Cape Coast", "Koforidua", "Nkawkaw", "Wa", "Lawra",
             "Techiman", "Sunyani", "Kintampo", "Obuasi", "Ejisu", "Mampong", "Konongo", "Akim",
             "Aflao", "Savelugu", "Gushegu", "Navrongo", "Zebilla", "Tumu", "Jirapa", "Dambai"]


def write_generated_facilities(path: Path, *, rows: int, seed: int) -> None:
    """A synthetic Ghana facility list in the WHO format (used when the real file is absent)."""
    rng = random.Random(seed)
    types = [t for t in GH_TYPES for _ in range(t[3])]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(WHO_COLUMNS)
        for index in range(rows):
            region = rng.choice(list(GH_REGIONS))
            lat, lon = GH_REGIONS[region]
            kind, type9, tier, _ = rng.choice(types)
            place = f"{rng.choice(GH_PLACES)} {index + 1}"
            writer.writerow(["Ghana", region, f"{place} {kind}", kind,
                             rng.choice(["MoH", "MoH", "MoH", "FBO"]),
                             f"{lat + rng.uniform(-0.6, 0.6):.5f}", f"{lon + rng.uniform(-0.6, 0.6):.5f}",
                             "Generated", "GHA", type9, f"{tier}.0", f"Tier{tier}"])


def _user(session, now, email, name, role, zone) -> User:
    user = User(email=email, name=name, role=role, password_hash=hash_password(DEMO_PASSWORD),
                created_at=now, timezone=zone)
    session.add(user)
    return user


def _staff(session, now) -> dict[str, User]:
    staff = {
        "admin": _user(session, now, DEMO_ADMIN, "Demo Administrator", Role.ADMIN, "Africa/Accra"),
        "manager": _user(session, now, "manager@demo.example", "Abena Programme-Manager",
                         Role.MANAGER, "Africa/Accra"),
        "coordinator": _user(session, now, "coordinator@demo.example", "Kwesi Coordinator",
                             Role.COORDINATOR, "Africa/Accra"),
        "coordinator2": _user(session, now, "coordinator2@demo.example", "Amina Coordinator",
                              Role.COORDINATOR, "Africa/Accra"),
    }
    hospitals = session.scalars(sa.select(Facility).where(Facility.country == "GH",
                                                          Facility.category == "hospital")
                                .order_by(Facility.tier.desc(), Facility.name).limit(2)).all()
    rural = session.scalars(sa.select(Facility).where(Facility.country == "GH",
                                                      Facility.tier <= 2,
                                                      Facility.admin1.in_(("Upper East", "Northern")))
                            .order_by(Facility.name).limit(1)).all()
    if hospitals:
        set_coordinator_facilities(session, staff["coordinator"], hospitals[:1] + rural)
        set_coordinator_facilities(session, staff["coordinator2"], hospitals[1:2])
    return staff


def _organisations(session) -> list[Organisation]:
    organisations = [
        Organisation(name="Ghanaian Health Professionals Network UK (demo)", kind="diaspora_association",
                     country="GB", city="London"),
        Organisation(name="Stichting Ghanese Zorgprofessionals (demo)", kind="diaspora_association",
                     country="NL", city="Amsterdam"),
        Organisation(name="Ghana Medical Diaspora Verein (demo)", kind="diaspora_association",
                     country="DE", city="Hamburg"),
        Organisation(name="Ghanaian Nurses and Midwives of America (demo)", kind="diaspora_association",
                     country="US", city="New York City"),
    ]
    session.add_all(organisations)
    session.flush()
    return organisations


def _programme(session, manager: User) -> Programme:
    programme = Programme(name="MIDA Ghana Health (demo)", origin_country="GH",
                          host_countries=["GB", "NL", "DE", "US"],
                          funder="Demo funder", currency="EUR", budget=1_200_000,
                          starts_on=date(2026, 1, 1), ends_on=date(2028, 12, 31),
                          description="Temporary and virtual return of Ghanaian diaspora health "
                                      "professionals to teach and treat at requesting hospitals.")
    programme.managers = [manager]
    session.add(programme)
    return programme


def _weighted(rng: random.Random, items, weight_index: int):
    return rng.choices(items, weights=[item[weight_index] for item in items], k=1)[0]


def _professionals(session, now, rng, count, organisations, programme) -> int:
    """``count`` professionals; those who consent consent to the demo ``programme`` too."""
    today = now.date()
    session.flush()  # the programme's id, for the consents
    by_country = {o.country: o for o in organisations}
    consent_version = current_app.config["CONSENT_VERSION"]
    password_hash = hash_password(DEMO_PASSWORD)  # one hash: demo accounts share the password
    for index in range(count):
        gender = rng.choice(["female", "female", "male", "male", "undisclosed"])
        given = rng.choice(GIVEN_FEMALE if gender == "female" else GIVEN_MALE)
        family = rng.choice(FAMILY)
        country, city, zone, authority, _ = _weighted(rng, RESIDENCES, 4)
        cadre, _, specialties, skills, degree = _weighted(rng, CADRE_PROFILES, 1)
        email = f"{given}.{family}.{index + 1}@demo.example".lower()
        user = User(email=email, name=f"{given} {family}", role=Role.PROFESSIONAL,
                    password_hash=password_hash, created_at=now, timezone=zone)
        session.add(user)
        modes = rng.choice([(True, True), (True, True), (True, False), (False, True)])
        professional = create_professional(session, user, {
            "given_name": given, "family_name": family, "gender": gender, "cadre": cadre,
            "country_of_origin": "GH", "country_of_residence": country, "city_of_residence": city,
            "timezone": zone, "offers_physical": modes[0], "offers_virtual": modes[1],
            "organisation_id": by_country[country].id if rng.random() < 0.7 else None,
        }, now=now, consent_version=consent_version)
        if rng.random() < 0.05:
            professional.consent_given = False
        professional.specialties = [ProfessionalSpecialty(specialty=s)
                                    for s in rng.sample(specialties, k=min(len(specialties), rng.randint(1, 2)))]
        professional.skills = [ProfessionalSkill(skill=s)
                               for s in rng.sample(skills, k=min(len(skills), rng.randint(1, 3)))]
        languages = ["en", rng.choice(HOME_LANGUAGES)]
        if RESIDENCE_LANGUAGE[country]:
            languages.append(RESIDENCE_LANGUAGE[country])
        professional.languages = [ProfessionalLanguage(language=code, proficiency="native" if i < 2 else "professional")
                                  for i, code in enumerate(dict.fromkeys(languages))]
        year = rng.randint(1995, 2018)
        professional.qualifications = [Qualification(
            title=degree, issuing_body=rng.choice(["University of Ghana", "KNUST", "University of Cape Coast",
                                                   "University for Development Studies"]),
            country="GH", year=year, recognition="recognised")]
        professional.licences = [
            Licence(country=country, authority=AUTHORITIES_BY_CADRE.get(country, {}).get(cadre, authority),
                    number=f"{country}-{rng.randint(100000, 999999)}",
                    valid_from=today - timedelta(days=rng.randint(200, 3000)),
                    valid_until=today + timedelta(days=rng.randint(60, 1500))),
        ]
        if rng.random() < 0.7:  # many keep their Ghanaian registration
            until = today + timedelta(days=rng.randint(-200, 900))  # some have lapsed
            professional.licences.append(Licence(
                country="GH", authority=AUTHORITIES_BY_CADRE["GH"][cadre],
                number=f"GH-{rng.randint(10000, 99999)}",
                valid_from=until - timedelta(days=3 * 365), valid_until=until))
        for _ in range(rng.randint(1, 3)):
            start = today + timedelta(days=rng.randint(10, 300))
            mode = rng.choice([Mode.EITHER, Mode.PHYSICAL, Mode.VIRTUAL])
            professional.windows.append(AvailabilityWindow(
                kind="available", mode=mode, starts_on=start,
                ends_on=start + timedelta(days=rng.randint(14, 120)),
                hours_per_week=rng.choice([2, 3, 4, 6]) if mode != Mode.PHYSICAL else None))
        professional.availability_updated_at = now - timedelta(days=rng.randint(0, 300))
        if index < len(STORY_PROFILES):
            _fit_the_story(professional, STORY_PROFILES[index], today)
        if professional.consent_given:
            record_programme_consent(session, professional, programme.id, True, actor=user,
                                     now=now)
    return count


# The first professionals are made to fit the demo needs (missions/core/demo.py), so the shortlists,
# the circular engagement and the dashboard have someone to show with any seed or count.
STORY_PROFILES = [  # cadre, specialty, skills, qualification, modes (physical, virtual)
    ("2212", "obstetrics-gynaecology", ["caesarean section", "obstetric ultrasound"],
     "MBChB, specialist certificate", (True, True)),
    ("2221", "neonatology", ["neonatal resuscitation", "simulation teaching"], "BSc Nursing",
     (False, True)),
]


def _fit_the_story(professional, profile, today: date) -> None:
    cadre, specialty, skills, degree, (physical, virtual) = profile
    professional.cadre = cadre
    professional.consent_given = True
    professional.offers_physical, professional.offers_virtual = physical, virtual
    professional.specialties = [ProfessionalSpecialty(specialty=specialty)]
    professional.skills = [ProfessionalSkill(skill=skill) for skill in skills]
    professional.qualifications[0].title = degree
    professional.licences = [licence for licence in professional.licences if licence.country != "GH"]
    professional.licences.append(Licence(
        country="GH", authority=AUTHORITIES_BY_CADRE["GH"][cadre], number=f"GH-{cadre}-2026",
        valid_from=today - timedelta(days=400), valid_until=today + timedelta(days=1000)))
    professional.windows.append(AvailabilityWindow(
        kind="available", mode=Mode.EITHER if physical else Mode.VIRTUAL,
        starts_on=today + timedelta(days=20), ends_on=today + timedelta(days=170), hours_per_week=4))
