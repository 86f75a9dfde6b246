"""The case's state: what every concept keeps of the case, in one frozen model.

Each concept reads it through its own view (a ``Protocol`` in its module) and changes it
only by the changes its evolvers return; the workflow carries it, the projections fold
it and the pages read it. ``_views`` below is the type checker's proof that the case
gives every concept the view it asks for.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from domain.case.assessment import AssessmentRecorded
from domain.case.consent import Consent, consent_covers
from domain.case.deadlines import DeadlineMissed
from domain.case.decision import DecisionMade
from domain.case.evaluation import BaselineRecorded, EvaluationRecorded
from domain.case.file_access import FileAccessRequest
from domain.case.follow_up import FollowUpRecord
from domain.case.meetings import Meeting, Observation
from domain.case.need import Need
from domain.case.pilot import ActionPlan, PilotCompleted
from domain.case.representatives import Representation
from domain.case.revisitation import Revisitation
from domain.case.team import TeamMember, joined_members, open_invitations
from domain.case.team_proposal import ProposedRole
from domain.case.visitation import VisitationRecord
from domain.citizen import Citizen
from domain.information import InformationCategory
from domain.phases import Phase

if TYPE_CHECKING:
    from domain.case.closing import ClosingView
    from domain.case.consent import ConsentView
    from domain.case.decision import DecisionView
    from domain.case.elder_act import ElderActView
    from domain.case.evaluation import EvaluationView
    from domain.case.file_access import FileAccessView
    from domain.case.follow_up import FollowUpView
    from domain.case.hearing import HearingView
    from domain.case.meetings import MeetingsView
    from domain.case.pilot import PilotView
    from domain.case.processing_notice import NoticeView
    from domain.case.representatives import RepresentativesView
    from domain.case.revisitation import RevisitationView
    from domain.case.team import TeamContext
    from domain.case.team_proposal import ProposalView
    from domain.case.units import UnitView
    from domain.case.visitation import VisitationView


class CaseState(BaseModel):
    """Everything the rules need to know about a case, and what a caseworker sees."""

    model_config = ConfigDict(frozen=True)

    case_id: str | None = None
    version: int = 0
    phase: Phase = Phase.NEW
    phase_since: datetime | None = None
    citizen: Citizen | None = None
    need: Need | None = None
    caseworker_id: str | None = None
    assessment: AssessmentRecorded | None = None
    decision: DecisionMade | None = None
    team: dict[str, TeamMember] = Field(default_factory=dict)
    team_approved: bool = False
    team_change_requests: tuple[str, ...] = ()
    consents: dict[str, Consent] = Field(default_factory=dict)
    #: The day each volunteer's or relative's tavshedserklæring was signed (domain/case/consent.py).
    confidentiality_declarations: dict[str, date] = Field(default_factory=dict)
    team_proposal: tuple[ProposedRole, ...] = ()
    proposed_plan: ActionPlan | None = None
    plan_accepted: bool = False
    plan_change_requests: tuple[str, ...] = ()
    plan: ActionPlan | None = None
    plan_adjustments: int = 0
    meetings: dict[int, Meeting] = Field(default_factory=dict)
    check_ins: int = 0
    #: The most recent observations (``OBSERVATIONS_KEPT``); every one is in the event log.
    observations: tuple[Observation, ...] = ()
    #: How many observations the case has recorded in all.
    observations_recorded: int = 0
    pilot_result: PilotCompleted | None = None
    baseline: BaselineRecorded | None = None
    evaluation: EvaluationRecorded | None = None
    missed_deadlines: tuple[DeadlineMissed, ...] = ()
    visitation: VisitationRecord = Field(default_factory=VisitationRecord)
    closed_reason: str | None = None
    #: The team or unit the case belongs to (need-to-know, domain/case/units.py); None until assigned.
    unit: str | None = None
    #: Requests for aktindsigt by number (FVL § 9, domain/case/file_access.py).
    file_access_requests: dict[int, FileAccessRequest] = Field(default_factory=dict)
    #: Representatives and their fuldmagter by number (FVL § 8, domain/case/representatives.py).
    representatives: dict[int, Representation] = Field(default_factory=dict)
    #: The decision about the help and the follow-ups after it (SEL § 148, domain/case/follow_up.py).
    follow_up: FollowUpRecord = Field(default_factory=FollowUpRecord)
    #: The revisitation under way (a changed need, domain/case/revisitation.py), and how many there have been.
    revisitation: Revisitation | None = None
    revisitations: int = 0

    def joined_members(self) -> list[TeamMember]:
        return joined_members(self)

    def open_invitations(self) -> list[TeamMember]:
        return open_invitations(self)

    def consent_covers(self, person_id: str, category: InformationCategory, at: datetime) -> bool:
        """Whether the citizen's consent lets ``person_id`` see ``category`` at ``at``."""
        return consent_covers(self, person_id, category, at)


def initial_state() -> CaseState:
    return CaseState()


if TYPE_CHECKING:

    def _views(state: CaseState) -> None:
        """Type-checked only: the case is every concept's view of it."""
        views: tuple[
            VisitationView, DecisionView, HearingView, ElderActView, NoticeView, RevisitationView, TeamContext, ProposalView,
            ConsentView, PilotView, MeetingsView, EvaluationView, FollowUpView, ClosingView, RepresentativesView,
            FileAccessView, UnitView,
        ] = (state, state, state, state, state, state, state, state, state, state, state, state, state, state, state,
             state, state)  # fmt: skip
        del views
