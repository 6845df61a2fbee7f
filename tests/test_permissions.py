"""Role × route matrix: every route of the app, for every role, allowed or denied as declared.

A new route fails ``test_every_route_is_classified`` until it is added to ``EXPECTED``, so no
route can ship without a decision about who may use it.

The world's need and mission belong to programme A, which the matrix's manager manages; the
"other programme" column is a manager of programme B only: allowed where managers are, except
on programme A's needs, missions, shortlist, plan, dashboard, exports (``PROGRAMME_BOUND``).
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from diaspora.auth.services import create_token
from diaspora.extensions import db
from diaspora.programmes.models import Organisation, Programme
from missions.notifications.models import Notification

from .conftest import START, Browser

ANON = "anonymous"
OTHER = "other programme"   # a manager of programme B; the world is programme A's
ROLES = (ANON, "professional", "coordinator", "manager", OTHER, "admin")
STAFF = ("coordinator", "manager", OTHER, "admin")
PUBLIC = frozenset({ANON, "professional", "coordinator", "manager", "admin"})
SIGNED = PUBLIC - {ANON}
PRO = frozenset({"professional"})
COORD = frozenset({"coordinator"})
MGR = frozenset({"manager", "admin"})
ADMIN = frozenset({"admin"})
SELF_OR_MGR = PRO | MGR

EXPECTED: dict[str, frozenset[str]] = {
    "static": PUBLIC,
    "main.index": PUBLIC, "main.health": PUBLIC, "main.ping": PUBLIC, "main.api_docs": PUBLIC,
    "main.api_docs_asset": PUBLIC, "api-docs.openapi_json": PUBLIC, "main.favicon": PUBLIC,
    "auth.login": PUBLIC, "auth.signup": PUBLIC, "auth.logout": PUBLIC,
    "auth.account": SIGNED, "auth.change_password": SIGNED, "auth.create_token": SIGNED,
    "auth.revoke_token": SIGNED,
    "auth.users": MGR, "auth.user_new": MGR, "auth.user_edit": MGR,
    "professionals.me": PRO, "professionals.edit": PRO, "professionals.consent": PRO,
    "professionals.child_new": PRO, "professionals.child_edit": PRO,
    "professionals.child_delete": PRO,
    "professionals.registry": MGR, "professionals.detail": SELF_OR_MGR,
    "professionals.contact": MGR,
    "facilities.index": SIGNED, "facilities.mine": COORD, "facilities.detail": SIGNED,
    "facilities.edit": MGR, "facilities.attach_coordinator": MGR,
    "facilities.detach_coordinator": MGR,
    "programmes.overview": MGR, "programmes.records": SIGNED, "programmes.record": MGR,
    "programmes.delete": MGR,
    "auth_api.create_token_with_password": PUBLIC, "auth_api.list_tokens": SIGNED,
    "auth_api.create_token": SIGNED, "auth_api.revoke_token": SIGNED, "auth_api.get_my_account": SIGNED,
    "auth_api.update_my_account": SIGNED, "auth_api.list_users": MGR, "auth_api.create_user": MGR,
    "auth_api.get_user": MGR, "auth_api.update_user": MGR,
    "professionals_api.get_my_profile": PRO, "professionals_api.update_my_profile": PRO,
    "professionals_api.set_my_consent": PRO, "professionals_api.set_programme_consent": PRO,
    "professionals_api.list_professionals": MGR, "professionals_api.get_professional": SELF_OR_MGR,
    "professionals_api.get_contact": MGR,
    "facilities_api.list_facilities": SIGNED, "facilities_api.get_facility": SIGNED,
    "facilities_api.update_facility": MGR,
    **{f"programmes_api.{verb}_{name}": (SIGNED if verb in ("list", "get") else MGR)
       for verb in ("list", "create", "get", "update", "delete")
       for name in ("programme", "organisation", "programmes", "organisations")
       if (verb == "list") == name.endswith("s")},
    "privacy.page": SIGNED, "privacy.download": SIGNED, "privacy.erase": SIGNED,
    "privacy.admin_download": ADMIN, "privacy.admin_erase": ADMIN,
    "privacy_api.export_my_data": SIGNED, "privacy_api.erase_my_data": SIGNED,
    "admin.audit_log": ADMIN, "admin.safeguard_list": ADMIN, "admin.retention": ADMIN,
    "professionals.export_registry": MGR,
    "needs.index": COORD | MGR, "needs.new": COORD | MGR, "needs.detail": COORD | MGR,
    "needs.edit": COORD | MGR, "needs.act": COORD | MGR,
    "needs_api.list_needs": COORD | MGR, "needs_api.create_need": COORD | MGR,
    "needs_api.get_need": COORD | MGR, "needs_api.update_need": COORD | MGR,
    "needs_api.submit_need": COORD | MGR, "needs_api.approve_need": MGR,
    "needs_api.return_need": MGR, "needs_api.close_need": COORD | MGR,
    # a mission's own professional and host coordinator, and managers (see _url_values)
    "missions.index": SIGNED, "missions.detail": PRO | COORD | MGR,
    "missions.act": PRO | COORD | MGR, "missions.tick": PRO | COORD | MGR,
    "missions.propose": MGR, "missions.reschedule": MGR,
    # contacts: one person at a time, for a mission (the host only in the contact window: 409
    # outside it, the world's mission is proposed) or, for managers, a stated purpose
    "missions.contact": COORD | MGR, "missions_api.contact": COORD | MGR,
    "missions_api.propose_mission": MGR, "missions_api.list_missions": SIGNED,
    "missions_api.get_mission": PRO | COORD | MGR,
    "missions_api.accept_mission": PRO, "missions_api.decline_mission": PRO,
    **{f"missions_api.{endpoint}": MGR
       for endpoint in ("confirm_mission", "mark_mission_ready", "start_mission",
                        "complete_mission", "report_mission", "close_mission")},
    "missions_api.cancel_mission": PRO | COORD | MGR, "missions_api.postpone_mission": COORD | MGR,
    "missions_api.tick_checklist_item": PRO | COORD | MGR, "missions_api.reschedule_mission": MGR,
    "sessions.record_attendance": PRO | COORD | MGR, "sessions.cancel": PRO | COORD | MGR,
    "sessions_api.list_sessions": PRO | COORD | MGR,
    "sessions_api.record_session_attendance": PRO | COORD | MGR,
    "sessions_api.cancel_session": PRO | COORD | MGR,
    # everyone's own inbox and calendar; the feed's secret address is its own key
    "notifications.inbox": SIGNED, "notifications.read": SIGNED, "notifications.read_all": SIGNED,
    "notifications_api.list_notifications": SIGNED, "notifications_api.mark_notification_read": SIGNED,
    "calendars.mission_ics": PRO | COORD | MGR, "calendars.feed_page": SIGNED,
    "calendars.new_feed": SIGNED, "calendars.revoke": SIGNED, "calendars.feed": PUBLIC,
    "matching.shortlist": MGR, "matching.plan": MGR,
    "matching_api.get_shortlist": MGR, "matching_api.plan_period": MGR,
    # a plan's job (issue 19): the managers it was made for (none in the world: 404 once
    # allowed; tests/test_planning.py checks another programme's manager is refused it)
    "matching.plan_job": MGR, "matching_api.get_plan_job": MGR,
    **{f"professionals_api.{verb}_{kind}": PRO
       for verb, kinds in (("list", ("qualifications", "licences", "windows")),
                           ("add", ("qualification", "licence", "window")),
                           ("update", ("qualification", "licence", "window")),
                           ("delete", ("qualification", "licence", "window")))
       for kind in kinds},
    # outcomes: each side files its own report; managers read and waive
    "outcomes.reports": PRO | COORD | MGR, "outcomes.file": PRO | COORD,
    "outcomes.waive": MGR, "outcomes.follow_up": PRO | COORD,
    "outcomes_api.list_outcomes": PRO | COORD | MGR,
    "outcomes_api.file_outcome_report": PRO | COORD,
    "outcomes_api.waive_outcome_report": MGR, "outcomes_api.answer_follow_up": PRO | COORD,
    # dashboards: coordinators see their facilities' figures; reports and FHIR are managers'
    "dashboards.index": COORD | MGR, "dashboards.export": COORD | MGR,
    "dashboards.report": MGR, "dashboards.fhir_bundle": MGR, "fhir_api.export_workforce": MGR,
    # mail: one's own settings; a proposal's signed answer link is its own key (404 unsigned)
    "notifications.mail_settings": SIGNED, "notifications.answer": PUBLIC,
    "notifications_api.get_mail_preferences": SIGNED,
    "notifications_api.update_mail_preferences": SIGNED,
    # costs: managers keep them; the professional sees their reimbursements, the host its
    # contributions in kind (missions.costs.services.costs_of)
    "costs_api.list_mission_costs": PRO | COORD | MGR, "costs_api.add_mission_cost": MGR,
    "costs_api.estimate_mission_allowance": MGR, "costs_api.change_mission_cost": MGR,
    "costs_api.approve_mission_cost": MGR, "costs_api.mission_cost_history": MGR,
    "costs_api.remove_mission_cost": MGR, "costs_api.list_per_diem_rates": MGR,
    "costs_api.set_per_diem_rate": MGR, "costs_api.list_exchange_rates": MGR,
    "costs_api.set_exchange_rate": MGR, "costs_api.programme_budget": MGR,
    "costs_api.set_programme_budget_line": MGR, "costs_api.value_for_money": MGR,
    "costs.mission_costs": MGR, "costs.estimate": MGR, "costs.edit_line": MGR,
    "costs.approve": MGR, "costs.remove_line": MGR, "costs.index": MGR, "costs.per_diem": MGR,
    "costs.exchange_rates": MGR, "costs.budget": MGR, "costs.results_report": MGR,
    "costs.results_xlsx": MGR,
    # a cost line's receipts (issue 18): attached, detached and opened by managers, as the line
    "costs.attach_receipt": MGR, "costs.detach_receipt": MGR, "costs.receipt": MGR,
    # partners, host health workers, placements abroad (issue 16): staff read, managers record;
    # coordinators see and nominate their own facility's staff (see _url_values)
    "partners.index": COORD | MGR, "partners.new": MGR, "partners.detail": COORD | MGR,
    "partners.add_agreement": MGR, "partners.new_partnership": MGR, "partners.add_staff": MGR,
    "partners_api.set_employer": MGR,
    "partners_api.list_partners": COORD | MGR, "partners_api.create_partner": MGR,
    "partners_api.get_partner": COORD | MGR, "partners_api.add_agreement": MGR,
    "partners_api.create_partnership": MGR, "partners_api.get_partnership": COORD | MGR,
    "workforce.index": COORD | MGR, "workforce.new": COORD | MGR, "workforce.register": PUBLIC,
    "workforce.detail": COORD | MGR, "workforce.confirm": COORD | MGR,
    "workforce.export": COORD | MGR, "workforce.erase": MGR,
    **{f"workforce_api.{name}": COORD | MGR
       for name in ("list_workers", "create_worker", "get_worker", "confirm_worker",
                    "export_worker")},
    "workforce_api.erase_worker": MGR,
    **{f"placements.{name}": COORD | MGR
       for name in ("offers", "offer", "nominate", "detail", "act", "tick", "follow_up",
                    "partnership", "add_counterpart", "remove_counterpart")},
    "placements.new_offer": MGR, "placements_api.create_offer": MGR,
    "placements.withdraw_offer": MGR, "placements_api.withdraw_offer": MGR,
    **{f"placements_api.{name}": COORD | MGR
       for name in ("list_offers", "get_offer", "nominate", "list_placements", "get_placement",
                    "act_on_placement", "tick_placement_item", "answer_placement_follow_up",
                    "placement_figures", "add_counterpart", "record_session_trainees")},
    "placements_api.list_counterparts": PRO | COORD | MGR,
    # imports (issue 17): managers upload; a job's pages are its starter's or a manager's
    # (signed in; tests/test_imports.py checks that another person is refused the job)
    "facility_imports.index": MGR, "facility_imports.upload": MGR,
    "facility_imports.export_mcsd": MGR, "facility_imports.link_queue": MGR,
    "facility_imports.decide_link": MGR,
    "facility_requests.index": COORD | MGR, "facility_requests.new": COORD,
    "facility_requests.add": MGR, "facility_requests.decline": MGR,
    "jobs.detail": SIGNED, "jobs.status": SIGNED, "jobs.problems": SIGNED,
    # documents (issue 18): a professional's own papers, read by the managers of the programmes
    # they consented to; a mission's, read by its people and added by its host and managers;
    # the certificate is the professional's (409 before the mission ends); anyone checks a code
    "documents.mine": PRO, "documents.download": PRO | MGR, "documents.delete": PRO,
    "documents.of_professional": MGR, "documents.verify": MGR,
    "mission_documents.index": PRO | COORD | MGR, "mission_documents.upload": COORD | MGR,
    "mission_documents.download": PRO | COORD | MGR, "mission_documents.certificate": PRO | MGR,
    "certificates.check": PUBLIC,
    # a named trainee's or counterpart's attendance certificate (the health worker has no
    # account): issued by the host's coordinators and the managers (409 before the mission
    # ends); who attended a session by name, on a page, by the same people
    "mission_documents.attendance_certificate": COORD | MGR,
    "certificates_api.get_attendance_certificate": COORD | MGR,
    "placements.session_trainees": COORD | MGR,
    # documents' and certificates' API (issue 18): as their pages; the old licence "verify"
    # now needs the evidence (document and register)
    "documents_api.list_documents": PRO, "documents_api.upload_document": PRO,
    "documents_api.download_document": PRO | MGR, "documents_api.delete_document": PRO,
    "documents_api.list_professional_documents": MGR,
    "documents_api.verify_against_document": MGR, "documents_api.verify_licence": MGR,
    "certificates_api.get_certificate": PRO | MGR, "certificates_api.check_certificate": PUBLIC,
    # professionals from a spreadsheet (issue 17): managers import; the invited person claims
    # their account with the signed link alone (tests/test_people_imports.py)
    "people_imports.upload_page": MGR, "people_imports.preview": MGR, "people_imports.start": MGR,
    "people_imports.claim": PUBLIC,
    # held possible duplicates and saved column mappings (tests/test_people_import_duplicates.py)
    "people_imports.duplicates_page": MGR, "people_imports.decide_duplicate": MGR,
    "people_imports.save_mapping": MGR, "people_imports.mappings_page": MGR,
    "people_imports.delete_mapping": MGR,
    # past missions from a spreadsheet (tests/test_mission_history.py)
    "mission_history.upload_page": MGR, "mission_history.preview": MGR,
    "mission_history.start": MGR,
}

# Routes on programme A's objects (or asked for programme A, see _url_values and _body): a
# manager of another programme is refused them (a pair: that method only; the plan's page
# shows its form to every manager). The FHIR API takes no programme: it gives each
# manager their own programmes' workforce (test_programmes.py checks what is in it).
PROGRAMME_BOUND = frozenset({
    "needs.detail", "needs.edit", "needs.act", "needs_api.get_need", "needs_api.update_need",
    "needs_api.submit_need", "needs_api.approve_need", "needs_api.return_need",
    "needs_api.close_need",
    "missions.detail", "missions.act", "missions.tick", "missions.propose", "missions.reschedule",
    "missions.contact", "missions_api.contact",
    "missions_api.propose_mission", "missions_api.get_mission", "missions_api.confirm_mission",
    "missions_api.mark_mission_ready", "missions_api.start_mission",
    "missions_api.complete_mission", "missions_api.report_mission", "missions_api.close_mission",
    "missions_api.cancel_mission", "missions_api.postpone_mission",
    "missions_api.tick_checklist_item", "missions_api.reschedule_mission",
    "sessions.record_attendance", "sessions.cancel", "sessions_api.list_sessions",
    "sessions_api.record_session_attendance", "sessions_api.cancel_session",
    "calendars.mission_ics",
    "outcomes.reports", "outcomes.waive", "outcomes_api.list_outcomes",
    "outcomes_api.waive_outcome_report",
    "matching.shortlist", "matching_api.get_shortlist", ("matching.plan", "POST"),
    "matching_api.plan_period",
    "dashboards.index", "dashboards.export", "dashboards.report", "dashboards.fhir_bundle",
    "programmes.delete", "programmes_api.update_programme", "programmes_api.delete_programme",
    "costs_api.list_mission_costs", "costs_api.add_mission_cost",
    "costs_api.estimate_mission_allowance", "costs_api.change_mission_cost",
    "costs_api.approve_mission_cost", "costs_api.mission_cost_history",
    "costs_api.remove_mission_cost", "costs_api.programme_budget",
    "costs_api.set_programme_budget_line", "costs_api.value_for_money",
    "costs.mission_costs", "costs.estimate", "costs.edit_line", "costs.approve", "costs.remove_line",
    "costs.budget", "costs.results_report", "costs.results_xlsx",
    # the world's health worker, placement and partnership are at programme A's facility
    "partners_api.get_partnership", "workforce.detail", "workforce.confirm", "workforce.export",
    "workforce.erase", "workforce_api.get_worker", "workforce_api.confirm_worker",
    "workforce_api.export_worker", "workforce_api.erase_worker", "placements.nominate",
    "placements.detail", "placements.act", "placements.tick", "placements.follow_up",
    "placements.partnership", "placements.add_counterpart", "placements.remove_counterpart",
    "placements_api.nominate", "placements_api.get_placement", "placements_api.act_on_placement",
    "placements_api.tick_placement_item", "placements_api.answer_placement_follow_up",
    "placements_api.list_counterparts", "placements_api.add_counterpart",
    "placements_api.record_session_trainees",
    "documents.download", "documents.of_professional", "documents.verify",
    "mission_documents.index", "mission_documents.upload", "mission_documents.download",
    "mission_documents.certificate",
    "documents_api.download_document", "documents_api.list_professional_documents",
    "documents_api.verify_against_document", "documents_api.verify_licence",
    "certificates_api.get_certificate",
    "mission_documents.attendance_certificate", "certificates_api.get_attendance_certificate",
    "placements.session_trainees", "costs.attach_receipt", "costs.detach_receipt", "costs.receipt",
})
# Asked with ?programme_id= of programme A.
PROGRAMME_QUERY = frozenset({"dashboards.index", "dashboards.export", "dashboards.report",
                             "dashboards.fhir_bundle", "costs_api.value_for_money"})


def _allowed(endpoint: str, method: str, role: str) -> bool:
    if role == OTHER:
        bound = endpoint in PROGRAMME_BOUND or (endpoint, method) in PROGRAMME_BOUND
        return "manager" in EXPECTED[endpoint] and not bound
    return role in EXPECTED[endpoint]


def _rules(app):
    return [rule for rule in app.url_map.iter_rules()]


def test_every_route_is_classified(app):
    endpoints = {rule.endpoint for rule in _rules(app)}
    assert endpoints - EXPECTED.keys() == set(), "classify these routes in EXPECTED"
    assert EXPECTED.keys() - endpoints == set(), "EXPECTED names routes that do not exist"


@pytest.fixture
def world(app, make_user, make_professional, make_facility):
    """One of everything, owned by the professional who takes part in the matrix; the need and
    mission are programme A's."""
    programme = Programme(name="A", origin_country="GH", host_countries=[], starts_on=START.date())
    other = Programme(name="B", origin_country="KE", host_countries=[], starts_on=START.date())
    organisation = Organisation(name="O")
    db.session.add_all([programme, other, organisation])
    db.session.commit()
    users = {"coordinator": make_user("coordinator"), "admin": make_user("admin"),
             "manager": make_user("manager", programmes=[programme]),
             OTHER: make_user("manager", programmes=[other])}
    professional = make_professional(programmes=[programme])
    professional.qualifications.append(_qualification())
    db.session.commit()
    users["professional"] = professional.user
    facility = make_facility()
    db.session.commit()
    need = _need(facility, users["coordinator"], programme)
    mission = _mission(need, professional, users["manager"])
    notice = db.session.scalar(sa.select(Notification.id).where(
        Notification.user_id == professional.user_id))
    tokens = {role: create_token(db.session, user, "matrix", now=START) for role, user in users.items()}
    # Revocation routes revoke a spare token, never the one the matrix signs in with.
    spare = {role: create_token(db.session, user, "spare", now=START)[0].id
             for role, user in users.items()}
    abroad = _placements_world(users, facility)
    documents = _documents(professional, mission, users)
    return {
        **abroad,
        "documents": documents,
        "users": users, "tokens": tokens, "spare_tokens": spare, "need": need,
        "mission": mission, "notice": notice, "professional": professional, "facility": facility,
        "programme": programme, "organisation": organisation,
        "children": {"licences": professional.licences[0].id,
                     "windows": professional.windows[0].id,
                     "qualifications": professional.qualifications[0].id},
    }


