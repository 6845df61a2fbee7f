"""Forms and words: no "None" in empty fields (nor stored), headings in whole sentences,
removal asked again, plurals."""
from __future__ import annotations

import re

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.professionals.models import Licence

VALUES = re.compile(r'value="([^"]*)"')


def test_add_forms_open_empty_and_never_store_none(signed_in, make_professional):
    professional = make_professional(licences=())
    browser = signed_in(professional.user)
    for kind, heading in (("licences", "Add a licence"), ("qualifications", "Add a qualification"),
                          ("windows", "Add an availability window")):
        page = browser.get(f"/me/{kind}/new").get_data(as_text=True)
        assert "None" not in VALUES.findall(page), kind
        assert "None</textarea>" not in page
        assert f"<h1>{heading}</h1>" in page
    response = browser.post("/me/licences/new", {
        "country": "GH", "authority": "", "number": "", "valid_from": "2025-01-01",
        "valid_until": "2027-12-31", "submission_token": "k1"})
    assert response.status_code == 422
    assert 'value="None"' not in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Licence.id))) == 0


def test_removing_a_licence_is_asked_again(signed_in, make_professional):
    professional = make_professional()
    licence = professional.licences[0]
    browser = signed_in(professional.user)
    page = browser.get(f"/me/licences/{licence.id}").get_data(as_text=True)
    assert f'action="/me/licences/{licence.id}/delete"' in page
    asked = browser.post(f"/me/licences/{licence.id}/delete").get_data(as_text=True)
    assert "Remove this licence?" in asked and 'name="confirmed" value="1"' in asked
    count = sa.select(sa.func.count(Licence.id)).where(Licence.id == licence.id)
    assert db.session.scalar(count) == 1
    browser.post(f"/me/licences/{licence.id}/delete", {"confirmed": "1"})
    assert db.session.scalar(count) == 0


def test_ghanas_languages_have_their_own_codes_and_the_need_form_lists_them(app, signed_in,
                                                                          make_facility):
    from flask_babel import force_locale

    from diaspora import reference
    with app.test_request_context():
        names = dict(reference.language_choices())
        assert (names["tw"], names["gaa"], names["ee"], names["dag"], names["ha"],
                names["fat"]) == ("Twi", "Ga", "Ewe", "Dagbani", "Hausa", "Fante")
        assert "ga" not in names   # Irish, not Ga
        with force_locale("fr"):
            assert dict(reference.language_choices())["ha"] == "Haoussa"
    coordinator = signed_in("coordinator")
    facility = make_facility()
    facility.coordinators.append(coordinator.user)
    db.session.commit()
    page = coordinator.get("/needs/new").get_data(as_text=True)
    assert '<select id="languages" name="languages" multiple' in page
    assert '<option value="gaa"' in page and ">Ga</option>" in page


def test_dates_are_day_first_in_english_and_times_24_hour_without_seconds(app):
    from datetime import UTC, date, datetime

    from flask_babel import force_locale

    from diaspora.i18n import show_date, show_in_zone, show_instant
    instant = datetime(2027, 1, 5, 15, 0, 0, tzinfo=UTC)
    with app.test_request_context():
        assert show_date(date(2027, 1, 5)) == "5 Jan 2027"
        assert show_date(date(2027, 1, 5), "short") == "05/01/2027"
        assert show_instant(instant) == "5 Jan 2027 15:00 GMT"
        assert show_in_zone(instant, "Africa/Accra") == "5 Jan 2027 15:00 GMT (Africa/Accra)"
        with force_locale("fr"):
            assert show_instant(instant) == "5 janv. 2027 15:00 GMT"
        with force_locale("pt"):
            assert show_date(date(2027, 1, 5), "short") == "05/01/2027"


def test_the_time_zone_picker_lists_current_zones_common_first(browser, signed_in,
                                                               make_professional):
    page = browser.get("/register").get_data(as_text=True)
    picker = page[page.index('<select id="timezone"'):page.index("</select>", page.index('<select id="timezone"'))]
    assert "data-guess-zone" in picker and "js/timezone.js" in page
    assert 'value="US/Eastern"' not in picker and 'value="Asia/Calcutta"' not in picker
    assert 'value="Asia/Kolkata"' in picker and ">Accra (Ghana)</option>" in picker
    common = picker.index('label="Common time zones"')
    assert picker.index('value="Europe/London"') > common
    assert picker.index('value="Europe/London"') < picker.index('label="All time zones"')
    assert " selected" not in picker   # blank: the browser's zone is proposed by the script

    # after a failed sign-up, the country of residence proposes its zone
    again = browser.post("/register", {"role": "professional", "country_of_residence": "GH"})
    assert '<option value="Africa/Accra" selected>' in again.get_data(as_text=True)

    # a stored zone that is no longer current still shows, chosen
    professional = make_professional(timezone="Asia/Calcutta", country_of_residence="IN")
    edit = signed_in(professional.user).get("/me/edit").get_data(as_text=True)
    assert '<option value="Asia/Calcutta" selected>' in edit
    assert edit.index('label="Your country"') < edit.index('value="Asia/Kolkata"')


def test_every_error_in_one_round_and_marshmallows_messages_translated(signed_in,
                                                                      make_professional):
    professional = make_professional()
    browser = signed_in(professional.user)
    form = {"country": "GH", "authority": "X", "valid_from": "2027-01-01",
            "valid_until": "2026-01-01", "submission_token": "r1"}
    page = browser.post("/me/licences/new", form).get_data(as_text=True)
    # the field errors and the cross-field one, together
    assert "Missing data for required field." in page                    # the number
    assert "Length must be between 2 and 200." in page                   # the authority
    assert "must not be before its start" in page                        # the dates
    browser.get("/?lang=fr")
    professional.user.locale = "fr"
    db.session.commit()
    page = browser.post("/me/licences/new", {**form, "submission_token": "r2"}) \
        .get_data(as_text=True)
    assert "Missing data for required field." not in page
    assert "Length must be between" not in page
    assert "Données manquantes pour un champ obligatoire." in page
    assert "La longueur doit être comprise entre 2 et 200." in page


def test_the_error_summary_is_focused_and_links_to_each_field(signed_in, make_professional):
    browser = signed_in(make_professional().user)
    page = browser.post("/me/licences/new", {"country": "GH", "valid_from": "2027-01-01",
                                             "valid_until": "2026-01-01",
                                             "submission_token": "s1"}).get_data(as_text=True)
    summary = page[page.index('<div class="error-summary"'):page.index("</div>", page.index('<div class="error-summary"'))]
    assert "autofocus" in summary.split(">")[0]
    for field in ("authority", "number", "valid_until"):
        assert f'<a href="#{field}">' in summary and f'id="{field}"' in page
    assert '<span class="req" aria-hidden="true">*</span>' in page   # required fields marked


def test_refusals_name_statuses_in_words(app):
    from flask_babel import force_locale

    from diaspora.needs import services as needs
    from missions.core import lifecycle
    with app.test_request_context():
        assert lifecycle.refusal("in_progress").startswith("The mission is in progress:")
        assert needs.refusal("returned").startswith("A returned need")
        with force_locale("fr"):
            assert "in_progress" not in lifecycle.refusal("in_progress")
