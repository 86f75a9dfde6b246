"""Which fields of each event are personal data (GDPR art. 4 and 9), declared on the events.

A personal field is marked where it is defined::

    citizen_words: Annotated[str, Personal]
    information: list[Annotated[str, Personal]]

and the event log encrypts every marked field with the citizen's own key before
it stores an event, so erasing the citizen (destroying the key) makes them
unreadable while the hash chain, which covers the ciphertext, stays intact. A
mark on a shared model (``Citizen.name``, ``Plan.purpose``) marks it in every
event that holds the model.

The encrypted paths are derived from the marks: dotted keys, with ``[*]`` for
every element of a list, e.g. ``conditions[*].citizen_words``. A path that does
not occur in a payload (an optional field, an older schema version) is simply
skipped. Every text field of every event is either marked or named in
``PUBLIC_TEXT`` with the reason it says nothing about a person; a test holds
the two together, so a new text field cannot be stored in the clear by default.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable, Iterator, Mapping
from threading import Lock
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel


class Personal:
    """The mark of a personal field: ``Annotated[str, Personal]``. Free text about a
    person and what identifies them belong here; codes, scores, legal bases and the
    workflow's own bookkeeping do not."""


#: The value a personal field reads as once the citizen's key is destroyed.
ERASED_MARKER = "[slettet]"

_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[\*\])?(\.[A-Za-z_][A-Za-z0-9_]*(\[\*\])?)*$")

#: Text fields that are not personal data, as ``Model.field``, and why.
PUBLIC_TEXT: Mapping[str, str] = MappingProxyType(
    {
        # Codes from KL's code lists and their published labels: the same for everyone.
        "Coded.code": "a code from a published code list",
        "Coded.display": "the code list's own label",
        "InstrumentScore.instrument": "the instrument's name",
        "InstrumentScore.name": "the instrument's name",
        "InstrumentScore.version": "the instrument's version",
        "DomainScore.parts": "how the score was computed",
        # Identifiers of the workflow's own records and of staff acting in office.
        "NeedRegistered.case_id": "the case number",
        "AppealWindowOpened.case_id": "the case number",
        "AppealSentToAnkestyrelsen.case_id": "the case number",
        "DecisionReopened.appeal_id": "the appeal's stream",
        "InformationConsentGiven.case_id": "the case number",
        "VisitationOpened.caseworker_id": "the caseworker's staff id (acting in office)",
        "ConsentGiven.person_id": "the team member's id (access control reads it)",
        "ConsentRevoked.person_id": "the team member's id (access control reads it)",
        "ConfidentialityDeclarationRecorded.person_id": "the team member's id (access control reads it)",
        "ConfidentialityDeclarationRecorded.reference": "the signed declaration's document number",
        "RepresentativeRecorded.person_id": "the representative's id (access control reads it)",
        "RepresentativeRecorded.scope": "the command types a fuldmagt covers",
        "FileAccessAnswered.export_digest": "a SHA-256 of the export handed over",
        "UnitAssigned.unit": "the municipal unit responsible (organisation, not a person)",
        "UnitAssigned.previous_unit": "the municipal unit responsible before (organisation, not a person)",
        "Invitee.person_id": "the team member's id (access control reads it)",
        "Invitee.organisation": "an organisation, not a person",
        "TeamMemberJoined.person_id": "the team member's id",
        "TeamMemberDeclined.person_id": "the team member's id",
        "TeamMemberLeft.person_id": "the team member's id",
        "InvitationReminderSent.person_id": "the team member's id",
        "InvitationExpired.person_id": "the team member's id",
        "TeamApprovedByCitizen.members": "the team members' ids",
        "MeetingScheduled.participants": "the participants' ids",
        "MeetingHeld.attended": "the participants' ids",
        "PlanAdjusted.proposed_by": "the proposer's id",
        "PlanActivity.responsible": "the responsible team member's (or the citizen's) id",
        "ProposedRole.organisation": "an organisation, not a person",
        # The law and the process: the same words for every citizen.
        "DeadlineMissed.phase": "a phase of the process",
        "ApplicationReceived.applied_for": "service codes",
        "ApplicationReceived.applied_hours": "a number of hours",
        "ApplicationReceived.routed_to_elder_act": "service codes",
        "AppealWindowOpened.outcome": "granted / refused",
        "CaseInformationRecorded.ground": "the legal ground of the information",
        "ForumTextErased.basis": "the legal basis of erasing a forum text",
        # erasure's own event (domain.retention) holds nothing personal: key ids, case numbers, the rule met
        "PersonalDataErased.key_id": "the destroyed key's id",
        "PersonalDataErased.cases": "the case numbers",
        "PersonalDataErased.method": "how the data was erased",
        "RetainedCase.case": "the case number",
        "RetainedCase.rule": "the retention rule the case met",
        "ForumObservationSubmitted.pilot_ref": "a digest of the case and decision a proposal came from",
        "DecisionMade.appeal_guidance": "the standard klagevejledning",
        "HelpDecided.appeal_guidance": "the standard klagevejledning",
        "HelpDecided.forum_id": "the id of a target group's forum, made from a published code",
        "DecisionMade.rests_on": "ids of the case's information the decision rests on",
        "GrantedService.legal_basis": "a section of the law",
        "Arrangement.chosen_by": "citizen / municipality",
        "Arrangement.provider": "a provider (a business)",
        "Arrangement.trial": "the kind of trial arrangement",
        "Employer.approval": "the approval's reference",
        "Employer.cvr": "a business's CVR number",
        "LegacyEvaluationRecorded.quality_of_life": "scores",
        "LegacyEvaluationRecorded.self_determination": "scores",
        "LegacyEvaluationRecorded.value_domains": "scores",
        "LegacyEvaluationRecorded.recommendation": "continue / adjust / stop",
        "CitizensChoiceRecorded.chosen_by": "citizen / municipality",
        "CitizensChoiceRecorded.provider": "a provider (a business)",
        "CitizensChoiceRecorded.trial": "the kind of trial arrangement",
        # The KL Gateway delivery: receipts and rule messages (they never repeat a CPR number).
        "KLReportDelivered.case_id": "the case number",
        "KLReportDelivered.receipt": "KL's receipt id",
        "KLReportDelivered.report_id": "the report's id",
        "KLReportDelivered.sha256": "the report's digest",
        "KLReportDelivered.target": "the endpoint",
        "KLReportRejected.case_id": "the case number",
        "KLReportRejected.report_id": "the report's id",
        "RuleBroken.message": "a rule's message (no personal data)",
        "RuleBroken.resource": "a FHIR resource id",
        "RuleBroken.rule": "the rule's id",
        "KLDeliveryFailed.case_id": "the case number",
        "KLDeliveryFailed.report_id": "the report's id",
        "KLDeliveryFailed.error": "the transport's error",
        # The forum is anonymous by rule (domain/anonymity.py); its texts are still erasable (under the forum's key).
        "Judgement.owner": "the municipal unit or staff member who owns a proposal",
        "ProposalMade.owner": "the municipal unit or staff member who owns a proposal",
    }
)

