"""Facilities from a ministry's systems (DHIS2 JSON and CSV, mCSD bundles), the vocabulary of
the whole WHO list, near-identical rows, managers' corrections, and the background jobs that
run the imports uploaded in the browser."""
from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings, strategies as st

from diaspora.extensions import db
from diaspora.facilities import fhir as fhir_ids, links, requests as facility_requests, uploads
from diaspora.facilities.importer import import_facilities
from diaspora.facilities.models import Facility
from diaspora.facilities.requests import FacilityRequest
from diaspora.facilities.services import update_facility
from diaspora.facilities.sources import dhis2, mcsd
from diaspora.facilities.vocabulary import category_for, ownership_for
from diaspora.jobs import services as jobs, worker
from diaspora.jobs.models import Job
from diaspora.jobs.rq_entry import run_job_by_id
from diaspora.professionals.models import Qualification
from missions.dashboards import fhir as fhir_export

from .conftest import START, Browser, later

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "facilities"
WHO_HEADER = ("Country,Admin1,Facility name,Facility type,Ownership,Lat,Long,LL source,iso3c,"
              "facility_type_9,Tier,Tier_name\n")


def clock():
    return START


# --- the vocabulary across the whole WHO list ------------------------------------------------

def whole_list_values():
    with (DATA / "who-ssa-2019-vocabulary.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_stated_ownership_of_the_whole_who_list_is_mapped():
    rows = [r for r in whole_list_values() if r["column"] == "Ownership" and r["value"]]
    assert sum(int(r["rows"]) for r in rows) == 98745 - 30448  # every row with a stated owner
    unmapped = {r["value"]: r["rows"] for r in rows if ownership_for(r["value"]) == "unknown"}
    assert unmapped == {}
    assert {v: ownership_for(v) for v in ("Publique", "Govt.", "FBO/NGO", "CBO",
                                          "ONG/non-lucratif", "MoHSS", "MoHCDGEC",
                                          "Privé à but non lucratif")} == {
        "Publique": "public", "Govt.": "public", "FBO/NGO": "ngo", "CBO": "ngo",
        "ONG/non-lucratif": "ngo", "MoHSS": "public", "MoHCDGEC": "public",
        "Privé à but non lucratif": "ngo"}


def test_every_type_of_the_whole_who_list_has_a_category():
    rows = [r for r in whole_list_values() if r["column"] == "Facility type"]
    assert sum(int(r["rows"]) for r in rows) == 98745
    other = {r["value"]: r["rows"] for r in rows
             if category_for(r["facility_type_9"] or None, r["value"] or None) == "other"
             and r["value"]}
    assert other == {}
    assert category_for("Health Hut", "Health Hut") == "health_post"
    assert category_for("Medical Center", "Centre Médical") == "health_centre"
    assert category_for("Medical Center", "Federal Medical Centre") == "hospital"
    assert category_for(None, "Hospitais Regionais") == "hospital"
    assert category_for(None, "Clinic without Maternity") == "clinic"


def test_the_shipped_who_files_leave_no_stated_ownership_unmapped(app):
    for path in sorted(SHARED.glob("who-ssa-2019-*.csv")):
        report = import_facilities(db.session, path, now=START, workers=0)
        assert report.unmapped == {}, path.name
    assert db.session.scalar(sa.select(sa.func.count()).where(
        Facility.ownership == "unknown", Facility.ownership_source.is_not(None))) == 0


def test_near_identical_rows_are_merged_and_unmapped_values_counted(app):
    text = WHO_HEADER + (
        "Chad,Batha,Gambir Centre de Sante,Health Centre,Public,13.1746650001,17.8425333333333,GPS,TCD,Health Centre,2,\n"
        "Chad,Batha,Gambir Centre de Sante,Health Centre,Public,13.1746649999,17.8425333333333,GPS,TCD,Health Centre,2,\n"
        "Chad,Batha,Gambir Centre de Sante,Health Centre,Public,13.3,17.9,GPS,TCD,Health Centre,2,\n"
        "Chad,Batha,Oum Hadjer Spa,Thermal Spa,Syndicat,13.2,18.1,GPS,TCD,,,\n")
    report = import_facilities(db.session, io.StringIO(text), now=START, workers=0)
    # 2e-10 degrees apart across a rounding boundary: merged; 14 km apart: another place
    assert (report.inserted, report.merged, report.duplicates) == (3, 1, 0)
    assert report.unmapped == {("ownership", "Syndicat"): 1, ("type", "Thermal Spa"): 1}


# --- DHIS2 ----------------------------------------------------------------------------------

def dhis2_units(closed_date="2025-06-30"):
    """Ghana: level 1 country, 2 region, 3 district, 4 facility."""
    return [
        {"id": "GhanaRoot01", "name": "Ghana", "level": 1, "path": "/GhanaRoot01"},
        {"id": "AshantiReg1", "name": "Ashanti", "level": 2, "parent": {"id": "GhanaRoot01"},
         "path": "/GhanaRoot01/AshantiReg1"},
        {"id": "KumasiDist1", "name": "Kumasi Metropolitan", "level": 3,
         "parent": {"id": "AshantiReg1"}, "path": "/GhanaRoot01/AshantiReg1/KumasiDist1"},
        {"id": "KomfoAnoky1", "code": "GH-KATH", "name": "Komfo Anokye Teaching Hospital",
         "level": 4, "parent": {"id": "KumasiDist1"},
         "path": "/GhanaRoot01/AshantiReg1/KumasiDist1/KomfoAnoky1", "openingDate": "1954-01-01T00:00:00.000",
         "geometry": {"type": "Point", "coordinates": [-1.6297, 6.6976]},
         "organisationUnitGroups": [{"name": "Public facilities"}]},
        {"id": "OldChps0001", "name": "Old Town CHPS", "level": 4,
         "parent": {"id": "KumasiDist1"}, "path": "/GhanaRoot01/AshantiReg1/KumasiDist1/OldChps0001",
         "closedDate": closed_date,
         "geometry": {"type": "Polygon", "coordinates": [[[-1.60, 6.70], [-1.58, 6.70], [-1.58, 6.72], [-1.60, 6.72]]]}},
        {"id": "BadLatitude", "name": "Nowhere Clinic", "level": 4,
         "parent": {"id": "KumasiDist1"}, "path": "/GhanaRoot01/AshantiReg1/KumasiDist1/BadLatitude",
         "geometry": {"type": "Point", "coordinates": [-1.6, 96.5]}},
        {"id": "NoName00001", "name": "", "level": 4, "parent": {"id": "KumasiDist1"},
         "path": "/GhanaRoot01/AshantiReg1/KumasiDist1/NoName00001"},
    ]


def dhis2_json(units=None) -> bytes:
    return json.dumps({"organisationUnits": units or dhis2_units()}).encode()


def by_uid():
    return {f.source_uid: f for f in db.session.scalars(sa.select(Facility))}


def test_dhis2_json_twice_keeps_ids_hierarchy_closing_and_reports_rows(app):
    first = uploads.import_file(db.session, dhis2_json(), country="GH", now=START)
    assert first["format"] == "dhis2-json"
    assert first["counts"] == {"rows": 4, "inserted": 2, "updated": 0, "duplicates": 0,
                               "invalid": 2, "closed": 1, "without_coordinates": 0,
                               "links_proposed": 0}
    assert {(p["line"], p["column"]) for p in first["problems"]} == {(6, "latitude"), (7, "name")}
    found = by_uid()
    kath = found["KomfoAnoky1"]
    assert (kath.external_id, kath.source, kath.source_code, kath.admin1, kath.admin2) == \
        ("dhis2:KomfoAnoky1", "dhis2", "GH-KATH", "Ashanti", "Kumasi Metropolitan")
    assert (kath.category, kath.ownership, kath.closed_on, kath.timezone) == \
        ("hospital", "public", None, "Africa/Accra")
    assert kath.source_path == "/GhanaRoot01/AshantiReg1/KumasiDist1/KomfoAnoky1"
    chps = found["OldChps0001"]
    assert chps.closed_on.isoformat() == "2025-06-30"
    assert chps.latitude == pytest.approx(6.71) and chps.category == "community_health_unit"

    second = uploads.import_file(db.session, dhis2_json(), country="GH", now=later(3))
    assert (second["counts"]["inserted"], second["counts"]["updated"]) == (0, 2)
    assert db.session.scalar(sa.select(sa.func.count(Facility.id))) == 2


def test_dhis2_units_written_batch_by_batch_on_the_writer_thread(app, monkeypatch):
    """Writes of 2 rows, commits every 5: every unit counted once, each re-import updates."""
    from diaspora.facilities.sources import store

    monkeypatch.setattr(store, "WRITE_SIZE", 2)
    extra = [{"id": f"Extra{n:06d}", "name": f"Extra Clinic {n}", "level": 4,
              "path": f"/GhanaRoot01/AshantiReg1/KumasiDist1/Extra{n:06d}",
              "geometry": {"type": "Point", "coordinates": [-1.6, 6.6 + n / 100]}}
             for n in range(11)]
    units = dhis2.facilities(dhis2.read_json(dhis2_json(dhis2_units() + extra).decode()),
                             today=START.date())
    seen = []
    report = store.store_units(db.session, dhis2.SOURCE, "GH", list(units), now=START,
                               batch_size=5, progress=seen.append)
    assert (report.rows, report.inserted, report.updated, len(report.problems)) == (15, 13, 0, 2)
    assert seen == [8, 14, 15]  # commits after 6, 12 and 13 rows written (writes of 2)
    assert db.session.scalar(sa.select(sa.func.count(Facility.id))) == 13
    again = uploads.import_file(db.session, dhis2_json(dhis2_units() + extra), country="GH",
                                now=later(1))
    assert (again["counts"]["inserted"], again["counts"]["updated"]) == (0, 13)


def test_a_unit_closed_in_the_future_is_still_open():
    units = dhis2.read_json(dhis2_json(dhis2_units(closed_date="2099-01-01")).decode())
    closing = {u.uid: u.closed_on for u in dhis2.facilities(units, today=START.date())}
    assert closing["OldChps0001"] is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                  max_size=3), max_leaves=8)