def _placements_world(users, facility) -> dict:
    """A partner twinned with the world's facility, a midwife of it nominated on an offer."""
    from diaspora.partners import services as partners
    from missions.placements import services as placements

    from .placement_factories import make_offer, make_partner, make_worker

    partner = make_partner(users["manager"])
    partnership = partners.create_partnership(db.session, {
        "partner_id": partner.id, "facility_id": facility.id, "starts_on": START.date()},
        actor=users["manager"], now=START)
    worker = make_worker(users["coordinator"], facility)
    offer = make_offer(users["manager"], partner)
    placement = placements.nominate(db.session, offer, worker, actor=users["coordinator"],
                                    now=START)
    return {"partner": partner, "partnership": partnership, "worker": worker, "offer": offer,
            "placement": placement}


def _need(facility, coordinator, programme):
    from datetime import date

    from diaspora.needs.models import Need

    facility.coordinators.append(coordinator)
    need = Need(facility_id=facility.id, programme_id=programme.id,
                title="Obstetric emergencies", cadre="2212",
                purpose="training_of_trainers", mode="physical", earliest_start=date(2026, 4, 1),
                latest_end=date(2026, 6, 30), duration_days=14, status="approved",
                created_at=START, updated_at=START)
    db.session.add(need)
    db.session.commit()
    return need


