"""Visitation as the law has it, decider by decider: given events, when a command,
then events or the refusal a caseworker reads (FFB/FSIII codes, FVL §§ 19, 22, 25,
Rsl §§ 3 stk. 2, 11 a, ældreloven, SEL §§ 95-96)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import terminology
from domain.case.assessment import AssessmentRecorded, RecordAssessment, experiences_limitations, referral_sources
from domain.case.deadlines import PhaseDeadlines
from domain.case.decider import command_adapter, decide, fold, initial_state
from domain.case.elder_act import pension_age, pension_age_reached_on
from domain.errors import DomainError
from domain.phases import Phase
from tests import scenario

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CW, TL, CITIZEN = scenario.CASEWORKER, scenario.TEAM_LEAD, scenario.CITIZEN
OTHER_TL = {"id": "tl-eva", "role": "team_lead"}
SYSTEM = {"id": "samskab", "role": "system"}
BPA = {
    "service": scenario.code(terminology.services(), "Støtte til daglige opgaver i hjemmet"),
    "legal_basis": "SEL § 96",
    "hours_per_week": 40,
}
SEL85 = {
    "service": scenario.code(terminology.services(), "Støtte til beskæftigelse"),
    "legal_basis": "SEL § 85",
    "hours_per_week": 3,
}


def command(data: dict, at: datetime = NOW):
    return command_adapter.validate_python(data).model_copy(update={"at": at})


def given_(*commands: dict, at: datetime = NOW, cpr: str = "0412981234"):
    state = initial_state()
    for data in commands:
        state = fold(decide(state, command(data, at)), state)
    return state


def refused(state, data: dict, at: datetime = NOW) -> DomainError:
    with pytest.raises(DomainError) as error:
        decide(state, command(data, at))
    return error.value


def assessed(cpr: str = "0412981234", heard: bool = True):
    """A case in visitation with its VUM assessment, heard (FVL § 19) unless ``heard`` is False."""
    return given_(
        scenario.register("case-1", citizen={"cpr": cpr, "name": "Mikkel Sørensen"}),
        {"type": "open_visitation", "actor": CW},
        scenario.assessment(),
        *(scenario.heard() if heard else ()),
    )


def after(state, *commands: dict, at: datetime = NOW):
    for data in commands:
        state = fold(decide(state, command(data, at)), state)
    return state


def decision(outcome="partly_granted", services=(SEL85,), reasons="Behovet er delvist dækket", actor=TL) -> dict:
    return {"type": "make_decision", "actor": actor, "outcome": outcome, "services": list(services), "reasons": reasons}


def recommendation(outcome="partly_granted", services=(SEL85,), reasons="Behovet er delvist dækket") -> dict:
    return {**decision(outcome, services, reasons, CW), "type": "recommend_decision"}


CONSENT = {
    "type": "consent_to_obtain_information",
    "actor": CITIZEN,
    "information": ["Lægeerklæring om gangfunktion"],
    "from_whom": ["Egen læge"],
    "case_id": "case-1",
}
DOCTOR = {
    "type": "record_case_information",
    "actor": CW,
    "source": "Egen læge",
    "summary": "Kan gå 100 meter med rollator",
}
HEARING = {"type": "start_hearing", "actor": CW, "answer_within_days": 14}
CHOICE_BPA = {
    "type": "record_citizens_choice",
    "actor": CITIZEN,
    "option": "bpa",
    "employer": {"kind": "relative", "name": "Sofie"},
}


# -- assessment ---------------------------------------------------------------


def test_the_assessment_records_support_need_limitations_area_group_and_referral():
    data = scenario.assessment()
    data["referral_source"] = scenario.code(referral_sources(), "Pårørende")
    data["conditions"][0]["support_need"] = scenario.code(terminology.support_need_levels(), "Højt støttebehov")
    data["conditions"][0]["experiences_limitations"] = scenario.code(experiences_limitations(), "Oplever begrænsninger")
    state = given_(scenario.register("case-1"), {"type": "open_visitation", "actor": CW}, data)
    first, second = state.assessment.conditions
    assert first.support_need.display == "Højt støttebehov"
    assert second.support_need.display == "Ikke vurderet"
    assert first.experiences_limitations.display == "Oplever begrænsninger"
    assert (first.area.display, first.group.display) == ("Samfundsliv", "Aktivitet og deltagelse")
    assert state.assessment.referral_source.display == "Pårørende"
    assert first.citizen_words == "Jeg vil gerne have et arbejde, men jobsamtaler er for meget"


def test_a_function_level_may_be_given_as_its_ffb_code_and_must_agree_with_a_severity():
    data = scenario.assessment()
    data["conditions"][1]["severity"] = None
    data["conditions"][1]["function_level"] = scenario.code(terminology.function_levels(), "Ikke vurderet")
    state = given_(scenario.register("case-1"), {"type": "open_visitation", "actor": CW}, data)
    assert state.assessment.conditions[1].function_level.display == "Ikke vurderet"
    data["conditions"][0]["function_level"] = scenario.code(terminology.function_levels(), "Let nedsat funktionsevne")
    error = refused(given_(scenario.register("case-1"), {"type": "open_visitation", "actor": CW}), data)
    assert error.rule == "assessment.level_mismatch" and error.field == "conditions[0].function_level"


@pytest.mark.parametrize(
    ("field", "path", "wrong_list_display", "list_name"),
    [
        ("support_need", ("conditions", 0, "support_need"), "Let nedsat funktionsevne", 'FFB "Støttebehovsniveau"'),
        ("function_level", ("conditions", 0, "function_level"), "Let støttebehov", 'FFB "Funktionsevneniveau"'),
        ("experiences_limitations", ("conditions", 0, "experiences_limitations"), "Borger", 'FSIII "Betydning"'),
        ("referral_source", ("referral_source",), "Oplever begrænsninger", 'FSIII "Henvendelse/henvisning fra"'),
    ],
)
def test_a_code_from_the_wrong_list_is_refused_naming_field_code_and_list(field, path, wrong_list_display, list_name):
    wrong = next(c.code for s in terminology.load_all() for c in s.concepts.values() if c.display == wrong_list_display)
    data = scenario.assessment()
    data["conditions"][0]["severity"] = None
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = wrong
    error = refused(given_(scenario.register("case-1"), {"type": "open_visitation", "actor": CW}), data)
    assert error.rule == "terminology.wrong_list"
    assert (
        error.field is not None
        and error.field.endswith(field)
        and wrong in error.message
        and list_name in error.message
    )


def test_one_of_the_three_groups_is_not_a_condition():
    data = scenario.assessment()
    data["conditions"][0]["condition"] = terminology.ffb().find("FFB tilstande", "Omgivelsesfaktorer").code
    error = refused(given_(scenario.register("case-1"), {"type": "open_visitation", "actor": CW}), data)
    assert error.rule == "assessment.group_not_condition" and error.field == "conditions[0].condition"


def test_a_level_outside_the_scale_is_refused_by_the_model():
    data = scenario.assessment()
    data["conditions"][0]["severity"] = 5
    with pytest.raises(Exception, match="severity"):
        command(data)


CONDITION_CODES = sorted(terminology.conditions().codes)
ANY_CODE = sorted({c for s in terminology.load_all() for c in s.concepts})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    conditions=st.lists(
        st.tuples(
            st.sampled_from(CONDITION_CODES),
            st.one_of(st.none(), st.integers(0, 4)),
            st.one_of(st.none(), st.sampled_from(ANY_CODE)),
            st.one_of(st.none(), st.sampled_from(ANY_CODE)),
            st.text(max_size=30),
        ),
        min_size=1,
        max_size=6,
    ),
    target_group=st.sampled_from([*ANY_CODE, "x", ""]),
)
def test_any_assessment_is_either_recorded_with_codes_from_the_right_lists_or_refused_naming_a_field(
    conditions, target_group
):
    data = {
        "type": "record_assessment",
        "actor": CW,
        "target_group": target_group,
        "conditions": [
            {"condition": c, "severity": s, "support_need": n, "experiences_limitations": lim, "citizen_words": w}
            for c, s, n, lim, w in conditions
        ],
        "goals": [
            {"in_own_words": "Et mål", "goal_type": scenario.code(terminology.goal_types(), "Udvikle funktionsevne")}
        ],
    }
    state = given_(scenario.register("case-1"), {"type": "open_visitation", "actor": CW})
    try:
        events = decide(state, command(data))
    except DomainError as error:
        assert error.field and error.rule and error.message
        return
    (recorded,) = events
    assert isinstance(recorded, AssessmentRecorded)
    assert recorded.target_group.code in terminology.target_groups()
    for given_input, condition in zip(conditions, recorded.conditions, strict=True):
        assert condition.condition.code in terminology.conditions()
        assert condition.function_level.code in terminology.function_levels()
        assert condition.support_need is not None and condition.support_need.code in terminology.support_need_levels()
        assert condition.citizen_words == given_input[4]  # verbatim
        assert condition.area is not None and condition.group is not None


# -- recommendation and four eyes ---------------------------------------------


def test_a_caseworker_decides_only_on_an_approved_recommendation():
    error = refused(assessed(), decision(actor=CW))
    assert error.rule == "decision.needs_approved_recommendation"


def test_an_approved_recommendation_lets_the_caseworker_decide_as_recommended():
    state = after(assessed(), recommendation(), {"type": "review_recommendation", "actor": TL, "approve": True})
    state = after(state, decision(actor=CW))
    assert state.phase is Phase.TEAM and state.decision.outcome.value == "partly_granted"


def test_a_decision_that_differs_from_the_approved_recommendation_is_refused():
    state = after(assessed(), recommendation(), {"type": "review_recommendation", "actor": TL, "approve": True})
    error = refused(state, decision("granted", reasons="", actor=CW))
    assert error.rule == "decision.differs_from_recommendation"


def test_a_recommendation_is_reviewed_by_a_team_lead_who_did_not_make_it():
    state = after(assessed(), {**recommendation(), "actor": TL})
    assert (
        refused(state, {"type": "review_recommendation", "actor": TL, "approve": True}).rule
        == "recommendation.same_person"
    )
    assert refused(state, {"type": "review_recommendation", "actor": CW, "approve": True}).field == "actor.role"


def test_a_returned_recommendation_needs_a_comment_and_blocks_the_caseworkers_decision():
    state = after(assessed(), recommendation())
    assert refused(state, {"type": "review_recommendation", "actor": TL, "approve": False}).field == "comment"
    assert refused(state, recommendation()).rule == "recommendation.pending"
    state = after(state, {"type": "review_recommendation", "actor": TL, "approve": False, "comment": "Flere timer"})
    assert state.visitation.recommendation.status.value == "returned"
    assert refused(state, decision(actor=CW)).rule == "decision.needs_approved_recommendation"


def test_there_is_nothing_to_review_without_a_recommendation():
    assert (
        refused(assessed(), {"type": "review_recommendation", "actor": TL, "approve": True}).rule
        == "recommendation.none_pending"
    )


def test_a_team_lead_who_made_the_assessment_does_not_decide_alone():
    data = {**scenario.assessment(), "actor": TL}
    state = given_(scenario.register("case-1"), {"type": "open_visitation", "actor": CW}, data, *scenario.heard())
    assert refused(state, decision()).rule == "decision.four_eyes"


def test_a_second_decision_needs_a_reconsideration_that_changed_the_first():
    state = after(assessed(), decision("granted", reasons=""))
    assert refused(state, decision("granted", reasons="")).rule == "decision.already_made"
    reopened = after(
        state, {"type": "reopen_decision", "actor": SYSTEM, "appeal_id": "case-1-appeal-1", "reasons": "Ændret"}
    )
    state = after(reopened, decision("partly_granted"))
    assert state.decision.number == 2 and state.phase is Phase.TEAM


def test_only_the_system_reopens_a_decision():
    state = after(assessed(), decision("granted", reasons=""))
    assert refused(state, {"type": "reopen_decision", "actor": TL, "appeal_id": "x"}).field == "actor.role"


# -- the decision letter ----------------------------------------------------------


def test_the_decision_letter_is_danish_and_holds_services_reasons_hearing_and_appeal_guidance():
    state = after(
        assessed(), CONSENT, DOCTOR, HEARING, {"type": "answer_hearing", "actor": CITIZEN, "answer": "Jeg er uenig"}
    )
    state = after(state, decision())
    letter = state.decision.letter
    assert "Vi har delvist bevilget" in letter and "Støtte til beskæftigelse efter SEL § 85" in letter
    assert "Behovet er delvist dækket" in letter and "forvaltningslovens § 22" in letter
    assert '"Jeg er uenig"' in letter and "Ankestyrelsen" in letter and "Mikkel Sørensen" in letter


def test_a_full_grant_says_why_it_gives_no_reasons():
    letter = after(assessed(), decision("granted", reasons="")).decision.letter
    assert "fuldt medhold" in letter


# -- consent to collect information (Rsl § 11 a) -------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"information": ["Alle oplysninger"]}, "information[0]"),
        ({"from_whom": ["Alle relevante myndigheder"]}, "from_whom[0]"),
        ({"from_whom": ["Egen læge", "enhver anden"]}, "from_whom[1]"),
        ({"information": ["ok"]}, "information[0]"),
    ],
)
def test_a_blanket_consent_is_refused_with_the_reason(change, field):
    error = refused(assessed(), {**CONSENT, **change})
    assert error.rule == "consent.blanket" and error.field == field and "§ 11 a" in error.message


def test_a_consent_is_for_this_case_and_given_by_the_citizen():
    assert refused(assessed(), {**CONSENT, "case_id": "case-2"}).rule == "consent.other_case"
    assert refused(assessed(), {**CONSENT, "actor": CW}).rule == "case.role_not_allowed"


def test_information_from_others_needs_a_consent_naming_the_source():
    error = refused(assessed(), DOCTOR)
    assert error.rule == "information.no_consent" and error.field == "source"
    error = refused(after(assessed(), CONSENT), {**DOCTOR, "source": "Jobcenteret"})
    assert "Egen læge" in error.message
    own = after(assessed(), {**DOCTOR, "source": "Borgeren", "from_citizen": True})
    assert not own.visitation.information[0].needs_hearing


# -- partshøring (FVL § 19) -----------------------------------------------------------


def test_a_decision_not_in_full_favour_on_unheard_information_needs_a_hearing():
    state = after(assessed(), CONSENT, DOCTOR)
    error = refused(state, decision())
    assert error.rule == "decision.hearing_required" and "§ 19" in error.message and "100 meter" in error.message
    assert after(state, decision("granted", reasons="")).phase is Phase.TEAM  # a full grant needs no hearing


def test_the_decision_waits_for_the_answer_or_the_deadline():
    state = after(assessed(), CONSENT, DOCTOR, HEARING)
    assert refused(state, decision("granted", reasons="")).rule == "decision.hearing_open"
    assert refused(state, decision()).rule == "decision.hearing_open"
    later = NOW + timedelta(days=15)  # the deadline has passed by the clock
    assert after(state, decision(), at=later).phase is Phase.TEAM
    answered = after(state, {"type": "answer_hearing", "actor": CITIZEN, "answer": "Det passer ikke"})
    assert answered.visitation.hearing_answers[-1] == "Det passer ikke"
    assert after(answered, decision()).phase is Phase.TEAM


def test_hearing_rules():
    assert refused(assessed(), HEARING).rule == "hearing.nothing_to_hear"
    state = after(assessed(), CONSENT, DOCTOR, HEARING)
    assert refused(state, HEARING).rule == "hearing.already_open"
    assert refused(state, {"type": "answer_hearing", "actor": CW, "answer": "x"}).rule == "case.role_not_allowed"
    assert refused(state, {"type": "record_hearing_deadline_passed", "actor": SYSTEM}).rule == "hearing.not_due"
    passed = after(state, {"type": "record_hearing_deadline_passed", "actor": SYSTEM}, at=NOW + timedelta(days=14))
    assert passed.visitation.information[0].heard
    assert (
        refused(passed, {"type": "answer_hearing", "actor": CITIZEN, "answer": "for sent"}).rule == "hearing.not_open"
    )


# -- personalised options (SEL §§ 95-96) ------------------------------------------


def test_bpa_follows_the_citizens_own_choice_with_the_citizen_as_work_leader():
    assert refused(assessed(), decision(services=[BPA])).rule == "decision.not_citizens_choice"
    state = after(assessed(), CHOICE_BPA, decision(services=[BPA]))
    arrangement = state.decision.services[0].arrangement
    assert arrangement.option.value == "bpa" and arrangement.work_leader == "citizen"
    assert arrangement.employer.kind.value == "relative" and arrangement.chosen_by == "citizen"
    assert arrangement.hours_per_week == 40
    assert "arbejdsleder" in state.decision.letter


def test_choice_rules():
    assert refused(assessed(), {**CHOICE_BPA, "actor": CW}).rule == "case.role_not_allowed"
    assert refused(assessed(), {**CHOICE_BPA, "employer": None}).rule == "choice.no_employer"
    assert refused(assessed(), {**CHOICE_BPA, "citizen_is_work_leader": False}).rule == "choice.bpa_needs_work_leader"
    assert refused(assessed(), {**CHOICE_BPA, "employer": {"kind": "relative"}}).rule == "choice.employer_unnamed"
    company = {"kind": "company", "name": "BPA Danmark ApS", "cvr": "1234"}
    assert refused(assessed(), {**CHOICE_BPA, "employer": company}).rule == "choice.employer_cvr"
    company["cvr"] = "12345678"
    assert refused(assessed(), {**CHOICE_BPA, "employer": company}).rule == "choice.employer_not_approved"
    company["approval"] = "Godkendt af Socialtilsyn Hovedstaden 2026-03"
    assert after(assessed(), {**CHOICE_BPA, "employer": company}).visitation.choice.employer.cvr == "12345678"
    budget = {"type": "record_citizens_choice", "actor": CITIZEN, "option": "individual_budget"}
    assert refused(assessed(), budget).rule == "choice.no_provider"


def test_a_cash_grant_and_an_individual_budget_follow_the_citizens_choice():
    cash = {**BPA, "legal_basis": "SEL § 95"}
    assert refused(after(assessed(), CHOICE_BPA), decision(services=[cash])).rule == "decision.not_citizens_choice"
    chose_cash = {**CHOICE_BPA, "option": "cash_grant"}
    assert (
        refused(after(assessed(), chose_cash), decision(services=[{**cash, "hours_per_week": None}])).rule
        == "decision.hours_required"
    )
    budget_choice = {
        "type": "record_citizens_choice",
        "actor": CITIZEN,
        "option": "individual_budget",
        "provider": "Hjemmehjælp A/S",
        "trial": "Forsøg med personlige borgerstyrede budgetter (L 133 2021-22)",
    }
    service = {**SEL85, "budget_dkk_per_year": 120000}
    state = after(assessed(), budget_choice, decision(services=[service]))
    arrangement = state.decision.services[0].arrangement
    assert arrangement.budget_dkk_per_year == 120000 and arrangement.provider == "Hjemmehjælp A/S"
    assert "120.000 kr." in state.decision.letter


# -- ældreloven ---------------------------------------------------------------------


PENSIONER = "0101500000"  # born 1 January 1950: pension age 65, reached 2015
PERSONAL_HELP = {
    "service": scenario.code(terminology.services(), "Støtte til daglige opgaver i hjemmet"),
    "legal_basis": "SEL § 83",
}


COVERED = {
    "type": "assess_elder_act",
    "actor": CW,
    "covered": True,
    "ground": "pension_age",
    "reasons": "Behovet for pleje er opstået med aldringen",
}
NOT_COVERED = {
    "type": "assess_elder_act",
    "actor": CW,
    "covered": False,
    "reasons": "Behovet skyldes en medfødt funktionsnedsættelse, ikke aldring",
}


def test_a_citizen_assessed_under_the_elder_act_cannot_be_granted_sel_83_to_86_after_1_july_2025():
    """Ældrelovens § 2 and SEL § 2, stk. 5 (LOV nr. 1703 af 30/12/2024 § 1, nr. 2): the
    municipality's assessment decides, and §§ 83, 83 a, 83 b, 84 and 86 give way."""
    error = refused(after(assessed(PENSIONER), COVERED), decision(services=[PERSONAL_HELP]))
    assert (
        error.rule == "decision.elder_act"
        and "ældreloven" in error.message
        and error.field == "services[0].legal_basis"
    )
    assert "§ 2, stk. 5" in error.message
    for basis in ("SEL § 83a", "SEL § 84", "SEL § 86", "SEL § 83b"):
        covered = after(assessed(PENSIONER), COVERED)
        assert (
            refused(covered, decision(services=[{**PERSONAL_HELP, "legal_basis": basis}])).rule == "decision.elder_act"
        )
    # before the Elder Act came into force, and for a younger citizen, § 83 is still Serviceloven
    assert after(assessed(PENSIONER), decision(services=[PERSONAL_HELP]), at=datetime(2025, 6, 30, tzinfo=UTC)).decision
    assert after(assessed(), decision(services=[PERSONAL_HELP])).decision
    # other paragraphs are not moved
    assert after(assessed(PENSIONER), COVERED, decision(services=[SEL85])).decision