@settings(max_examples=400, deadline=None)
@given(document=st.dictionaries(st.sampled_from(["organisationUnits", "pager", "x", ""]),
                                json_values, max_size=4),
       units=st.lists(st.sampled_from(dhis2_units()) | json_values, max_size=4),
       indent=st.sampled_from([None, 0, 2, "\t"]), cut=st.integers(min_value=0, max_value=400))
def test_dhis2_json_is_read_unit_by_unit_as_json_loads_reads_it(document, units, indent, cut):
    """The streamed reader gives what reading the whole document gives, and refuses what
    json.loads refuses (a text cut short, a value that is not an object)."""
    if isinstance(document.get("organisationUnits"), list) or not document:
        document["organisationUnits"] = units
    whole_text = json.dumps(document, indent=indent)
    repeated = (f'{{"organisationUnits": {json.dumps(units)}, "x": 1, '
                f'"organisationUnits": {json.dumps(document.get("x"))}}}')
    for text in (whole_text, whole_text[:cut], whole_text + " ]", whole_text[:cut] + "}",
                 json.dumps(units), " " + json.dumps(document) + " \n", repeated,
                 repeated.replace("1, ", "1 ")):
        try:
            whole = json.loads(text)
        except ValueError:
            with pytest.raises(dhis2.SourceProblemError, match="not JSON"):
                dhis2.read_json(text)
            continue
        expected = whole.get("organisationUnits") if isinstance(whole, dict) else None
        if not isinstance(expected, list):
            with pytest.raises(dhis2.SourceProblemError, match="no list of organisationUnits"):
                dhis2.read_json(text)
            continue
        assert dhis2.read_json(text) == [dhis2._org_unit(unit, position)
                                         for position, unit in enumerate(expected, start=1)]


