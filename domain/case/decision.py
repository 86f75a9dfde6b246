"""The recommendation and the decision (visitation, VUM 2.0).

- The recommendation (indstilling): the caseworker proposes a decision; a team
  lead who is not the same person approves it or returns it with a comment.
  A caseworker decides only on an approved recommendation; a team lead may
  decide directly when someone else made the assessment (four eyes).
- The decision (afgørelse) grants, partly grants or refuses services from FFB
  "Social indsats", each with its SEL paragraph; written reasons unless granted
  in full (forvaltningslovens § 22), appeal guidance (§ 25), the Danish
  decision letter kept in the event. It waits for partshøring (§ 19, see
  ``domain/case/hearing.py``), refuses SEL §§ 83-86 for a citizen the municipality
  has assessed as covered by ældreloven (``domain/case/elder_act.py``) and follows the citizen's own choice of BPA, cash
  grant or individual budget (``domain/case/personalised.py``).
- A decision changed on appeal (reconsideration, or Ankestyrelsen changing it or
  sending it back) reopens it for a new one (retssikkerhedslovens §§ 66-68).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain import terminology
from domain.appeal import DecisionReopened, ReopenDecision, reopen_decision
from domain.case.assessment import AssessmentRecorded, Coded, _coded
from domain.case.concept import DECIDED, Changes, Concept, decides, enter
from domain.case.deadlines import ApplicationReceived
from domain.case.decision_letter import render_decision_letter
from domain.case.elder_act import ElderActAssessed, ElderActView, check_not_elder_act
from domain.case.hearing import (
    HearingException,
    HearingRecord,
    HearingView,
    check_heard,
)
from domain.case.personalised import Arrangement, CitizensChoiceRecorded, arrangement_for
from domain.case.revisitation import (
    Application,
    ApplicationsView,
    Revisitation,
)
from domain.errors import require
from domain.information import InformationCategory
from domain.legal import APPEAL_GUIDANCE_DA, FVL_22, FVL_24, check_legal_basis
from domain.messages import MAX_ITEMS, Code, Command, Event, Role
from domain.personal_data import Personal
from domain.phases import Phase


@cache
def social_services() -> terminology.CodeList:
    """FFB "Social indsats": the services (Ydelse) and placements (Tilbud) a decision grants."""
    ydelse, tilbud = terminology.services(), terminology.ffb().code_list("Social indsats", "Tilbud")
    return terminology.CodeList(system=terminology.ffb(), path=("Social indsats",), codes=ydelse.codes | tilbud.codes)


# -- services, recommendation and decision ---------------------------------


class Outcome(StrEnum):
    GRANTED = "granted"
    PARTLY_GRANTED = "partly_granted"
    REFUSED = "refused"


class ServiceInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    service: str = Field(max_length=100, description="FFB Social indsats code (Ydelse or Tilbud)")
    legal_basis: str = Field(max_length=100, description='e.g. "SEL § 85"')
    hours_per_week: float | None = Field(default=None, gt=0, le=168)
    budget_dkk_per_year: int | None = Field(default=None, gt=0, description="An individual budget instead of hours")


class GrantedService(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    service: Coded
    legal_basis: str
    hours_per_week: float | None = None
    arrangement: Arrangement | None = None


class RecommendDecision(Command):
    """The caseworker's indstilling: the decision they propose, for a team lead to approve."""

    title = "Recommend decision"
    type: Literal["recommend_decision"] = "recommend_decision"
    label = "Indstil afgørelse"
    intro = "Din indstilling til afgørelse. En teamleder godkender den eller sender den retur."
    outcome: Outcome
    services: list[ServiceInput] = Field(default_factory=list, max_length=MAX_ITEMS)
    reasons: str = Field(default="", max_length=8000)
    rests_on: list[Code] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="The legal rules a refusal rests on (FVL § 24)"
    )


class RecommendationMade(Event):
    type: Literal["recommendation_made"] = "recommendation_made"
    label = "Indstilling givet"
    number: int
    outcome: Outcome
    services: tuple[GrantedService, ...]
    reasons: Annotated[str, Personal]


class ReviewRecommendation(Command):
    title = "Review recommendation"
    type: Literal["review_recommendation"] = "review_recommendation"
    label = "Godkend eller returnér indstilling"
    intro = "Læs udredningen og indstillingen, og godkend eller returnér med en kommentar."
    roles = frozenset({Role.TEAM_LEAD})
    role_reason = "a recommendation is approved or returned by a team lead (four eyes)"
    approve: bool
    comment: str = Field(default="", max_length=4000)


