"""Certificates as PDF, drawn offline with fpdf2 in the holder's language.

The font is DejaVu Sans, shipped in ``fonts/`` beside this module (its licence there too): it
has every accent of French and Portuguese and the letters of many African languages' names, so
nothing is fetched and no name is mangled.
"""
from __future__ import annotations

from pathlib import Path

from flask import url_for
from flask_babel import force_locale, format_date, gettext as _
from fpdf import FPDF

from diaspora.reference import country_name

from .certificates import shown_code
from .models import AttendanceCertificate, Certificate

FONTS = Path(__file__).parent / "fonts"
LOCALES = ("en", "fr", "pt")


def render(certificate: Certificate | AttendanceCertificate, locale: str | None) -> bytes:
    """The certificate as PDF bytes, in ``locale`` (English when it is not one of ours)."""
    with force_locale(locale if locale in LOCALES else "en"):
        if isinstance(certificate, AttendanceCertificate):
            return _draw_attendance(certificate)
        return _draw(certificate)


def _start(title: str, holder: str) -> FPDF:
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(title)
    pdf.set_creator("Diaspora skills registry")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_margins(25, 20, 25)
    pdf.set_y(28)
    pdf.set_font("DejaVu", "B", 26)
    pdf.cell(0, 14, pdf.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 13)
    pdf.cell(0, 8, _("This certifies that"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 20)
    pdf.cell(0, 12, holder, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 13)
    return pdf


def _draw(c: Certificate) -> bytes:
    pdf = _start(_("Certificate of service") if c.kind == "service" else _("CPD statement"),
                 c.holder_name)
    period = {"first": format_date(c.starts_on, "long"), "last": format_date(c.ends_on, "long")}
    if c.kind == "service":
        sentence = _("served in person at %(facility)s (%(country)s) from %(first)s to %(last)s.",
                     facility=c.facility_name, country=country_name(c.country), **period)
    else:
        sentence = _("took part online, as a trainer, in a series for %(facility)s (%(country)s) "
                     "from %(first)s to %(last)s.",
                     facility=c.facility_name, country=country_name(c.country), **period)
    pdf.multi_cell(0, 8, sentence, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    facts = [(_("Programme"), c.programme_name or "—")]
    if c.hours is not None:
        facts.append((_("Hours"), f"{c.hours:g}"))
    if c.sessions is not None:
        facts.append((_("Sessions"), str(c.sessions)))
    if c.people_trained is not None:
        facts.append((_("People trained"), str(c.people_trained)))
    return _finish(pdf, c, facts)


def _draw_attendance(c: AttendanceCertificate) -> bytes:
    pdf = _start(_("Certificate of attendance"), c.holder_name)
    period = {"first": format_date(c.starts_on, "long"), "last": format_date(c.ends_on, "long")}
    where = {"training": c.training, "facility": c.facility_name,
             "country": country_name(c.country)}
    if c.online:
        sentence = _("attended the online training “%(training)s” for %(facility)s "
                     "(%(country)s) from %(first)s to %(last)s.", **where, **period)
    else:
        sentence = _("took part, as a counterpart, in the training “%(training)s” at "
                     "%(facility)s (%(country)s) from %(first)s to %(last)s.", **where, **period)
    pdf.multi_cell(0, 8, sentence, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    facts = [(_("Programme"), c.programme_name or "—")]
    if c.trainer_name:
        facts.append((_("Trainer"), c.trainer_name))
    if c.sessions is not None:
        facts.append((_("Sessions attended"), str(c.sessions)))
    if c.hours is not None:
        facts.append((_("Hours attended"), f"{c.hours:g}"))
    return _finish(pdf, c, facts)


def _finish(pdf: FPDF, c, facts: list[tuple[str, str]]) -> bytes:
    for label, value in facts:
        pdf.set_font("DejaVu", "B", 12)
        pdf.cell(120, 8, f"{label}:", align="R")
        pdf.set_font("DejaVu", "", 12)
        pdf.cell(0, 8, f"  {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 6, _("Verification code: %(code)s. Anyone can check this certificate at "
                           "%(url)s", code=shown_code(c.code),
                           url=url_for("certificates.check", _external=True)),
                   align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, _("Issued on %(date)s.", date=format_date(c.issued_at.date(), "long")),
             align="C")
    return bytes(pdf.output())
