"""Demo papers: the confirmed mission's professional has a licence scan verified by the
manager, the mission an invitation letter, and the past mission a certificate."""
from __future__ import annotations

import sqlalchemy as sa
from fpdf import FPDF

from diaspora.documents import services as documents
from diaspora.errors import DomainError

from ..core.models import Mission
from ..core.vocabulary import DONE, MissionStatus
from . import certificates, services


def _letter(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.multi_cell(0, 10, text)
    return bytes(pdf.output())


def load(session, *, now, rng, staff, programme) -> list[str]:
    mission = session.scalar(sa.select(Mission).where(Mission.status == MissionStatus.CONFIRMED)
                             .order_by(Mission.id).limit(1))
    if mission is None:
        return ["no confirmed mission: demo documents skipped"]
    professional = mission.professional
    licence = next((l for l in professional.licences if l.valid_until >= now.date()), None)
    made = []
    if licence is not None:
        scan = documents.upload_own(session, professional.user, _letter(
            f"Licence to practise {licence.number} ({licence.country}), {licence.authority}"),
            filename="licence-scan.pdf", purpose="licence", now=now)
        try:
            documents.verify(session, professional, "licences", licence.id,
                             {"document_id": scan.id,
                              "register": f"{licence.authority}, online register"[:200]},
                             actor=staff["manager"], now=now)
            made.append("a verified licence scan")
        except DomainError as error:
            made.append(f"a licence scan (not verified: {error.message})")
    services.add(session, mission, _letter(f"Invitation to {mission.facility.name}"),
                 filename="invitation-letter.pdf", purpose="invitation_letter",
                 actor=staff["manager"], now=now)
    made.append("an invitation letter")
    past = session.scalar(sa.select(Mission).where(Mission.status.in_(DONE)).order_by(Mission.id).limit(1))
    if past is not None:
        try:
            issued = certificates.certificate_for(session, past, actor=staff["manager"], now=now)
            made.append(f"certificate {certificates.shown_code(issued.code)}")
        except DomainError:
            pass
    return ["demo documents: " + ", ".join(made)]