class RecommendationApproved(Event):
    type: Literal["recommendation_approved"] = "recommendation_approved"
    label = "Indstilling godkendt"
    number: int
    comment: Annotated[str, Personal]


class RecommendationReturned(Event):
    type: Literal["recommendation_returned"] = "recommendation_returned"
    label = "Indstilling returneret"
    number: int
    comment: Annotated[str, Personal]


class MakeDecision(Command):
    title = "Make decision"
    type: Literal["make_decision"] = "make_decision"
    label = "Træf afgørelse"
    intro = "Afgørelsen sendes til borgeren som brev med begrundelse og klagevejledning."
    outcome: Outcome
    services: list[ServiceInput] = Field(default_factory=list, max_length=MAX_ITEMS)
    reasons: str = Field(default="", max_length=8000, description="Written reasons (FVL § 22)")
    rests_on: list[Code] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description='The legal rules a refusal rests on, e.g. ["SEL § 96"] (FVL § 24, stk. 1)',
    )
    hearing_exception: HearingException | None = Field(
        default=None, description="Why no hearing was held, where FVL § 19, stk. 2 applies"
    )


class DecisionMade(Event):
    type: Literal["decision_made"] = "decision_made"
    label = "Afgørelse truffet"
    category = InformationCategory.DECISION
    outcome: Outcome
    services: tuple[GrantedService, ...]
    reasons: Annotated[str, Personal]
    appeal_guidance: str
    letter: Annotated[str, Personal] = Field(
        default="", description="The decision letter as sent to the citizen (Danish)"
    )
    number: int = Field(default=1, description="1 for the first decision, 2 for one after reconsideration, ...")
    rests_on: tuple[str, ...] = ()
    hearing_exception: HearingException | None = None

    def legal_basis(self) -> str | None:
        return ", ".join(sorted({s.legal_basis for s in self.services} | set(self.rests_on))) or None


DECIDING_ROLES = (Role.CASEWORKER, Role.TEAM_LEAD)


class _Record(HearingRecord, Protocol):
    """What a decision reads of the visitation's record (``domain/case/visitation.py``)."""

    @property
    def application(self) -> ApplicationReceived | None: ...
    @property
    def applications(self) -> tuple[Application, ...]: ...
    @property
    def elder_act(self) -> ElderActAssessed | None: ...
    @property
    def choice(self) -> CitizensChoiceRecorded | None: ...
    @property
    def recommendation(self) -> Recommendation | None: ...
    @property
    def recommendations_made(self) -> int: ...
    @property
    def decisions(self) -> int: ...
    @property
    def reopened_by(self) -> str | None: ...


class DecisionView(HearingView, ElderActView, ApplicationsView, Protocol):
    """What the decision's rules read: the visitation's record, the assessment and the
    decision, the revisitation under way, and what the hearing, ældreloven and the
    applications read."""

    @property
    def assessment(self) -> AssessmentRecorded | None: ...
    @property
    def decision(self) -> DecisionMade | None: ...
    @property
    def revisitation(self) -> Revisitation | None: ...
    @property
    def visitation(self) -> _Record: ...


def _check_rests_on(outcome: Outcome, rests_on: list[str]) -> tuple[str, ...]:
    """FVL § 24, stk. 1: the reasons of a refusal name the rules it rests on."""
    bases = tuple(dict.fromkeys(check_legal_basis(b, field=f"rests_on[{i}]") for i, b in enumerate(rests_on)))
    require(
        outcome is not Outcome.REFUSED or bool(bases),
        f'et afslag skal henvise til de retsregler, det bygger på ({FVL_24}); angiv dem i rests_on, fx "SEL § 85"',
        rule="decision.rules_not_named",
        field="rests_on",
    )
    return bases


def _check_against_application(state: DecisionView, outcome: Outcome, services: tuple[GrantedService, ...]) -> None:
    """FVL § 22: what is granted is compared with what was applied for; anything less is
    not full success and needs reasons (so it cannot be called 'granted')."""
    application = state.visitation.application
    if application is None or outcome is not Outcome.GRANTED:
        return
    granted_bases = {s.legal_basis for s in services}
    missing = [b for b in application.applied_for if b not in granted_bases]
    fewer = []
    for basis, applied in application.applied_hours.items():
        hours = sum(s.hours_per_week or 0 for s in services if s.legal_basis == basis)
        if basis in granted_bases and hours < applied:
            fewer.append(f"{basis}: {hours:g} af {applied:g} timer om ugen")
    require(
        not missing and not fewer,
        "der bevilges mindre end ansøgt ("
        + "; ".join([*(f"{b} er ikke bevilget" for b in missing), *fewer])
        + f"). Det er ikke fuldt medhold: afgørelsen er delvis og skal begrundes ({FVL_22})",
        rule="decision.less_than_applied_for",
        field="outcome",
    )