def test_age_is_a_hint_a_pensioner_whose_need_does_not_stem_from_ageing_keeps_sel_83():
    """Ældrelovens § 2, stk. 1 and 3: pension age alone does not decide; the municipality
    assesses whether the need arose with ageing. Until it has, the decision waits."""
    error = refused(assessed(PENSIONER), decision(services=[PERSONAL_HELP]))
    assert error.rule == "decision.elder_act_not_assessed" and "assess_elder_act" in error.message
    assert after(assessed(PENSIONER), NOT_COVERED, decision(services=[PERSONAL_HELP])).decision


def test_a_citizen_below_pension_age_with_age_like_needs_is_covered_by_the_elder_act():
    """Ældrelovens § 2, stk. 2: older people below pension age with the same need for care."""
    age_like = {**COVERED, "ground": "age_like_needs"}
    assert refused(after(assessed(), age_like), decision(services=[PERSONAL_HELP])).rule == "decision.elder_act"
    # stk. 1 needs pension age
    assert refused(assessed(), COVERED).rule == "elder_act.not_pension_age"


def test_bpa_and_cash_grant_users_stay_under_serviceloven():
    """Ældrelovens § 2, stk. 4: the act does not apply to people covered by SEL §§ 95 or 96."""
    applied = after(assessed(PENSIONER), {"type": "receive_application", "actor": CW, "applied_for": ["SEL § 96"]})
    assert refused(applied, COVERED).rule == "elder_act.bpa_stays_under_serviceloven"
    assert after(applied, NOT_COVERED).visitation.elder_act.covered is False


