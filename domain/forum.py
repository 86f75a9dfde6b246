"""The standing cross-sector forum (SAMAKT) for one target group.

Volunteers and staff bring observations of citizens' needs, without anything
that identifies a citizen. At the forum's meetings each observation is judged
individual (it concerns one person: take it to that person's caseworker) or of
general relevance; a general one becomes a proposal with an owner and a
follow-up date, tracked until it is decided (seed 004: turning single
observations into shared knowledge across sectors).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from domain import terminology
from domain.anonymity import find_cpr, find_person_name
from domain.case.assessment import Coded
from domain.case.need import LifeArea
from domain.errors import DomainError, require
from domain.messages import MAX_ITEMS, Command, Event, Role, require_declared_role
from domain.personal_data import ERASED_MARKER, ERASURE_ROLES, Personal

FORUM_MEMBERS = (Role.VOLUNTEER, Role.STAFF, Role.CASEWORKER, Role.TEAM_LEAD)
FORUM_CHAIRS = (Role.CASEWORKER, Role.TEAM_LEAD, Role.STAFF)
#: Who may erase personal data, in the forum as in a case.
ERASERS = tuple(Role(role) for role in ERASURE_ROLES)


def forum_id(target_group_code: str) -> str:
    return f"forum-{target_group_code}"


class Relevance(StrEnum):
    INDIVIDUAL = "individual"
    GENERAL = "general"


class ProposalDecision(StrEnum):
    ADOPTED = "adopted"
    REJECTED = "rejected"


class ForumEntry(StrEnum):
    """What of the forum's can be erased: an observation, a meeting's minutes (with the
    proposals written in it), a proposal (with the reason it was decided)."""

    OBSERVATION = "observation"
    MEETING = "meeting"
    PROPOSAL = "proposal"


# -- commands and events ----------------------------------------------------


class OpenForum(Command):
    title = "Open forum"
    type: Literal["open_forum"] = "open_forum"
    label = "Åbn forum for målgruppen"
    target_group: str = Field(max_length=100, description="FFB Målgruppe code")


class ForumOpened(Event):
    type: Literal["forum_opened"] = "forum_opened"
    label = "Forum åbnet"
    target_group: Coded


class SubmitObservation(Command):
    title = "Submit observation"
    type: Literal["submit_forum_observation"] = "submit_forum_observation"
    label = "Giv forummet en iagttagelse"
    roles = frozenset(FORUM_MEMBERS)
    text: str = Field(min_length=10, max_length=4000, description="A need you have seen, without names or CPR numbers")
    life_area: LifeArea | None = None


class ForumObservationSubmitted(Event):
    type: Literal["forum_observation_submitted"] = "forum_observation_submitted"
    label = "Iagttagelse givet til forummet"
    number: int
    text: Annotated[str, Personal]
    life_area: LifeArea | None
    #: Brought by a case whose help was scaled (``help_decided`` with choice scale): a
    #: pilot's way of working proposed for the target group, judged like any observation.
    #: A digest of the case and decision (``pilot_ref``), so the forum takes it once
    #: without holding the case's id.
    pilot_ref: str | None = None


class ReceivePilotProposal(Command):
    """Issued by the forum's workflow when a case's decision to scale its help proposes the
    pilot's way of working to the forum of its target group (``domain.case.follow_up``). The forum
    gets the proposal, not the case: no case id, no citizen."""

    title = "Receive pilot proposal"
    issued_by_system = True
    type: Literal["receive_pilot_proposal"] = "receive_pilot_proposal"
    label = "Modtag forslag fra en pilot"
    text: str = Field(min_length=3, max_length=4000)
    pilot_ref: str = Field(min_length=16, max_length=64)


def pilot_ref(case_id: str, decision_number: int) -> str:
    """The forum's name for a case's scale decision: a digest, not the case id."""
    return hashlib.sha256(f"samskab-pilot/1|{case_id}|{decision_number}".encode()).hexdigest()[:32]


class Judgement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    observation: int = Field(ge=1)
    relevance: Relevance
    proposal: Annotated[str, Personal] = Field(default="", max_length=4000)
    owner: str = Field(default="", max_length=200, description="Who carries the proposal forward")
    follow_up: date | None = None


class HoldMeeting(Command):
    title = "Hold forum meeting"
    type: Literal["hold_forum_meeting"] = "hold_forum_meeting"
    label = "Hold forummøde"
    roles = frozenset(FORUM_CHAIRS)
    judgements: list[Judgement] = Field(default_factory=list, max_length=MAX_ITEMS)
    minutes: str = Field(min_length=3, max_length=8000)


class ForumMeetingHeld(Event):
    type: Literal["forum_meeting_held"] = "forum_meeting_held"
    label = "Forummøde holdt"
    number: int
    judgements: tuple[Judgement, ...]
    minutes: Annotated[str, Personal]


class ProposalMade(Event):
    type: Literal["forum_proposal_made"] = "forum_proposal_made"
    label = "Forslag stillet i forummet"
    number: int
    observation: int
    text: Annotated[str, Personal]
    owner: str
    follow_up: date


class DecideProposal(Command):
    title = "Decide proposal"
    type: Literal["decide_forum_proposal"] = "decide_forum_proposal"
    label = "Beslut forslag"
    roles = frozenset(FORUM_CHAIRS)
    proposal: int = Field(ge=1)
    decision: ProposalDecision
    reason: str = Field(min_length=3, max_length=4000)


class ProposalDecided(Event):
    type: Literal["forum_proposal_decided"] = "forum_proposal_decided"
    label = "Forslag besluttet"
    proposal: int
    decision: ProposalDecision
    reason: Annotated[str, Personal]


class RecordMeetingDue(Command):
    """Issued by the forum's workflow when a scheduled meeting falls due."""

    title = "Record forum meeting due"
    issued_by_system = True
    type: Literal["record_forum_meeting_due"] = "record_forum_meeting_due"
    label = "Registrér at forummøde skal holdes"