def _mission(need, professional, manager):
    from datetime import date

    from missions.core.proposals import propose_mission

    return propose_mission(db.session, need, professional,
                           {"kind": "physical", "starts_on": date(2026, 4, 6)},
                           actor=manager, now=START)


def _documents(professional, mission, users) -> dict:
    """A licence scan of the professional's and a letter of the mission's."""
    from diaspora.documents import services as documents
    from missions.documents import services as mission_documents
    from tests.test_documents import png

    own = documents.upload_own(db.session, professional.user, png(), filename="licence.png",
                               purpose="licence", now=START)
    letter = mission_documents.add(db.session, mission, png(), filename="letter.png",
                                   purpose="invitation_letter", actor=users["manager"], now=START)
    return {"own": own.id, "mission": letter.id}


def _qualification():
    from diaspora.professionals.models import Qualification

    return Qualification(title="MBChB", issuing_body="UG", country="GH", year=2010)


def _url_values(rule, world, role) -> dict:
    values = {}
    endpoint = rule.endpoint
    for name in rule.arguments:
        if name == "filename":
            values[name] = "swagger-ui.css" if endpoint != "static" else "css/app.css"
        elif name == "facility_id":
            values[name] = world["facility"].id
        elif name == "professional_id":
            values[name] = world["professional"].id
        elif name == "licence_id":
            values[name] = world["children"]["licences"]
        elif name == "user_id":
            values[name] = world["users"]["coordinator"].id
        elif name == "token_id":
            values[name] = world["spare_tokens"].get(role, world["spare_tokens"]["manager"])
        elif name == "kind":
            values[name] = "licences"
        elif name == "child_id":
            kind = next((k for k in world["children"] if k.removesuffix("s") in endpoint),
                        "licences")
            values[name] = world["children"][kind]
        elif name == "plural":
            values[name] = (rule.defaults or {}).get("plural") or "programmes"
        elif name == "mission_id":
            values[name] = world["mission"].id
        elif name == "action":
            values[name] = "cancel" if "missions" in endpoint or "placement" in endpoint \
                else "close"
        elif name == "item" and "placement" in endpoint:
            values[name] = "visa"
        elif name == "item":  # an item the role may tick on its own missions
            values[name] = "counterpart_assigned" if role == "coordinator" else "insurance"
        elif name in ("partner_id", "partnership_id", "worker_id", "offer_id", "placement_id"):
            values[name] = world[name.removesuffix("_id")].id
        elif name == "side":  # the side the role reports for (managers for none)
            values[name] = "host" if role == "coordinator" else "professional"
        elif name == "months":
            values[name] = 3
        elif name == "file_format":
            values[name] = "csv"
        elif name == "programme_id":
            values[name] = world["programme"].id
        elif name == "need_id":
            values[name] = world["need"].id
        elif name == "session_id":  # the world's mission is physical: no session (404 once allowed)
            values[name] = 1
        elif name in ("job_id", "link_id", "request_id", "hold_id", "mapping_id"):
            # none in the world: 404 (or 4xx) once allowed
            values[name] = 1
        elif name == "notification_id":  # the proposal notice, the professional's own
            values[name] = world["notice"]
        elif name == "token":  # not a live feed: 404 for everyone
            values[name] = "cal_unknown"
        elif name == "line_id":  # the world's mission has no cost line: 404 once allowed
            values[name] = 1
        elif name == "document_id":
            values[name] = world["documents"]["mission" if endpoint.startswith("mission_") else "own"]
        elif name == "code":  # no certificate's: 404 for everyone
            values[name] = "ABCD-EFGH-JKMN-PQRS"
        elif name == "record_id":
            is_org = "organisation" in endpoint
            values[name] = (world["organisation"] if is_org else world["programme"]).id
    if rule.defaults:
        values.update({k: v for k, v in rule.defaults.items() if k in rule.arguments})
    if endpoint in PROGRAMME_QUERY:
        values["programme_id"] = world["programme"].id
    return values