def test_intake_routes_elder_act_needs_and_runs_the_deadline_for_the_rest():
    apply = {"type": "receive_application", "actor": CW, "applied_for": ["SEL § 83", "SEL § 85"]}
    state = after(assessed(PENSIONER), COVERED, apply)
    application = state.visitation.application
    assert application.routed_to_elder_act == ("SEL § 83",) and application.applied_for == ("SEL § 85",)
    assert application.due_at == NOW + timedelta(weeks=8)
    only_elder = after(assessed(PENSIONER), COVERED, {**apply, "applied_for": ["SEL § 83"]})
    assert only_elder.visitation.application.due_at is None
    # so no processing deadline runs to give notice of (Rsl § 3, stk. 2)
    late = {"type": "notify_processing_delay", "actor": CW, "expected_by": "2027-06-01", "reason": "Vi venter"}
    assert refused(only_elder, late).rule == "deadline.no_processing_deadline"
    # age alone routes nothing: without the assessment the deadline runs for all of it
    assert after(assessed(PENSIONER), apply).visitation.application.routed_to_elder_act == ()


@pytest.mark.parametrize(
    ("born", "years", "months"),
    [
        (date(1953, 12, 31), 65, 0),
        (date(1954, 1, 1), 65, 6),
        (date(1954, 7, 1), 66, 0),
        (date(1955, 6, 30), 66, 6),
        (date(1955, 7, 1), 67, 0),
        (date(1962, 12, 31), 67, 0),
        (date(1963, 1, 1), 68, 0),
        (date(1967, 1, 1), 69, 0),
        (date(1971, 1, 1), 70, 0),
    ],
)
def test_pension_age_follows_lov_om_social_pension_1a(born, years, months):
    assert pension_age(born) == (years, months)


