"""After the evaluation: the decision about the help, and the follow-ups that come after it.

The decision about the help (``DecideOnHelp``) is made like any decision: with
reasons (FVL § 22), with klagevejledning (FVL § 25) and its own appeal (it takes
the next decision number of the case, so its appeal has its own id), and after
a hearing where the law requires one (FVL § 19: a decision not wholly in the
citizen's favour). Its four choices:

- ``continue``: the help goes on; the case enters the ``follow_up`` phase;
- ``adjust``: a new pilot cycle on a new action plan (the case returns to the
  ``pilot`` phase with the plan, a fresh check-in count and evaluation);
- ``stop``: the help ends; the case may then be closed;
- ``scale``: the pilot's way of working is proposed to the standing forum of the
  citizen's target group (the event names the forum and the proposal, and the
  forum is told); for this citizen the help goes on, as with ``continue``.

Follow-up (serviceloven § 148, stk. 2: the municipality "skal løbende følge de
enkelte sager for at sikre sig, at hjælpen fortsat opfylder sit formål", with
attention to whether other help is needed, in cooperation with the citizen as
far as possible). The law sets no interval; the case's timer uses the
``follow_up`` setting (``PhaseDeadlines.follow_up``, yearly by default). When it
fires the case records that a follow-up is due; the caseworker records the
follow-up with its result:

- ``continue``: nothing changes; the next follow-up is due an interval later;
- ``adjust`` or ``stop``: a new decision about the help is needed (it is a
  decision: hearing, reasons, klagevejledning, appeal), so ``DecideOnHelp`` is
  open again;
- ``revisit``: the citizen's need has changed; a new application is received in
  the same case (see ``domain/case/revisitation.py``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain.anonymity import find_cpr, find_person_name
from domain.case.assessment import AssessmentRecorded
from domain.case.concept import Changes, Concept, decides, enter
from domain.case.evaluation import EvaluationRecorded
from domain.case.hearing import HearingException, HearingView, check_heard
from domain.case.pilot import ActionPlan
from domain.case.visitation import VisitationRecord
from domain.errors import require
from domain.forum import forum_id
from domain.information import InformationCategory
from domain.legal import APPEAL_GUIDANCE_DA, LegalBasis
from domain.messages import Command, Event
from domain.personal_data import Personal
from domain.phases import Phase


class HelpChoice(StrEnum):
    CONTINUE = "continue"
    ADJUST = "adjust"
    STOP = "stop"
    SCALE = "scale"

    @property
    def danish(self) -> str:
        return _CHOICE_DA[self]

    @property
    def in_citizens_favour(self) -> bool:
        """Whether the choice keeps the help as it is (no hearing needed, FVL § 19, stk. 1)."""
        return self in (HelpChoice.CONTINUE, HelpChoice.SCALE)


_CHOICE_DA = {
    HelpChoice.CONTINUE: "Hjælpen fortsætter, og vi følger op på den",
    HelpChoice.ADJUST: "Hjælpen justeres i et nyt forløb med en ny handleplan",
    HelpChoice.STOP: "Hjælpen ophører",
    HelpChoice.SCALE: "Hjælpen fortsætter, og arbejdsformen foreslås udbredt via forummet for målgruppen",
}


class DecideOnHelp(Command):
    """The decision about the help after the evaluation or a follow-up."""

    title = "Decide on the help"
    type: Literal["decide_on_help"] = "decide_on_help"
    label = "Træf afgørelse om hjælpen"
    example = {"choice": "stop", "reasons": "Målene er nået; Jonas klarer sig nu selv"}
    choice: HelpChoice
    reasons: str = Field(
        default="", max_length=4000, description="Why (FVL § 22); required unless the help continues unchanged"
    )
    plan: ActionPlan | None = Field(default=None, description="The new action plan; required when the choice is adjust")
    forum_proposal: str = Field(
        default="", max_length=4000, description="What the forum should consider; required when the choice is scale"
    )
    hearing_exception: HearingException | None = None


class HelpDecided(Event):
    type: Literal["help_decided"] = "help_decided"
    label = "Afgørelse om hjælpen"
    category = InformationCategory.DECISION
    fixed_basis = LegalBasis.SEL_148_2
    number: int = Field(description="The case's decision number (its appeal's id uses it)")
    choice: HelpChoice
    reasons: Annotated[str, Personal]
    plan: ActionPlan | None = None
    forum_id: str | None = None
    forum_proposal: Annotated[str, Personal] = ""
    appeal_guidance: str = APPEAL_GUIDANCE_DA
    letter: Annotated[str, Personal] = ""


class RecordFollowUpDue(Command):
    """Issued by the workflow when the follow-up interval has passed."""

    title = "Record follow-up due"
    issued_by_system = True
    type: Literal["record_follow_up_due"] = "record_follow_up_due"
    label = "Registrér at opfølgning skal holdes"
    number: int = Field(ge=1)


class FollowUpDue(Event):
    type: Literal["follow_up_due"] = "follow_up_due"
    label = "Opfølgning skal holdes"
    fixed_basis = LegalBasis.SEL_148_2
    number: int


class FollowUpResult(StrEnum):
    CONTINUE = "continue"
    ADJUST = "adjust"
    REVISIT = "revisit"
    STOP = "stop"


class RecordFollowUp(Command):
    title = "Record follow-up"
    type: Literal["record_follow_up"] = "record_follow_up"
    label = "Registrér opfølgning"
    example = {"result": "continue", "notes": "Det går godt i jobbet", "citizen_took_part": True}
    result: FollowUpResult
    notes: str = Field(min_length=3, max_length=4000, description="What was found, with the citizen where possible")
    citizen_took_part: bool = Field(description="SEL § 148, stk. 2: in cooperation with the citizen as far as possible")


class FollowUpRecorded(Event):
    type: Literal["follow_up_recorded"] = "follow_up_recorded"
    label = "Opfølgning registreret"
    fixed_basis = LegalBasis.SEL_148_2
    number: int
    result: FollowUpResult
    notes: Annotated[str, Personal]
    citizen_took_part: bool


class FollowUpRecord(BaseModel):
    """What the case holds of its follow-ups: counts and the last result, not their texts."""

    model_config = ConfigDict(frozen=True)

    #: The decision about the help now in force (None before the first).
    help: HelpChoice | None = None
    help_decided_at: datetime | None = None
    help_decisions: int = 0
    #: The new pilot cycles an adjustment of the help has started (0 while the first pilot is the only one).
    cycles: int = 0
    #: Follow-ups recorded, and the number of the last one that fell due.
    recorded: int = 0
    due: int = 0
    last_at: datetime | None = None
    last_result: FollowUpResult | None = None

    @property
    def help_ended(self) -> bool:
        return self.help is HelpChoice.STOP


class FollowUpView(HearingView, Protocol):
    """What the follow-up reads: the phase, the evaluation, its own record, the visitation's
    record (the decisions so far, an appeal's reopening), and what a hearing reads."""

    @property
    def phase_since(self) -> datetime | None: ...
    @property
    def assessment(self) -> AssessmentRecorded | None: ...
    @property
    def evaluation(self) -> EvaluationRecorded | None: ...
    @property
    def follow_up(self) -> FollowUpRecord: ...
    @property
    def visitation(self) -> VisitationRecord: ...


def help_decision_open(state: FollowUpView) -> bool:
    """Whether a decision about the help may be made now: after the evaluation, after a
    follow-up that found the help must change, or when an appeal reopened the decision."""
    record = state.follow_up
    if state.visitation.reopened_by is not None and record.help is not None:
        return True
    if state.phase is Phase.EVALUATION:
        # once per evaluation: each pilot cycle ends in its own evaluation and decision
        evaluation = state.evaluation
        return evaluation is not None and (
            record.help_decided_at is None or record.help_decided_at < evaluation.occurred_at
        )
    if state.phase is Phase.FOLLOW_UP:
        return record.last_result in (FollowUpResult.ADJUST, FollowUpResult.STOP) and not record.help_ended
    return False


def decide_on_help(state: FollowUpView, c: DecideOnHelp) -> list[Event]:
    require(
        help_decision_open(state),
        "a decision about the help follows the evaluation, a follow-up that found the help must be adjusted or "
        f"stopped, or a reopened decision ({LegalBasis.SEL_148_2.value}); none of these is the case now (phase {state.phase.value})",
        rule="help.not_open",
        field="type",
    )
    reasons = c.reasons.strip()
    require(
        c.choice is HelpChoice.CONTINUE or len(reasons) >= 3,
        f"a decision to {c.choice.value} the help needs its reasons (forvaltningsloven § 22)",
        rule="help.needs_reasons",
        field="reasons",
    )
    require(
        (c.plan is not None) == (c.choice is HelpChoice.ADJUST),
        "an adjusted help needs the new action plan, and only an adjustment takes one",
        rule="help.plan_with_adjust",
        field="plan",
    )
    proposal = c.forum_proposal.strip()
    require(
        bool(proposal) == (c.choice is HelpChoice.SCALE),
        "scaling the help is a proposal to the target group's forum: write what it should consider (and only then)",
        rule="help.scale_needs_proposal",
        field="forum_proposal",
    )
    named = find_cpr(proposal) or find_person_name(proposal) if proposal else None
    require(
        not named,
        f"the proposal goes to the forum, which discusses needs, not persons: it seems to name one ({named!r})",
        rule="help.proposal_names_a_person",
        field="forum_proposal",
    )
    # No check that a target group exists: a case decides on its help only after a decision,
    # a decision only on an assessment (decision.needs_assessment), and an assessment always
    # names the target group, so a proposal always has its forum.
    target_group = state.assessment.target_group.code if state.assessment is not None else None
    check_heard(state, full_grant=c.choice.in_citizens_favour, at=c.now, exception=c.hearing_exception)
    number = state.visitation.decisions + 1
    name = state.citizen.name if state.citizen else "borger"
    letter = "\n".join(
        [
            f"Afgørelse nr. {number} i sag {state.case_id} – {c.now:%d.%m.%Y}",
            "",
            f"Kære {name}",
            "",
            f"{c.choice.danish}.",
            "",
            f"Begrundelse: {reasons or 'Hjælpen opfylder sit formål.'}",
            "",
            APPEAL_GUIDANCE_DA,
        ]
    )
    return [
        HelpDecided(
            occurred_at=c.now,
            actor=c.actor,
            number=number,
            choice=c.choice,
            reasons=reasons,
            plan=c.plan,
            forum_id=forum_id(target_group) if c.choice is HelpChoice.SCALE and target_group else None,
            forum_proposal=proposal,
            letter=letter,
        )
    ]


def record_follow_up_due(state: FollowUpView, c: RecordFollowUpDue) -> list[Event]:
    record = state.follow_up
    require(
        c.number == record.due + 1,
        f"follow-up {record.due + 1} is the next one due",
        rule="follow_up.out_of_order",
        field="number",
    )
    return [FollowUpDue(occurred_at=c.now, actor=c.actor, number=c.number)]


def record_follow_up(state: FollowUpView, c: RecordFollowUp) -> list[Event]:
    record = state.follow_up
    require(
        not record.help_ended,
        "the help has ended; there is nothing left to follow up (close the case)",
        rule="follow_up.help_ended",
    )
    require(
        record.last_result not in (FollowUpResult.ADJUST, FollowUpResult.STOP),
        f"follow-up {record.recorded} found the help must be {record.last_result.value if record.last_result else ''}; "
        "decide on the help before the next follow-up",
        rule="follow_up.decision_pending",
    )
    return [
        FollowUpRecorded(
            occurred_at=c.now,
            actor=c.actor,
            number=record.recorded + 1,
            result=c.result,
            notes=c.notes.strip(),
            citizen_took_part=c.citizen_took_part,
        )
    ]


def evolve_follow_up(record: FollowUpRecord, event: Event) -> FollowUpRecord:
    match event:
        case HelpDecided():
            return record.model_copy(
                update={
                    "help": event.choice,
                    "help_decided_at": event.occurred_at,
                    "help_decisions": record.help_decisions + 1,
                    "cycles": record.cycles + (1 if event.choice is HelpChoice.ADJUST else 0),
                    # a new decision settles what the last follow-up found
                    "last_result": None,
                    "last_at": event.occurred_at if event.choice is not HelpChoice.ADJUST else record.last_at,
                }
            )
        case FollowUpDue():
            return record.model_copy(update={"due": event.number})
        case FollowUpRecorded():
            return record.model_copy(
                update={
                    "recorded": event.number,
                    "last_at": event.occurred_at,
                    "last_result": event.result,
                    "due": max(record.due, event.number),
                }
            )
    return record


def next_follow_up_at(state: FollowUpView, interval) -> datetime | None:
    """When the next follow-up falls due: an interval after the last follow-up (or the
    decision that started the follow-up); None when the case is not in follow-up."""
    record = state.follow_up
    if state.phase is not Phase.FOLLOW_UP or record.help_ended or interval is None:
        return None
    since = record.last_at or record.help_decided_at or state.phase_since
    return since + interval if since is not None else None


FOLLOW_UP_EVENTS = (HelpDecided, FollowUpDue, FollowUpRecorded)


def _help_decided(state: FollowUpView, e: HelpDecided) -> Changes:
    # a decision about the help is a decision of the case: it takes the next decision
    # number, and settles a reopened one
    decisions = {"decisions": state.visitation.decisions + 1, "reopened_by": None}
    record = {
        "follow_up": evolve_follow_up(state.follow_up, e),
        "visitation": state.visitation.model_copy(update=decisions),
    }
    if e.choice is HelpChoice.ADJUST:
        # a new pilot cycle on the new plan: check-ins, baseline and evaluation start afresh
        return enter(Phase.PILOT, e.occurred_at, plan=e.plan, check_ins=0, baseline=None, evaluation=None,
                     pilot_result=None, **record)  # fmt: skip
    if e.choice is HelpChoice.STOP or state.phase is Phase.FOLLOW_UP:
        return record
    return enter(Phase.FOLLOW_UP, e.occurred_at, **record)


def _record(state: FollowUpView, e: Event) -> Changes:
    return {"follow_up": evolve_follow_up(state.follow_up, e)}


#: SEL § 148: the help is followed up for as long as it is given.
CONCEPT = Concept(
    "follow-up",
    commands={
        DecideOnHelp: decides(decide_on_help, Phase.EVALUATION, Phase.FOLLOW_UP),
        RecordFollowUpDue: decides(record_follow_up_due, Phase.FOLLOW_UP),
        RecordFollowUp: decides(record_follow_up, Phase.FOLLOW_UP),
    },
    events={HelpDecided: _help_decided, FollowUpDue: _record, FollowUpRecorded: _record},
)