def _check_outcome(outcome: Outcome, services: list[ServiceInput], reasons: str) -> None:
    if outcome is Outcome.REFUSED:
        require(
            not services,
            "a refusal grants no services; remove them or choose 'partly_granted'",
            rule="decision.refusal_with_services",
            field="services",
        )
    else:
        require(
            bool(services),
            f"a decision that is {outcome.value} must name at least one service (FFB Social indsats)",
            rule="decision.no_services",
            field="services",
        )
    require(
        outcome is Outcome.GRANTED or bool(reasons.strip()),
        "written reasons are required unless the application is granted in full (forvaltningsloven § 22)",
        rule="decision.reasons_required",
        field="reasons",
    )


def _granted_services(
    state: DecisionView | None, services: list[ServiceInput], at: datetime
) -> tuple[GrantedService, ...]:
    choice = state.visitation.choice if state is not None else None
    granted = []
    for i, item in enumerate(services):
        field = f"services[{i}]"
        service = social_services().check(item.service, field=f"{field}.service")
        check_not_elder_act(state, item.legal_basis, at.date(), field=f"{field}.legal_basis")
        basis = check_legal_basis(item.legal_basis, field=f"{field}.legal_basis")
        arrangement = (
            arrangement_for(choice, basis, item.hours_per_week, item.budget_dkk_per_year, field=f"{field}.legal_basis")
            if state is not None
            else None
        )
        granted.append(
            GrantedService(
                service=_coded(service), legal_basis=basis, hours_per_week=item.hours_per_week, arrangement=arrangement
            )
        )
    return tuple(granted)


def _same_services(a: tuple[GrantedService, ...], b: tuple[GrantedService, ...]) -> bool:
    key = lambda s: (s.service.code, s.legal_basis, s.hours_per_week)  # noqa: E731
    return sorted(map(key, a)) == sorted(map(key, b))


def recommend(state: DecisionView, c: RecommendDecision) -> list[Event]:
    require(
        state.assessment is not None,
        "a recommendation needs a recorded needs assessment first (VUM 2.0)",
        rule="decision.needs_assessment",
    )
    pending = state.visitation.recommendation
    require(
        pending is None or pending.status is not RecommendationStatus.PENDING,
        f"recommendation {pending.number if pending else ''} awaits the team lead's review",
        rule="recommendation.pending",
    )
    _check_outcome(c.outcome, c.services, c.reasons)
    _check_rests_on(c.outcome, c.rests_on)
    services = _granted_services(state, c.services, c.now)
    _check_against_application(state, c.outcome, services)
    return [
        RecommendationMade(
            occurred_at=c.now,
            actor=c.actor,
            number=state.visitation.recommendations_made + 1,
            outcome=c.outcome,
            services=services,
            reasons=c.reasons.strip(),
        )
    ]


def review(state: DecisionView, c: ReviewRecommendation) -> list[Event]:
    pending = state.visitation.recommendation
    require(
        pending is not None and pending.status is RecommendationStatus.PENDING,
        "there is no recommendation awaiting review",
        rule="recommendation.none_pending",
    )
    assert pending is not None  # refused above when missing
    require(
        c.actor.id != pending.by,
        f"{c.actor.id} made this recommendation; another person approves it (four eyes)",
        rule="recommendation.same_person",
        field="actor.id",
    )
    if c.approve:
        return [
            RecommendationApproved(occurred_at=c.now, actor=c.actor, number=pending.number, comment=c.comment.strip())
        ]
    require(
        bool(c.comment.strip()),
        "say why the recommendation is returned, so the caseworker can change it",
        rule="recommendation.return_needs_comment",
        field="comment",
    )
    return [RecommendationReturned(occurred_at=c.now, actor=c.actor, number=pending.number, comment=c.comment.strip())]