def test_pension_age_reached_on_counts_half_years_and_leap_days():
    assert pension_age_reached_on(date(1954, 3, 15)) == date(2019, 9, 15)
    assert pension_age_reached_on(date(1960, 2, 29)) == date(2027, 2, 28)


# -- the application and its processing deadline (Rsl § 3, stk. 2) ------------------


def test_processing_deadlines_are_package_data_the_settings_may_override():
    defaults = PhaseDeadlines()
    assert defaults.processing["SEL § 85"] == timedelta(weeks=8) and defaults.processing["SEL § 108"] == timedelta(
        weeks=8
    )
    assert defaults.processing_deadline(["SEL § 96", "SEL § 83a"]) == timedelta(weeks=2)  # the strictest governs
    custom = PhaseDeadlines(processing={"SEL § 85": timedelta(weeks=6)})
    state = after(
        assessed(),
        {"type": "receive_application", "actor": CW, "applied_for": ["SEL § 85"], "published": custom.model_dump()},
    )
    assert state.visitation.application.due_at == NOW + timedelta(weeks=6)


def test_application_rules():
    received = {"type": "receive_application", "actor": CW, "applied_for": ["SEL § 85"]}
    # a second application of the same kind while the first is pending: refused, naming the phase and rule
    second = refused(after(assessed(), received), received)
    assert second.rule == "application.same_kind_pending" and "visitation phase" in second.message
    assert refused(assessed(), {**received, "received_on": "2027-01-01"}).rule == "application.future"
    assert refused(assessed(), {**received, "applied_for": ["SEL § 999"]}).field == "applied_for[0]"
    assert refused(assessed(), {**received, "actor": CITIZEN}).field == "actor.role"
    dated = after(assessed(), {**received, "received_on": "2026-11-01"})
    assert dated.visitation.application.due_at == datetime(2026, 12, 27, tzinfo=UTC)