def test_a_managers_correction_survives_every_reimport(app, make_user):
    manager = make_user("manager")
    uploads.import_file(db.session, dhis2_json(), country="GH", now=START)
    kath = by_uid()["KomfoAnoky1"]
    update_facility(db.session, kath, {"name": "Komfo Anokye (KATH)", "tier": 4},
                    actor=manager, now=START)
    result = uploads.import_file(db.session, dhis2_json(), country="GH", now=later(1))
    db.session.expire_all()
    kath = by_uid()["KomfoAnoky1"]
    assert (kath.name, kath.tier) == ("Komfo Anokye (KATH)", 4)
    assert result["counts"]["updated"] == 2


def test_dhis2_csv_export_twice(app):
    text = ("id,code,name,level,parent,path,closedDate,geometry\n"
            "GhanaRoot01,,Ghana,1,,/GhanaRoot01,,\n"
            "AshantiReg1,,Ashanti,2,GhanaRoot01,/GhanaRoot01/AshantiReg1,,\n"
            "KumasiDist1,,Kumasi,3,AshantiReg1,/GhanaRoot01/AshantiReg1/KumasiDist1,,\n"
            'KomfoAnoky1,GH-KATH,Komfo Anokye Teaching Hospital,4,KumasiDist1,,,"{""type"": ""Point"", ""coordinates"": [-1.6297, 6.6976]}"\n'
            "Suame00CHPS,,Suame CHPS,4,KumasiDist1,,2024-01-31,\n"
            "BadDate0001,,Bad Date Clinic,4,KumasiDist1,,31/01/2024,\n")
    assert uploads.detect_format(text) == "dhis2-csv"
    first = uploads.import_file(db.session, text.encode(), country="GH", now=START)
    assert (first["counts"]["inserted"], first["counts"]["closed"]) == (2, 1)
    assert [(p["line"], p["column"]) for p in first["problems"]] == [(7, "closed_on")]
    suame = by_uid()["Suame00CHPS"]
    assert (suame.admin1, suame.admin2, suame.source_path) == \
        ("Ashanti", "Kumasi", "/GhanaRoot01/AshantiReg1/KumasiDist1/Suame00CHPS")
    second = uploads.import_file(db.session, text.encode(), country="GH", now=later(1))
    assert (second["counts"]["inserted"], second["counts"]["updated"]) == (0, 2)