class ForumMeetingDue(Event):
    type: Literal["forum_meeting_due"] = "forum_meeting_due"
    label = "Forummøde skal holdes"
    waiting_observations: int


class EraseForumText(Command):
    """Erase an entry's texts (GDPR art. 17): screening is not proof, and a text that
    named a person after all must be erasable. Each forum text is kept under a key
    of its own event; the erasure is recorded (without the text) and then those
    keys are destroyed, so the text reads as erased everywhere, the log's chain intact."""

    title = "Erase forum text"
    type: Literal["erase_forum_text"] = "erase_forum_text"
    label = "Slet tekst i forummet"
    roles = frozenset(ERASERS)
    entry: ForumEntry
    number: int = Field(ge=1)
    basis: str = Field(min_length=3, max_length=200, description="The legal basis, e.g. 'GDPR art. 17(1)(d)'")


class ForumTextErased(Event):
    type: Literal["forum_text_erased"] = "forum_text_erased"
    label = "Tekst i forummet slettet"
    entry: ForumEntry
    number: int
    basis: str

    def legal_basis(self) -> str | None:
        return self.basis


#: The events that hold each entry's texts, with the payload field that carries the entry's number.
ENTRY_EVENTS: dict[ForumEntry, tuple[tuple[str, str], ...]] = {
    ForumEntry.OBSERVATION: ((ForumObservationSubmitted.model_fields["type"].default, "number"),),
    ForumEntry.MEETING: ((ForumMeetingHeld.model_fields["type"].default, "number"),),
    ForumEntry.PROPOSAL: ((ProposalMade.model_fields["type"].default, "number"),
                          (ProposalDecided.model_fields["type"].default, "proposal")),
}  # fmt: skip


def holds_entry_text(entry: ForumEntry, number: int, event_type: str, payload: dict) -> bool:
    """Whether a stored forum event holds texts of this entry."""
    return any(event_type == kind and payload.get(field) == number for kind, field in ENTRY_EVENTS[entry])


ForumCommand = Annotated[
    OpenForum
    | SubmitObservation
    | HoldMeeting
    | DecideProposal
    | RecordMeetingDue
    | EraseForumText
    | ReceivePilotProposal,
    Field(discriminator="type"),
]
ForumEvent = Annotated[
    ForumOpened
    | ForumObservationSubmitted
    | ForumMeetingHeld
    | ProposalMade
    | ProposalDecided
    | ForumMeetingDue
    | ForumTextErased,
    Field(discriminator="type"),
]
forum_command_adapter: TypeAdapter[ForumCommand] = TypeAdapter(ForumCommand)
forum_event_adapter: TypeAdapter[ForumEvent] = TypeAdapter(ForumEvent)


# -- state ------------------------------------------------------------------


