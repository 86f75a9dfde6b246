"""The team the citizen's situation calls for: proposed from the need and the
assessment, once the help is decided (domain/case/team_proposal.py)."""

from __future__ import annotations

from domain.case.need import LifeArea
from domain.case.team import MemberKind
from tests.domain.case.histories import CASEWORKER, decided
from tests.domain.gwt import CASE, NOW, Accepted

PROPOSE = {"type": "propose_team", "actor": CASEWORKER}


def proposal():
    state, _ = CASE.history(decided(), NOW)
    assert state.need is not None and state.assessment is not None
    return state.need, state.assessment


def test_the_citizen_is_always_on_the_proposed_team():
    from domain.case.team_proposal import propose_team

    roles = propose_team(None, None)
    assert len(roles) == 1 and roles[0].kind is None


def test_each_life_area_in_play_gets_staff_from_its_department():
    from domain.case.team_proposal import propose_team

    need, assessment = proposal()
    roles = propose_team(need, assessment)
    staff = {r.life_area: r.organisation for r in roles if r.kind is MemberKind.STAFF}
    # Jonas's need names work and relations; his assessment adds leisure (severity 2)
    assert staff[LifeArea.WORK] == "Jobcenter"
    assert staff[LifeArea.RELATIONS] == "Socialpsykiatri og handicap"
    assert staff[LifeArea.LEISURE] == "Kultur og fritid"


def test_relations_and_everyday_life_bring_volunteers_and_a_relative():
    from domain.case.team_proposal import propose_team

    need, assessment = proposal()
    kinds = [(r.life_area, r.kind) for r in propose_team(need, assessment)]
    assert (LifeArea.RELATIONS, MemberKind.VOLUNTEER) in kinds
    assert (LifeArea.WORK, MemberKind.VOLUNTEER) in kinds
    assert (LifeArea.RELATIONS, MemberKind.RELATIVE) in kinds


def test_a_condition_that_does_not_limit_adds_no_life_area():
    from domain.case.team_proposal import life_areas_in_play

    need, assessment = proposal()
    mild = assessment.model_copy(
        update={"conditions": tuple(c.model_copy(update={"severity": 1}) for c in assessment.conditions)}
    )
    assert life_areas_in_play(need, mild) == [LifeArea.WORK, LifeArea.RELATIONS]


def test_propose_team_is_recorded_on_the_case():
    Accepted("team.proposed", given=decided(), when=PROPOSE, then=["team_proposed"]).check(CASE)
    state, _ = CASE.history([*decided(), PROPOSE], NOW)
    assert state.team_proposal and state.team_proposal[0].organisation == "Borgeren selv"
