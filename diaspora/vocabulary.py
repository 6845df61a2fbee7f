"""The registry's closed vocabularies: roles, modes, purposes and need statuses.

Each vocabulary is one ``StrEnum``, defined here once with the named groups the rules speak of
and each code's translated label. Members *are* their codes (``Role.MANAGER == "manager"``), so
columns, JSON and forms keep plain strings; templates show a code through the ``label`` filter
(``{{ need.status|label(NeedStatus) }}``), never the raw code. The missions package keeps its
own vocabularies the same way (``missions.core.vocabulary``).
"""
from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Vocabulary(StrEnum):
    """Codes stored as strings, each with a translated label (``member.label``)."""

    def __new__(cls, code: str, label):
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        return member

    @classmethod
    def has(cls, code) -> bool:
        """Whether ``code`` is one of the vocabulary's (``code in cls`` is deprecated in 3.11)."""
        return code in cls._value2member_map_

    @classmethod
    def codes(cls, members=None) -> tuple[str, ...]:
        """The plain codes, in order (for CHECK constraints, whose SQL is made from a repr)."""
        return tuple(str(member) for member in (cls if members is None else members))

    @classmethod
    def choices(cls, members=None) -> dict[str, object]:
        """code → label, for a select (all members, or the ones given)."""
        return {str(member): member.label for member in (cls if members is None else members)}

    @classmethod
    def label_of(cls, code: str | None) -> object:
        """The label of ``code``; an unknown code shows as it is, none as a dash."""
        if not code:
            return "—"
        try:
            return cls(code).label
        except ValueError:
            return code


class Role(Vocabulary):
    PROFESSIONAL = "professional", _l("Health professional")
    COORDINATOR = "coordinator", _l("Facility coordinator")
    MANAGER = "manager", _l("Programme manager")
    ADMIN = "admin", _l("Administrator")


# Programme managers and admins may do whatever a manager may.
MANAGERS = (Role.MANAGER, Role.ADMIN)
# Who files and follows needs.
NEED_ROLES = (Role.COORDINATOR,) + MANAGERS
# How histories name the scheduler when it acts on its own (it is not a role anyone holds).
SCHEDULER = "scheduler"
SCHEDULER_LABEL = _l("the scheduler")


def role_label(role: str | None) -> str:
    """A role's label; also "the scheduler", which acts on its own in histories."""
    if role == SCHEDULER:
        return str(SCHEDULER_LABEL)
    return str(Role.label_of(role))


class Mode(Vocabulary):
    """How work is done: in person, online, or either (needs and availability windows)."""

    PHYSICAL = "physical", _l("In person")
    VIRTUAL = "virtual", _l("Online")
    EITHER = "either", _l("In person or online")


# The modes a professional offers and a mission takes (``either`` is a need's or window's).
KINDS = (Mode.PHYSICAL, Mode.VIRTUAL)


class Purpose(Vocabulary):
    CLINICAL_SERVICE = "clinical_service", _l("Clinical service")
    TEACHING = "teaching", _l("Teaching")
    TRAINING_OF_TRAINERS = "training_of_trainers", _l("Training of trainers")
    MANAGEMENT = "management", _l("Management and systems")
    EQUIPMENT = "equipment", _l("Equipment")


class NeedStatus(Vocabulary):
    """draft → submitted → approved / returned → matched → fulfilled / closed."""

    DRAFT = "draft", _l("draft")
    SUBMITTED = "submitted", _l("submitted")
    APPROVED = "approved", _l("approved")
    RETURNED = "returned", _l("returned")
    MATCHED = "matched", _l("matched")
    FULFILLED = "fulfilled", _l("fulfilled")
    CLOSED = "closed", _l("closed")


# A coordinator may still change the need.
NEED_EDITABLE = (NeedStatus.DRAFT, NeedStatus.RETURNED)
# Not yet fulfilled or closed.
NEED_OPEN = (NeedStatus.DRAFT, NeedStatus.SUBMITTED, NeedStatus.APPROVED, NeedStatus.RETURNED,
             NeedStatus.MATCHED)
# Missions may be proposed (and shortlists drawn) for these needs.
MATCHABLE = (NeedStatus.APPROVED, NeedStatus.MATCHED)


class Recognition(Vocabulary):
    """Whether a qualification is recognised in the professional's origin country."""

    NONE = "none", _l("Not recognised")
    PENDING = "pending", _l("Recognition pending")
    RECOGNISED = "recognised", _l("Recognised")


class JobStatus(Vocabulary):
    """A background job: queued → running → done / failed (a stale run goes back to queued)."""

    QUEUED = "queued", _l("queued")
    RUNNING = "running", _l("running")
    DONE = "done", _l("done")
    FAILED = "failed", _l("failed")


class LinkStatus(Vocabulary):
    """A proposed link between a ministry's facility and a WHO-list facility."""

    PROPOSED = "proposed", _l("to review")
    ACCEPTED = "accepted", _l("same place")
    REJECTED = "rejected", _l("different places")


class FacilityRequestStatus(Vocabulary):
    """A coordinator's request for a facility missing from the list: requested → added / declined."""

    REQUESTED = "requested", _l("requested")
    ADDED = "added", _l("added")
    DECLINED = "declined", _l("declined")


class HoldStatus(Vocabulary):
    """An imported row held as a possible duplicate of someone in the registry: pending → one
    manager's decision (same person: skipped or merged; different person: created)."""

    PENDING = "pending", _l("to confirm")
    SKIPPED = "skipped", _l("same person, skipped")
    MERGED = "merged", _l("same person, merged")
    CREATED = "created", _l("different person, invited")