class ForumObservation(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    text: str
    life_area: LifeArea | None
    by_role: Role
    submitted_at: datetime
    relevance: Relevance | None = None
    from_pilot: bool = False


class Proposal(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    observation: int
    text: str
    owner: str
    follow_up: date
    decision: ProposalDecision | None = None
    reason: str = ""


class ForumState(BaseModel):
    model_config = ConfigDict(frozen=True)

    forum_id: str | None = None
    target_group: Coded | None = None
    version: int = 0
    observations: dict[int, ForumObservation] = Field(default_factory=dict)
    proposals: dict[int, Proposal] = Field(default_factory=dict)
    meetings_held: int = 0
    meetings_due: int = 0
    #: The cases' scale decisions the forum has taken (``pilot_ref``).
    pilot_refs: frozenset[str] = frozenset()
    #: Entries whose texts were erased, as "observation-3".
    erased: frozenset[str] = frozenset()

    def waiting(self) -> list[ForumObservation]:
        return [o for o in self.observations.values() if o.relevance is None]

    def open_proposals(self) -> list[Proposal]:
        return [p for p in self.proposals.values() if p.decision is None]


def initial_forum_state() -> ForumState:
    return ForumState()


# -- decide -----------------------------------------------------------------


def _open(state: ForumState, c: OpenForum) -> list[Event]:
    require(state.target_group is None, "the forum is already open", rule="forum.already_open")
    concept = terminology.target_groups().check(c.target_group, field="target_group")
    return [
        ForumOpened(occurred_at=c.now, actor=c.actor, target_group=Coded(code=concept.code, display=concept.display))
    ]


def _screen(text: str) -> None:
    """What the forum reads names needs, not persons (GDPR art. 5(1)(c), see ``domain.anonymity``)."""
    if find_cpr(text):
        raise DomainError(
            "the observation holds a CPR number; the forum discusses needs, not persons: remove it",
            rule="forum.personal_identifier",
            field="text",
        )
    name = find_person_name(text)
    if name:
        raise DomainError(
            f"the observation seems to name a person ({name!r}); describe the need without names "
            "(take a single citizen's matter to their caseworker)",
            rule="forum.personal_identifier",
            field="text",
        )


def _submit(state: ForumState, c: SubmitObservation) -> list[Event]:
    _screen(c.text)
    return [
        ForumObservationSubmitted(
            occurred_at=c.now, actor=c.actor, number=len(state.observations) + 1, text=c.text, life_area=c.life_area
        )
    ]


def _hold_meeting(state: ForumState, c: HoldMeeting) -> list[Event]:
    events: list[Event] = [
        ForumMeetingHeld(
            occurred_at=c.now,
            actor=c.actor,
            number=state.meetings_held + 1,
            judgements=tuple(c.judgements),
            minutes=c.minutes,
        )
    ]
    judged: set[int] = set()
    next_proposal = len(state.proposals) + 1
    for i, j in enumerate(c.judgements):
        where = f"judgements[{i}]"
        observation = state.observations.get(j.observation)
        require(
            observation is not None,
            f"there is no observation number {j.observation}",
            rule="forum.unknown_observation",
            field=f"{where}.observation",
        )
        assert observation is not None  # refused above when missing
        require(
            observation.relevance is None and j.observation not in judged,
            f"observation {j.observation} is already judged",
            rule="forum.already_judged",
            field=f"{where}.observation",
        )
        judged.add(j.observation)
        if j.relevance is Relevance.INDIVIDUAL:
            require(
                not j.proposal.strip(),
                "an observation of individual relevance makes no proposal",
                rule="forum.individual_with_proposal",
                field=f"{where}.proposal",
            )
            continue
        require(
            bool(j.proposal.strip()),
            "an observation of general relevance becomes a proposal: write it",
            rule="forum.general_needs_proposal",
            field=f"{where}.proposal",
        )
        require(
            bool(j.owner.strip()),
            "a proposal needs an owner who carries it forward",
            rule="forum.proposal_needs_owner",
            field=f"{where}.owner",
        )
        require(
            j.follow_up is not None and j.follow_up > c.now.date(),
            "a proposal needs a follow-up date ahead",
            rule="forum.proposal_needs_follow_up",
            field=f"{where}.follow_up",
        )
        assert j.follow_up is not None  # refused above when missing
        events.append(
            ProposalMade(
                occurred_at=c.now,
                actor=c.actor,
                number=next_proposal,
                observation=j.observation,
                text=j.proposal.strip(),
                owner=j.owner.strip(),
                follow_up=j.follow_up,
            )
        )
        next_proposal += 1
    return events


def _decide_proposal(state: ForumState, c: DecideProposal) -> list[Event]:
    proposal = state.proposals.get(c.proposal)
    require(
        proposal is not None,
        f"there is no proposal number {c.proposal}",
        rule="forum.unknown_proposal",
        field="proposal",
    )
    assert proposal is not None  # refused above when missing
    require(
        proposal.decision is None,
        f"proposal {c.proposal} is already {proposal.decision}",
        rule="forum.already_decided",
        field="proposal",
    )
    return [
        ProposalDecided(occurred_at=c.now, actor=c.actor, proposal=c.proposal, decision=c.decision, reason=c.reason)
    ]


def _receive_pilot_proposal(state: ForumState, c: ReceivePilotProposal) -> list[Event]:
    require(c.pilot_ref not in state.pilot_refs, "the forum has this case's proposal already",
            rule="forum.proposal_already_received", field="pilot_ref")  # fmt: skip
    _screen(c.text)
    return [ForumObservationSubmitted(occurred_at=c.now, actor=c.actor, number=len(state.observations) + 1, text=c.text,
                                      life_area=None, pilot_ref=c.pilot_ref)]  # fmt: skip


def _erase_text(state: ForumState, c: EraseForumText) -> list[Event]:
    exists = {
        ForumEntry.OBSERVATION: c.number in state.observations,
        ForumEntry.MEETING: c.number <= state.meetings_held,
        ForumEntry.PROPOSAL: c.number in state.proposals,
    }[c.entry]
    require(exists, f"there is no {c.entry.value} number {c.number}", rule="forum.unknown_entry", field="number")
    require(f"{c.entry.value}-{c.number}" not in state.erased, f"{c.entry.value} {c.number} is already erased",
            rule="forum.already_erased", field="number")  # fmt: skip
    require(bool(c.basis.strip()), "say the legal basis of the erasure", rule="forum.basis_required", field="basis")
    return [ForumTextErased(occurred_at=c.now, actor=c.actor, entry=c.entry, number=c.number, basis=c.basis.strip())]


def _meeting_due(state: ForumState, c: RecordMeetingDue) -> list[Event]:
    return [ForumMeetingDue(occurred_at=c.now, actor=c.actor, waiting_observations=len(state.waiting()))]


# Each decider takes the one command class it is filed under; a dict's type cannot say so, hence Any.
_DECIDERS: dict[type[Command], Callable[[ForumState, Any], list[Event]]] = {
    OpenForum: _open,
    SubmitObservation: _submit,
    HoldMeeting: _hold_meeting,
    DecideProposal: _decide_proposal,
    RecordMeetingDue: _meeting_due,
    EraseForumText: _erase_text,
    ReceivePilotProposal: _receive_pilot_proposal,
}


def decide_forum(state: ForumState, command: Command) -> list[Event]:
    require(command.at is not None, "the command has no time", rule="forum.unstamped", field="at")
    if state.target_group is None and not isinstance(command, OpenForum):
        raise DomainError("the forum is not open yet", rule="forum.not_open")
    require_declared_role(command, rule="forum.role_not_allowed")
    return _DECIDERS[type(command)](state, command)


# -- evolve -----------------------------------------------------------------


def _apply(state: ForumState, event: Event) -> ForumState:
    match event:
        case ForumOpened():
            return state.model_copy(
                update={"target_group": event.target_group, "forum_id": forum_id(event.target_group.code)}
            )
        case ForumObservationSubmitted():
            seen = ForumObservation(
                number=event.number,
                text=event.text,
                life_area=event.life_area,
                by_role=event.actor.role,
                submitted_at=event.occurred_at,
                from_pilot=event.pilot_ref is not None,
            )
            refs = state.pilot_refs | {event.pilot_ref} if event.pilot_ref else state.pilot_refs
            return state.model_copy(
                update={"observations": {**state.observations, event.number: seen}, "pilot_refs": refs}
            )
        case ForumMeetingHeld():
            observations = dict(state.observations)
            for j in event.judgements:
                observations[j.observation] = observations[j.observation].model_copy(update={"relevance": j.relevance})
            return state.model_copy(update={"observations": observations, "meetings_held": event.number})
        case ProposalMade():
            proposal = Proposal(
                number=event.number,
                observation=event.observation,
                text=event.text,
                owner=event.owner,
                follow_up=event.follow_up,
            )
            return state.model_copy(update={"proposals": {**state.proposals, event.number: proposal}})
        case ProposalDecided():
            decided = state.proposals[event.proposal].model_copy(
                update={"decision": event.decision, "reason": event.reason}
            )
            return state.model_copy(update={"proposals": {**state.proposals, event.proposal: decided}})
        case ForumMeetingDue():
            return state.model_copy(update={"meetings_due": state.meetings_due + 1})
        case ForumTextErased():
            erased = state.erased | {f"{event.entry.value}-{event.number}"}
            if event.entry is ForumEntry.OBSERVATION:
                gone = state.observations[event.number].model_copy(update={"text": ERASED_MARKER})
                return state.model_copy(
                    update={"observations": {**state.observations, event.number: gone}, "erased": erased}
                )
            if event.entry is ForumEntry.PROPOSAL:
                proposal = state.proposals[event.number]
                gone_proposal = proposal.model_copy(
                    update={"text": ERASED_MARKER, "reason": ERASED_MARKER if proposal.reason else ""}
                )
                return state.model_copy(
                    update={"proposals": {**state.proposals, event.number: gone_proposal}, "erased": erased}
                )
            return state.model_copy(update={"erased": erased})  # the state keeps no minutes
    return state


def evolve_forum(state: ForumState, event: Event) -> ForumState:
    return _apply(state, event).model_copy(update={"version": state.version + 1})
