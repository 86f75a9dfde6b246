"""Which of the phase's commands the case would refuse now, whatever is typed.

``ALLOWED`` (domain/case/decider.py) says what a phase allows; some of those commands
still wait for something in the case (a recommendation for a team lead to
review, an accepted plan before the pilot starts). ``waiting_for`` names, for
each such command, the rule its decider would refuse it by, so a page offers
only the actions the case can take now and says why the others wait. Tests
give each command in those states and expect exactly that rule.
"""

from __future__ import annotations

from domain.case.decision import RecommendationStatus
from domain.case.team import InvitationStatus
from domain.messages import Role
from domain.phases import Phase


def waiting_for(state, *, person_id: str | None = None, role: Role | None = None) -> dict[str, str]:
    """Command type -> the rule id that refuses it now, for the case in ``state`` (a ``CaseState``)."""
    waits: dict[str, str] = {}
    record = state.visitation
    pending = record.recommendation
    if state.assessment is None:
        waits["recommend_decision"] = "decision.needs_assessment"
        waits["make_decision"] = "decision.needs_assessment"
    elif pending is not None and pending.status is RecommendationStatus.PENDING:
        waits["recommend_decision"] = "recommendation.pending"
    if pending is None or pending.status is not RecommendationStatus.PENDING:
        waits["review_recommendation"] = "recommendation.none_pending"
    if state.phase is not Phase.VISITATION and record.reopened_by is None:
        waits["make_decision"] = "decision.already_made"
    elif (
        role is Role.CASEWORKER
        and "make_decision" not in waits
        and (pending is None or pending.status is not RecommendationStatus.APPROVED)
    ):
        waits["make_decision"] = "decision.needs_approved_recommendation"
    elif (
        role is Role.TEAM_LEAD
        and "make_decision" not in waits
        and state.assessment is not None
        and (
            state.assessment.actor.id == person_id
            and (pending is None or pending.status is not RecommendationStatus.APPROVED)
        )
    ):
        waits["make_decision"] = "decision.four_eyes"
    if record.hearing is None or not record.hearing.is_open():
        waits["answer_hearing"] = "hearing.not_open"
    else:
        waits["start_hearing"] = "hearing.already_open"
    if record.application is not None:
        waits["receive_application"] = "application.already_received"

    members = list(state.team.values())
    joined = [m for m in members if m.status is InvitationStatus.JOINED]
    if state.team_approved:
        waits["approve_team"] = "team.already_approved"
    elif not joined:
        waits["approve_team"] = "team.empty"
    elif any(m.status is InvitationStatus.INVITED for m in members):
        waits["approve_team"] = "team.open_invitations"
    mine = state.team.get(person_id) if person_id else None
    if mine is None or mine.status is not InvitationStatus.INVITED:
        waits["answer_invitation"] = "team.no_open_invitation"
    if not state.team_approved:
        waits["propose_plan"] = "pilot.team_not_approved"
        waits["start_pilot"] = "pilot.team_not_approved"
    elif not (state.plan_accepted and state.proposed_plan is not None):
        waits["start_pilot"] = "pilot.plan_not_accepted"
    if state.proposed_plan is None:
        waits["answer_plan"] = "plan.none_proposed"
    elif state.plan_accepted:
        waits["answer_plan"] = "plan.already_accepted"
    if not any(m.kind.outside_municipality for m in members):
        waits["give_consent"] = "consent.not_on_team"
    if not any(c.revoked_at is None for c in state.consents.values()):
        waits["revoke_consent"] = "consent.none_in_force"
    if not joined:
        waits["change_team"] = "team.not_a_member"
    if not any(not m.held for m in state.meetings.values()):
        waits["record_meeting"] = "meeting.unknown"
    if state.baseline is not None:
        waits["record_baseline"] = "evaluation.baseline_already_recorded"
    if state.evaluation is not None:
        waits["record_evaluation"] = "evaluation.already_recorded"
    elif state.phase is Phase.EVALUATION:
        waits["close_case"] = "case.close_before_evaluation"
    return waits