#: Paths of older schema versions, whose classes no longer exist: still encrypted when an old payload is replayed.
_FIELDS: dict[str, tuple[str, ...]] = {
    "evaluation_recorded": ("reasons",),  # schema 1 had "reasons"; schema 2 keeps them in follow_up
}


_derived: dict[str, tuple[str, ...]] | None = None
_lock = Lock()


def _marked(metadata: Iterable[object]) -> bool:
    return any(m is Personal or isinstance(m, Personal) for m in metadata)


def _paths(annotation: object, path: str, seen: frozenset[type]) -> Iterator[str]:
    """The personal paths under a field of this annotation, at ``path``."""
    from pydantic import BaseModel

    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *metadata = typing.get_args(annotation)
        if _marked(metadata):
            yield path
        else:
            yield from _paths(inner, path, seen)
        return
    if origin in (list, tuple, set, frozenset):
        for arg in typing.get_args(annotation):
            if arg is not Ellipsis:
                yield from _paths(arg, f"{path}[*]", seen)
        return
    if origin is not None:  # a union, Optional, a Literal
        for arg in typing.get_args(annotation):
            yield from _paths(arg, path, seen)
        return
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation not in seen:
        yield from model_paths(annotation, f"{path}.", seen | {annotation})


def model_paths(model: type[BaseModel], prefix: str = "", seen: frozenset[type] = frozenset()) -> Iterator[str]:
    """Every personal path of a pydantic model's fields (a field's own marks, then its type's)."""
    from domain.messages import Event

    for name, field in model.model_fields.items():
        if not prefix and name in Event.model_fields:
            continue  # the header (actor, time) is the log's, not the payload's
        if _marked(field.metadata):
            yield f"{prefix}{name}"
        else:
            yield from _paths(field.annotation, f"{prefix}{name}", seen)


def event_classes() -> dict[str, type]:
    """Every event class, by its type name: the catalogue's (it collects them from the
    deciders; imported here, when the marks are first read, as it imports this module)."""
    from domain.catalogue import EVENTS

    return dict(EVENTS)


def _marks() -> dict[str, tuple[str, ...]]:
    global _derived
    if _derived is None:
        with _lock:
            if _derived is None:
                table = {}
                for event_type, cls in event_classes().items():
                    paths = tuple(dict.fromkeys(model_paths(cls)))
                    for path in paths:
                        assert _PATH.match(path), f"bad personal-data path {path!r} of {event_type!r}"
                    if paths:
                        table[event_type] = paths
                _derived = table
    return _derived


#: The event type whose payload identifies the citizen, and the path of the
#: identifier (the CPR number): the citizen's key is found or made from it.
SUBJECT_IDENTIFIER: Mapping[str, str] = MappingProxyType({"need_registered": "citizen.cpr"})


def register(event_type: str, paths: Iterable[str]) -> None:
    """Declare (or extend) the personal fields of an event type that has no class here
    (an older schema's, another team's); a class of ours marks its fields instead."""
    new = tuple(paths)
    for path in new:
        if not _PATH.match(path):
            raise ValueError(f"personal-data path {path!r} of {event_type!r} is not of the form a.b[*].c")
    _FIELDS[event_type] = tuple(dict.fromkeys((*_FIELDS.get(event_type, ()), *new)))


def personal_paths(event_type: str) -> tuple[str, ...]:
    """The personal fields of ``event_type``: its marks and any older schema's; an unknown type has none."""
    marked = _marks().get(event_type, ())
    extra = _FIELDS.get(event_type, ())
    return tuple(dict.fromkeys((*marked, *extra))) if extra else marked


def declared() -> Mapping[str, tuple[str, ...]]:
    """Every declaration, read-only (for documentation and tests)."""
    types = dict.fromkeys((*_marks(), *_FIELDS))
    return MappingProxyType({t: personal_paths(t) for t in types})


#: Who may order a citizen's personal data erased (the controller's decision,
#: carried out by the system's administrator or a team lead).
ERASURE_ROLES: tuple[str, ...] = ("administrator", "team_lead")
