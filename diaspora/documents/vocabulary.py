"""What a document is for."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..vocabulary import Vocabulary


class DocumentPurpose(Vocabulary):
    LICENCE = "licence", _l("Licence to practise (scan)")
    QUALIFICATION = "qualification", _l("Qualification certificate")
    TEMPORARY_REGISTRATION = "temporary_registration", _l("Temporary registration in the host country")
    INDEMNITY = "indemnity", _l("Indemnity cover")
    MISSION_TERMS = "mission_terms", _l("Mission terms")
    INVITATION_LETTER = "invitation_letter", _l("Invitation letter")
    RECEIPT = "receipt", _l("Receipt for a cost")


# A professional's own papers; the others belong to a mission.
PERSONAL = (DocumentPurpose.LICENCE, DocumentPurpose.QUALIFICATION,
            DocumentPurpose.TEMPORARY_REGISTRATION, DocumentPurpose.INDEMNITY)
MISSION = (DocumentPurpose.MISSION_TERMS, DocumentPurpose.INVITATION_LETTER, DocumentPurpose.RECEIPT)
# Which documents can back the verification of a licence or of a qualification.
EVIDENCE = {"licences": (DocumentPurpose.LICENCE, DocumentPurpose.TEMPORARY_REGISTRATION),
            "qualifications": (DocumentPurpose.QUALIFICATION,)}