# --- mCSD -----------------------------------------------------------------------------------

def mcsd_bundle(status="active") -> bytes:
    jurisdiction = [{"coding": [{"system": "https://profiles.ihe.net/ITI/mCSD/CodeSystem/IHE.mCSD.Organization.Location.Types",
                                 "code": "jurisdiction"}]}]
    resources = [
        {"resourceType": "Location", "id": "sn", "name": "Senegal", "type": jurisdiction},
        {"resourceType": "Location", "id": "dakar", "name": "Dakar", "type": jurisdiction,
         "partOf": {"reference": "Location/sn"}},
        {"resourceType": "Location", "id": "pikine", "name": "Pikine", "type": jurisdiction,
         "partOf": {"reference": "Location/dakar"}},
        {"resourceType": "Organization", "id": "org-ps", "name": "Poste de Santé Thiaroye",
         "type": [{"text": "Publique"}]},
        {"resourceType": "Location", "id": "ps-thiaroye", "name": "Thiaroye Poste de Santé",
         "status": status, "identifier": [{"system": "urn:sn:msas", "value": "SN-PS-0042"}],
         "type": [{"text": "Poste de Santé"}], "position": {"latitude": 14.75, "longitude": -17.38},
         "partOf": {"reference": "Location/pikine"},
         "managingOrganization": {"reference": "Organization/org-ps"}},
        {"resourceType": "Location", "id": "broken", "name": "Broken", "position": {"latitude": "north"}},
    ]
    return json.dumps({"resourceType": "Bundle", "type": "collection",
                       "entry": [{"resource": r} for r in resources]}).encode()