# -- the goal as FFB's indsatsmål: a primary condition and the level aimed for ------


def _goal_assessment(**goal) -> dict:
    from tests import scenario

    data = scenario.assessment()
    data["goals"] = [data["goals"][0] | goal]
    return data


def _refused_goal(**goal):
    from domain.case.assessment import assess

    command = RecordAssessment.model_validate(_goal_assessment(**goal)).model_copy(update={"at": NOW})
    with pytest.raises(DomainError) as error:
        assess(command)
    return error.value


def test_a_goal_records_its_primary_condition_and_target_level():
    from domain.case.assessment import assess
    from tests import scenario

    work = scenario.code(terminology.conditions(), "Varetage beskæftigelse")
    command = RecordAssessment.model_validate(_goal_assessment(primary_condition=work, target_severity=1))
    goal = assess(command.model_copy(update={"at": NOW})).goals[0]
    assert goal.primary_condition is not None and goal.primary_condition.display == "Varetage beskæftigelse"
    assert goal.target_function_level is not None and goal.target_function_level.display == "Let nedsat funktionsevne"


def test_a_goal_addresses_an_assessed_condition_under_activity_and_participation():
    from tests import scenario

    unassessed = scenario.code(terminology.conditions(), "Vaske sig")
    assert (
        _refused_goal(primary_condition=unassessed, target_severity=1).rule == "assessment.goal_condition_not_assessed"
    )


def test_a_goal_names_its_target_level_with_its_primary_condition():
    from tests import scenario

    work = scenario.code(terminology.conditions(), "Varetage beskæftigelse")
    error = _refused_goal(primary_condition=work)
    assert error.rule == "assessment.goal_target_incomplete" and error.field == "goals[0].target_severity"


def test_equal_deadlines_are_shared_by_every_case_and_different_ones_are_not():
    from domain.case.deadlines import PhaseDeadlines

    first, again = PhaseDeadlines(), PhaseDeadlines()
    shorter = PhaseDeadlines(visitation=timedelta(weeks=6))

    assert first is not again and first.shared() is again.shared()
    assert shorter.shared() is not first.shared() and shorter.shared() == shorter