def _body(rule, world) -> dict:
    """What a POST, PUT or PATCH sends: nothing, but a valid body where the API checks the body
    before the need or mission (so that the refusal of the object is what answers), and the
    plan asked for programme A. The proposal overlaps the world's mission: 409 once allowed."""
    bodies = {
        "missions_api.propose_mission": {"professional_id": world["professional"].id, "kind": "physical",
                                 "starts_on": "2026-04-06"},
        "missions_api.tick_checklist_item": {"done": True},
        "missions_api.reschedule_mission": {"starts_on": "2026-05-04"},
        "outcomes_api.waive_outcome_report": {"reason": "No report will come."},
        "needs_api.update_need": {"title": "Obstetric emergencies"},
        "programmes_api.update_programme": {"name": "Programme A"},
        "costs_api.add_mission_cost": {"category": "visa", "amount": "60", "currency": "EUR"},
        "costs_api.change_mission_cost": {"note": "Express visa"},
        "costs_api.set_programme_budget_line": {"category": "visa", "year": 2026, "amount": "10"},
        "placements.nominate": {"worker_id": world["worker"].id},
        "partners.add_staff": {"professional_id": world["professional"].id},
        "partners_api.set_employer": {"partner_id": world["partner"].id},
        "placements_api.nominate": {"worker_id": world["worker"].id},
        "placements_api.tick_placement_item": {"done": True},
        "placements_api.answer_placement_follow_up": {"in_post": True, "colleagues_trained": 1},
        "placements_api.add_counterpart": {"worker_id": world["worker"].id},
        "placements_api.record_session_trainees": {"worker_ids": [world["worker"].id]},
        "documents_api.verify_against_document": {"document_id": world["documents"]["own"],
                                                  "register": "Council register"},
        "documents_api.verify_licence": {"document_id": world["documents"]["own"],
                                         "register": "Council register"},
    }
    if rule.endpoint in ("matching.plan", "matching_api.plan_period"):
        return {"period_start": "2026-04-01", "period_end": "2026-06-30",
                "programme_id": world["programme"].id}
    return bodies.get(rule.endpoint, {})