def test_mcsd_bundle_twice_then_the_facility_closes(app):
    first = uploads.import_file(db.session, mcsd_bundle(), country="SN", now=START)
    assert first["format"] == "mcsd"
    assert (first["counts"]["inserted"], first["counts"]["invalid"]) == (1, 1)
    post = by_uid()["ps-thiaroye"]
    assert (post.external_id, post.source_code, post.admin1, post.admin2) == \
        ("mcsd:ps-thiaroye", "SN-PS-0042", "Dakar", "Pikine")
    assert (post.category, post.ownership, post.closed_on, post.timezone) == \
        ("health_post", "public", None, "Africa/Dakar")
    second = uploads.import_file(db.session, mcsd_bundle("inactive"), country="SN", now=later(2))
    assert (second["counts"]["inserted"], second["counts"]["updated"], second["counts"]["closed"]) == (0, 1, 1)
    third = uploads.import_file(db.session, mcsd_bundle("inactive"), country="SN", now=later(9))
    assert third["counts"]["updated"] == 1
    db.session.expire_all()
    assert by_uid()["ps-thiaroye"].closed_on == later(2).date()  # the day first seen closed


# --- background jobs ------------------------------------------------------------------------

def test_upload_runs_in_a_job_with_progress_history_and_report(app, make_user):
    manager = make_user("manager")
    browser = Browser(app.test_client())
    browser.login(manager)
    response = browser.post("/facilities/imports", {
        "country": "GH", "file": (io.BytesIO(dhis2_json()), "ghana-units.json")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    job = db.session.scalars(sa.select(Job)).one()
    assert (job.status, job.input_name, job.params["country"]) == ("queued", "ghana-units.json", "GH")
    page = browser.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and "job-progress.js" in page and "<progress" in page
    assert db.session.scalar(sa.select(sa.func.count(Facility.id))) == 0  # not in the request

    assert jobs.run_pending(db.session, clock=clock) == 1
    db.session.refresh(job)
    assert (job.status, job.progress_done, job.progress_total, job.percent) == ("done", 4, 4, 100)
    assert job.result["counts"]["inserted"] == 2
    status = browser.get(f"/jobs/{job.id}/status").get_json()
    assert status == {"id": job.id, "status": "done", "done": 4, "total": 4, "percent": 100,
                      "finished": True}
    page = browser.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page
    report = browser.get(f"/jobs/{job.id}/problems.csv").get_data(as_text=True)
    assert report.splitlines()[0] == "line,column,message" and len(report.splitlines()) == 3
    history = browser.get("/facilities/imports").get_data(as_text=True)
    assert "ghana-units.json" in history and manager.name in history


def test_upload_refuses_unknown_files_and_missing_country(app, make_user):
    browser = Browser(app.test_client())
    browser.login(make_user("manager"))
    response = browser.post("/facilities/imports", {"file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")},
                            content_type="multipart/form-data")
    assert response.status_code == 422 and "neither a WHO-format list" in response.get_data(as_text=True)
    response = browser.post("/facilities/imports", {"file": (io.BytesIO(mcsd_bundle()), "b.json")},
                            content_type="multipart/form-data")
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def test_a_job_is_claimed_once_and_a_failure_is_reported(app, make_user):
    manager = make_user("manager")
    job = jobs.enqueue(db.session, uploads.KIND, actor=manager, now=START,
                       params={"country": "GH"}, input_name="bad.json", input_data=b'{"x": 1}')
    claimed = jobs.claim_next(db.session, START, worker="one")
    assert claimed.id == job.id and jobs.claim_next(db.session, START, worker="two") is None
    jobs.run_job(db.session, claimed, clock=clock)
    db.session.refresh(job)
    assert job.status == "failed" and "neither DHIS2" in job.error and job.finished_at == START


def test_a_job_whose_worker_died_is_queued_again(app, make_user):
    job = jobs.enqueue(db.session, uploads.KIND, actor=make_user("manager"), now=START,
                       params={"country": "GH"}, input_data=dhis2_json())
    jobs.claim_next(db.session, START, worker="killed")
    assert jobs.requeue_stale(db.session, later(minutes=5)) == 0
    assert jobs.requeue_stale(db.session, later(minutes=11)) == 1
    db.session.refresh(job)
    assert (job.status, job.attempts) == ("queued", 1)
    assert jobs.run_pending(db.session, clock=lambda: later(minutes=12)) == 1
    db.session.refresh(job)
    assert (job.status, job.attempts, job.result["counts"]["inserted"]) == ("done", 2, 2)


def test_rq_backend_queues_the_job_in_redis(app, make_user, redis_url):
    from redis import Redis
    from rq import Queue

    app.config.update(JOBS_BACKEND="rq", JOBS_REDIS_URL=redis_url,
                      JOBS_RQ_QUEUE=f"test-imports-{app.config['SQLALCHEMY_DATABASE_URI'][:5]}")
    queue = Queue(app.config["JOBS_RQ_QUEUE"], connection=Redis.from_url(redis_url))
    queue.empty()
    try:
        job = jobs.enqueue(db.session, uploads.KIND, actor=make_user("manager"), now=START,
                           params={"country": "GH"}, input_data=dhis2_json())
        queued = queue.jobs
        assert [(q.func_name, q.args) for q in queued] == \
            [("diaspora.jobs.rq_entry.run_job_in_new_app", (job.id,))]
        assert run_job_by_id(queued[0].args[0]) == "done"
        assert run_job_by_id(job.id) == "not queued"  # a second delivery runs nothing
    finally:
        queue.empty()


def test_a_job_is_its_starters_or_a_managers(app, make_user):
    starter, other = make_user("coordinator"), make_user("coordinator")
    job = jobs.enqueue(db.session, uploads.KIND, actor=starter, now=START, input_data=b"")
    outsider = Browser(app.test_client())
    outsider.login(other)
    assert outsider.get(f"/jobs/{job.id}").status_code == 403
    assert outsider.get(f"/jobs/{job.id}/status").status_code == 403
    owner = Browser(app.test_client())
    owner.login(starter)
    assert owner.get(f"/jobs/{job.id}/status").get_json()["status"] == "queued"


# --- FHIR -----------------------------------------------------------------------------------

def test_mcsd_export_carries_master_identifiers_hierarchy_and_closing_and_reads_back(app, make_user):
    uploads.import_file(db.session, dhis2_json(), country="GH", now=START)
    browser = Browser(app.test_client())
    browser.login(make_user("manager"))
    response = browser.get("/facilities/imports/mcsd.json?country=GH")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    bundle = response.get_json()
    locations = {r["name"]: r for r in (e["resource"] for e in bundle["entry"])
                 if r["resourceType"] == "Location"}
    kath = locations["Komfo Anokye Teaching Hospital"]
    assert {(i["system"], i["value"]) for i in kath["identifier"]} == {
        ("urn:diaspora-registry:facility", "dhis2:KomfoAnoky1"),
        ("urn:dhis2:organisationUnit:uid", "KomfoAnoky1"),
        ("urn:dhis2:organisationUnit:code", "GH-KATH")}
    assert locations["Old Town CHPS"]["status"] == "inactive" and kath["status"] == "active"
    district = locations["Kumasi Metropolitan"]
    assert kath["partOf"]["reference"] == f"Location/{district['id']}"
    assert locations["Ashanti"]["id"] in district["partOf"]["reference"]
    # the bundle is an mCSD list this registry reads: same places, region and district
    units = list(mcsd.facilities(mcsd.read_bundle(response.get_data(as_text=True)),
                                 today=START.date(), country="GH"))
    assert {(u.name, u.admin1, u.admin2, u.closed_on is not None) for u in units} == {
        ("Komfo Anokye Teaching Hospital", "Ashanti", "Kumasi Metropolitan", False),
        ("Old Town CHPS", "Ashanti", "Kumasi Metropolitan", True)}


def test_workforce_practitioner_carries_qualifications_and_licences(app, make_professional):
    professional = make_professional()
    professional.qualifications.append(Qualification(title="MBChB", issuing_body="University of Ghana",
                                                     country="GH", year=2010))
    db.session.commit()
    practitioner = fhir_export._practitioner(professional)
    assert practitioner["qualification"][0] == {
        "code": {"text": "MBChB"}, "issuer": {"display": "University of Ghana"},
        "period": {"start": "2010"}}
    licence = professional.licences[0]
    assert practitioner["qualification"][-1]["identifier"] == [
        {"system": f"urn:licence:{licence.country}", "value": licence.number}]
    assert practitioner["qualification"][-1]["period"]["end"] == licence.valid_until.isoformat()
    assert "telecom" not in practitioner


def test_mcsd_export_refuses_an_unknown_country(app, make_user):
    browser = Browser(app.test_client())
    browser.login(make_user("manager"))
    assert browser.get("/facilities/imports/mcsd.json?country=XX").status_code in (400, 422)


# --- links between the ministry's list and the WHO list --------------------------------------

def test_links_are_proposed_reviewed_and_carried_into_fhir(app, make_user):
    who = WHO_HEADER + (
        "Ghana,Ashanti,Komfo Anokye Teaching Hospital,Teaching Hospital,MoH,6.69770,-1.62980,GPS,GHA,Hospital,4,\n"
        "Ghana,Ashanti,Suame Health Centre,Health Centre,MoH,6.71,-1.60,GPS,GHA,Health Centre,2,\n")
    import_facilities(db.session, io.StringIO(who), now=START, workers=0)
    result = uploads.import_file(db.session, dhis2_json(), country="GH", now=START)
    assert result["counts"]["links_proposed"] == 1  # the closed CHPS resembles nothing nearby
    queue = links.review_queue(db.session)
    assert [(q.facility.source_uid, q.master.name) for q in queue] == [
        ("KomfoAnoky1", "Komfo Anokye Teaching Hospital")]
    assert queue[0].distance_km < 0.1 and queue[0].score > 0.9
    again = uploads.import_file(db.session, dhis2_json(), country="GH", now=later(1))
    assert again["counts"]["links_proposed"] == 0  # proposed once

    manager = make_user("manager")
    browser = Browser(app.test_client())
    browser.login(manager)
    page = browser.get("/facilities/imports/links").get_data(as_text=True)
    assert "KomfoAnoky1" in page
    assert browser.post(f"/facilities/imports/links/{queue[0].id}",
                        {"decision": "accept"}).status_code == 302
    assert browser.post(f"/facilities/imports/links/{queue[0].id}",
                        {"decision": "accept"}).status_code == 409  # already decided
    master = queue[0].master
    identifiers = fhir_ids.master_identifiers(master, fhir_ids.linked_sources(
        db.session, [master.id])[master.id])
    assert {"system": "urn:dhis2:organisationUnit:code", "value": "GH-KATH"} in identifiers
    assert links.review_queue(db.session) == []


def test_link_scores_weigh_names_and_distance():
    assert links.name_key("Suame Health Centre") == "suame"
    assert links.score("Tafo Hospital", "Tafo Government Hospital", 0.2) > 0.6
    assert links.score("Tafo Hospital", "Bantama Hospital", 0.2) < 0.6
    assert links.score("Tafo Hospital", "Tafo Hospital", 4.0) < links.score("Tafo Hospital", "Tafo Hospital", 0.1)


# --- a coordinator asks for a missing facility ------------------------------------------------

def test_a_coordinator_asks_for_a_facility_a_manager_adds_it(app, make_user):
    coordinator, manager = make_user("coordinator"), make_user("manager")
    asking = Browser(app.test_client())
    asking.login(coordinator)
    response = asking.post("/facilities/requests/new", {"name": "X", "country": "GH",
                                                        "latitude": "6.7"})
    assert response.status_code == 422  # name too short, latitude without longitude
    assert asking.post("/facilities/requests/new", {
        "name": "Abrepo Junction CHPS", "country": "GH", "admin1": "Ashanti",
        "facility_type": "CHPS", "latitude": "6.72", "longitude": "-1.64",
        "note": "Opened in 2024"}).status_code == 302
    request = db.session.scalars(sa.select(FacilityRequest)).one()
    assert (request.status, request.requested_by_id) == ("requested", coordinator.id)
    assert "Abrepo Junction CHPS" in asking.get("/facilities/requests").get_data(as_text=True)
    assert asking.post(f"/facilities/requests/{request.id}/add").status_code == 403

    verifying = Browser(app.test_client())
    verifying.login(manager)
    assert verifying.post(f"/facilities/requests/{request.id}/add").status_code == 302
    assert verifying.post(f"/facilities/requests/{request.id}/add").status_code == 409
    facility = db.session.scalars(sa.select(Facility).where(Facility.source == "request")).one()
    assert (facility.name, facility.category, facility.timezone, facility.admin1) == \
        ("Abrepo Junction CHPS", "community_health_unit", "Africa/Accra", "Ashanti")
    assert [c.id for c in facility.coordinators] == [coordinator.id]


def test_a_manager_declines_a_request_with_a_reason(app, make_user):
    coordinator, manager = make_user("coordinator"), make_user("manager")
    request = facility_requests.request_facility(
        db.session, {"name": "Kumasi South Hospital", "country": "GH"}, actor=coordinator,
        now=START)
    browser = Browser(app.test_client())
    browser.login(manager)
    assert browser.post(f"/facilities/requests/{request.id}/decline", {}).status_code == 422
    assert browser.post(f"/facilities/requests/{request.id}/decline",
                        {"reason": "Already listed as Kumasi South Regional Hospital"}).status_code == 302
    db.session.refresh(request)
    assert (request.status, request.decided_by_id) == ("declined", manager.id)


def test_cli_imports_a_ministry_list(runner, tmp_path):
    path = tmp_path / "units.json"
    path.write_bytes(dhis2_json())
    result = runner.invoke(args=["diaspora", "import-ministry-facilities", str(path),
                                 "--country", "gh"])
    assert result.exit_code == 0, result.output
    assert "dhis2-json: rows 4, inserted 2" in result.output
    assert "entry 6: latitude" in result.output
    refused = runner.invoke(args=["diaspora", "import-ministry-facilities", str(path),
                                  "--country", "XX"])
    assert refused.exit_code != 0 and "unknown country" in refused.output


@pytest.mark.own_app  # the worker is a thread with its own connection
def test_the_embedded_worker_thread_runs_a_queued_job(app, make_user):
    job = jobs.enqueue(db.session, uploads.KIND, actor=make_user("manager"), now=START,
                       params={"country": "GH"}, input_data=dhis2_json())
    app.config["JOBS_POLL_SECONDS"] = 0.05
    stop = worker.start(app)
    try:
        deadline = time.monotonic() + 60
        while db.session.scalar(sa.select(Job.status).where(Job.id == job.id)) != "done":
            assert time.monotonic() < deadline, "timed out waiting for the worker thread"
            db.session.rollback()  # read afresh what the worker committed
            time.sleep(0.05)
    finally:
        stop.set()
        app.extensions["jobs_worker"][0].join(timeout=60)
    assert db.session.scalar(sa.select(sa.func.count(Facility.id))) == 2