def make_decision(state: DecisionView, c: MakeDecision) -> list[Event]:
    record = state.visitation
    require(
        state.phase is Phase.VISITATION or record.reopened_by is not None,
        "a decision is made once; a new decision follows only when reconsideration of an appeal changes it "
        "(retssikkerhedslovens § 66)",
        rule="decision.already_made",
    )
    require(
        state.assessment is not None,
        "a decision needs a recorded needs assessment first (VUM 2.0)",
        rule="decision.needs_assessment",
    )
    assert state.assessment is not None  # refused above when missing
    revisiting = state.revisitation
    require(
        revisiting is None or state.assessment.occurred_at >= revisiting.since,
        f"the need changed on {revisiting.since:%d.%m.%Y}; record a new needs assessment before the new decision"
        if revisiting
        else "",
        rule="revisitation.needs_new_assessment",
    )
    _check_outcome(c.outcome, c.services, c.reasons)
    rests_on = _check_rests_on(c.outcome, c.rests_on)
    check_heard(state, full_grant=c.outcome is Outcome.GRANTED, at=c.now, exception=c.hearing_exception)
    services = _granted_services(state, c.services, c.now)
    _check_against_application(state, c.outcome, services)
    approved = (
        record.recommendation
        if record.recommendation and record.recommendation.status is RecommendationStatus.APPROVED
        else None
    )
    if c.actor.role is Role.CASEWORKER:
        require(
            approved is not None,
            "a caseworker decides on a recommendation a team lead has approved; send a recommendation (indstilling) first",
            rule="decision.needs_approved_recommendation",
        )
    elif approved is None:
        require(
            state.assessment.actor.id != c.actor.id,
            f"{c.actor.id} made the assessment; without an approved recommendation another person decides (four eyes)",
            rule="decision.four_eyes",
            field="actor.id",
        )
    if approved is not None:
        require(
            approved.outcome is c.outcome and _same_services(approved.services, services),
            f"the decision differs from the approved recommendation ({approved.outcome.value}, "
            f"{len(approved.services)} service(s)); send a new recommendation for a different decision",
            rule="decision.differs_from_recommendation",
        )
    number = record.decisions + 1
    decision = DecisionMade(
        occurred_at=c.now,
        actor=c.actor,
        outcome=c.outcome,
        services=services,
        reasons=c.reasons.strip(),
        appeal_guidance=APPEAL_GUIDANCE_DA,
        number=number,
        rests_on=rests_on,
        hearing_exception=c.hearing_exception if c.outcome is not Outcome.GRANTED else None,
    )
    letter = render_decision_letter(state, decision)
    return [decision.model_copy(update={"letter": letter})]


# -- what the case keeps of visitation --------------------------------------


class RecommendationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    RETURNED = "returned"


class Recommendation(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    by: str
    outcome: Outcome
    services: tuple[GrantedService, ...]
    reasons: str
    status: RecommendationStatus = RecommendationStatus.PENDING
    comment: str = ""


# -- how its events change the case --------------------------------------------
# (the visitation's record keeps them too: ``domain/case/visitation.py``)


def _decided(state: DecisionView, e: DecisionMade) -> Changes:
    if state.revisitation is not None:
        # the revisitation's decision: the help goes on under it where it was
        return enter(state.revisitation.from_phase, e.occurred_at, decision=e, revisitation=None)
    if e.outcome is not Outcome.REFUSED and state.phase in DECIDED:
        # a decision changed on reconsideration: the team and pilot go on under it
        return {"decision": e}
    return enter(Phase.REFUSED if e.outcome is Outcome.REFUSED else Phase.TEAM, e.occurred_at, decision=e)


def _reopened(state: DecisionView, e: DecisionReopened) -> Changes:
    if state.phase is Phase.CLOSED:
        # a closed case reopened by an appeal goes back to visitation for the new decision
        return enter(Phase.VISITATION, e.occurred_at, closed_reason=None)
    return {}


#: After a decision its appeal runs alongside; a reconsideration that changes the decision
#: reopens it for a new one (domain/appeal.py), whatever the phase, closed too (Rsl §§ 66-68).
AFTER_DECISION = frozenset({*DECIDED, Phase.REFUSED})

CONCEPT = Concept(
    "recommendation and decision",
    commands={
        RecommendDecision: decides(recommend, Phase.VISITATION),
        ReviewRecommendation: decides(review, Phase.VISITATION),
        MakeDecision: decides(make_decision, Phase.VISITATION, AFTER_DECISION),
        ReopenDecision: decides(reopen_decision, Phase.CLOSED, AFTER_DECISION),
    },
    events={
        RecommendationMade: None,
        RecommendationApproved: None,
        RecommendationReturned: None,
        DecisionMade: _decided,
        DecisionReopened: _reopened,
    },
)