def _is_denied(response, api: bool) -> bool:
    if response.status_code in (401, 403):
        return True
    return not api and response.status_code == 302 and "/login" in response.headers.get("Location", "")


@pytest.mark.parametrize("role", ROLES)
def test_role_by_route_matrix(app, world, role):
    browser = Browser(app.test_client())
    headers = {}
    if role != ANON:
        browser.login(world["users"][role])
        headers = {"Authorization": f"Bearer {world['tokens'][role][1]}"}
    cases = []
    for rule in _rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            cases.append((rule, method))
    # Signing out last keeps the session for every other route; deleting programme A (which
    # its manager may) just before, so that every other route still finds it.
    cases.sort(key=lambda case: (case[0].endpoint == "auth.logout", "delete" in case[0].endpoint))
    wrong = []
    for rule, method in cases:
        path = rule.build(_url_values(rule, world, role), append_unknown=True)[1]
        api = path.startswith("/api/v1")
        if api:
            response = browser.client.open(
                path, method=method, headers=headers,
                json=_body(rule, world) if method in ("POST", "PUT", "PATCH") else None)
        elif method == "GET":
            response = browser.get(path)
        else:
            response = browser.post(path, _body(rule, world))
        response.close()
        assert response.status_code < 500, (method, path, response.status_code)
        denied = _is_denied(response, api)
        allowed = _allowed(rule.endpoint, method, role)
        if denied == allowed:
            wrong.append(f"{method} {path}: {'denied' if denied else 'allowed'} ({response.status_code})")
    assert wrong == []


def test_a_coordinator_cannot_touch_another_facilitys_needs_or_missions(
        make_user, make_facility, make_need, make_professional, propose, api_client, signed_in):
    """Object level: the role is right, the facility is not theirs."""
    ours, theirs = make_facility(), make_facility()
    coordinator = make_user("coordinator")
    ours.coordinators.append(coordinator)
    db.session.commit()
    their_need = make_need(theirs, status="draft")
    their_mission = propose(make_need(theirs), make_professional())
    client, headers = api_client(coordinator)
    assert client.patch(f"/api/v1/needs/{their_need.id}", headers=headers,
                        json={"title": "Taken over"}).status_code == 403
    assert client.post(f"/api/v1/needs/{their_need.id}/submit", headers=headers, json={}).status_code == 403
    assert client.post(f"/api/v1/missions/{their_mission.id}/cancel", headers=headers,
                       json={"reason": "not ours"}).status_code == 403
    assert client.put(f"/api/v1/missions/{their_mission.id}/checklist/counterpart_assigned",
                      headers=headers, json={"done": True}).status_code == 403
    browser = signed_in(coordinator)
    assert browser.post(f"/needs/{their_need.id}/close", {"reason": "x"}).status_code == 403
    assert browser.post(f"/missions/{their_mission.id}/postpone", {"reason": "x"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(type(their_need), their_need.id).status == "draft"
    assert db.session.get(type(their_mission), their_mission.id).status == "proposed"
