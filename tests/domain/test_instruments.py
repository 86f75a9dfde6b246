"""Scoring against the instruments' definitions: hand-computed cases, every
invalid answer named by its item, and property tests for the score bounds."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import terminology
from domain.case.assessment import Coded
from domain.errors import DomainError
from domain.instruments import (
    SELF_DETERMINATION,
    WEMWBS,
    Attainment,
    FunctionLevelChange,
    GoalAttainmentInput,
    InstrumentAnswers,
    goal_attainment,
    score_self_determination,
    score_wemwbs,
)
from domain.value_domains import (
    Participation,
    Rater,
    Rating,
    ServiceUse,
    change_score,
    democracy,
    productivity,
    saving,
    service_experience,
    share_of_possible_change,
)

ON = date(2027, 1, 10)


def form(items, version="1.0-da", respondent="citizen") -> InstrumentAnswers:
    return InstrumentAnswers(version=version, respondent=respondent, answered_on=ON, items=list(items))


def error_of(call) -> DomainError:
    with pytest.raises(DomainError) as raised:
        call()
    return raised.value


# -- WEMWBS ------------------------------------------------------------------


def test_wemwbs_is_the_sum_of_its_14_items():
    # 3*10 + 2*4 = 38, counted by hand
    scored = score_wemwbs(form([3, 3, 2, 3, 3, 3, 2, 3, 3, 3, 2, 3, 2, 3]))
    assert scored.score == 38
    assert (scored.minimum, scored.maximum) == (14, 70)
    assert scored.name == "WEMWBS" and scored.version == "1.0-da" and scored.answered_on == ON


def test_wemwbs_runs_from_14_to_70():
    assert score_wemwbs(form([1] * 14)).score == 14
    assert score_wemwbs(form([5] * 14)).score == 70


def test_a_wemwbs_item_out_of_range_is_named():
    error = error_of(lambda: score_wemwbs(form([3, 3, 3, 6, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3])))
    assert error.field == "wemwbs.items[3]"
    assert error.rule == "instrument.item_out_of_range"
    assert "item 4" in error.message and "1 to 5" in error.message


def test_a_wemwbs_item_of_zero_is_out_of_range_too():
    assert error_of(lambda: score_wemwbs(form([0] + [3] * 13))).field == "wemwbs.items[0]"


def test_an_unanswered_wemwbs_item_is_named():
    items: list[int | None] = [3] * 14
    items[9] = None
    error = error_of(lambda: score_wemwbs(form(items)))
    assert error.field == "wemwbs.items[9]" and error.rule == "instrument.missing_item"
    assert "item 10" in error.message


def test_a_short_wemwbs_form_names_the_first_missing_item():
    error = error_of(lambda: score_wemwbs(form([3] * 12)))
    assert error.field == "wemwbs.items[12]" and error.rule == "instrument.missing_item"


def test_a_wemwbs_form_with_too_many_answers_is_refused():
    error = error_of(lambda: score_wemwbs(form([3] * 15)))
    assert error.rule == "instrument.too_many_items" and error.field == "wemwbs.items[14]"


def test_an_unknown_wemwbs_version_is_refused_listing_the_known_ones():
    error = error_of(lambda: score_wemwbs(form([3] * 14, version="2.0")))
    assert error.field == "wemwbs.version" and error.rule == "instrument.unknown_version"
    assert "1.0-da" in error.message


def test_wemwbs_is_answered_by_the_citizen_or_a_proxy_not_a_professional():
    assert score_wemwbs(form([3] * 14, respondent="proxy")).respondent.value == "proxy"
    error = error_of(lambda: score_wemwbs(form([3] * 14, respondent="professional")))
    assert error.field == "wemwbs.respondent" and error.rule == "instrument.respondent_not_allowed"


# -- SB-6 self-determination ---------------------------------------------------


def test_sb6_is_the_sum_of_six_items_from_6_to_30():
    assert score_self_determination(form([2, 2, 1, 2, 3, 2], version="1.0")).score == 12
    assert score_self_determination(form([1] * 6, version="1.0")).score == 6
    assert score_self_determination(form([5] * 6, version="1.0")).score == 30
    assert len(SELF_DETERMINATION.item_texts) == SELF_DETERMINATION.item_count == 6


def test_sb6_errors_name_the_self_determination_item():
    error = error_of(lambda: score_self_determination(form([2, 2, 9, 2, 3, 2], version="1.0")))
    assert error.field == "self_determination.items[2]"
    error = error_of(lambda: score_self_determination(form([2, 2, 2], version="1.0")))
    assert error.field == "self_determination.items[3]"
    error = error_of(lambda: score_self_determination(form([2] * 6, version="1.0-da")))
    assert error.field == "self_determination.version"


# -- goal attainment and function level ------------------------------------------


def _goal_type(display: str) -> Coded:
    concept = terminology.goal_types().by_display(display)
    return Coded(code=concept.code, display=concept.display)


def test_goal_attainment_takes_the_linked_goal_type_or_the_one_given():
    develop, hold = _goal_type("Udvikle funktionsevne"), _goal_type("Fastholde funktionsevne")
    results = goal_attainment(
        [develop, None],
        [
            GoalAttainmentInput(attainment=Attainment.REACHED),
            GoalAttainmentInput(attainment=Attainment.PARTLY, goal_type=hold.code),
        ],
    )
    assert [(r.goal_number, r.goal_type.display, r.points) for r in results] == [
        (1, "Udvikle funktionsevne", 1.0),
        (2, "Fastholde funktionsevne", 0.5),
    ]


def test_every_plan_goal_needs_an_attainment():
    error = error_of(
        lambda: goal_attainment(
            [None, None],
            [GoalAttainmentInput(attainment=Attainment.REACHED, goal_type=_goal_type("Udvikle funktionsevne").code)],
        )
    )
    assert error.field == "goals[1]" and error.rule == "evaluation.goal_missing"
    error = error_of(lambda: goal_attainment([None], [GoalAttainmentInput(attainment=Attainment.REACHED)] * 2))
    assert error.rule == "evaluation.too_many_goals"


def test_a_goal_type_must_come_from_ffb_maaltype():
    bad = terminology.target_groups().by_display("Social isolation").code
    error = error_of(
        lambda: goal_attainment([None], [GoalAttainmentInput(attainment=Attainment.REACHED, goal_type=bad)])
    )
    assert error.field == "goals[0].goal_type" and 'FFB "Måltype"' in error.message
    error = error_of(lambda: goal_attainment([None], [GoalAttainmentInput(attainment=Attainment.NOT_REACHED)]))
    assert error.rule == "evaluation.goal_type_missing"


def test_attainment_points():
    assert [a.points for a in Attainment] == [1.0, 0.5, 0.0]


def test_function_level_improvement_counts_severity_steps():
    c = Coded(code="x", display="x")
    change = FunctionLevelChange(condition=c, before=c, after=c, before_severity=3, after_severity=2)
    assert change.improvement == 1
    assert (
        FunctionLevelChange(condition=c, before=c, after=c, before_severity=None, after_severity=2).improvement is None
    )


# -- value-domain formulas, hand computed ------------------------------------------


def test_change_score_uses_the_room_for_change():
    # WEMWBS 38 -> 50: 12 of the 32 points up to 70 = 0.375 -> 50 + 18.75
    assert change_score(38, 50, 14, 70) == pytest.approx(68.75)
    # 40 -> 33: 7 of the 26 points down to 14 -> 50 - 50*7/26
    assert change_score(40, 33, 14, 70) == pytest.approx(50 - 50 * 7 / 26)
    # severity 3 -> 2 on 0 (best) .. 4 (worst): one of three steps gained
    assert change_score(3, 2, 4, 0) == pytest.approx(50 + 50 / 3)
    # severity 3 -> 4: the one step there was to lose is lost
    assert change_score(3, 4, 4, 0) == 0
    assert change_score(70, 70, 14, 70) == 50


def test_productivity_is_the_mean_saving_of_hours_cost_and_caseworker_time():
    before = ServiceUse(service_hours_per_week=3, cost_per_week_dkk=1800, caseworker_hours_per_week=2)
    after = ServiceUse(service_hours_per_week=2, cost_per_week_dkk=1200, caseworker_hours_per_week=1)
    # savings 1/3, 1/3, 1/2 -> parts 66.67, 66.67, 75 -> mean 69.4
    scored = productivity(before, after)
    assert scored.score == 69.4
    assert productivity(None, after).score is None
    assert saving(0, 5) == -1 and saving(0, 0) == 0 and saving(10, 30) == -1


def test_democracy_is_the_mean_of_participation_statement_and_consent():
    p = Participation(
        meetings_held=3, meetings_with_citizen=2, decisions_taken=2, decisions_with_citizen=2, consent_respected=True
    )
    # (66.67 + 100 + 100 + 100) / 4 = 91.7
    assert democracy(p, statement_given=True).score == 91.7
    # no meetings or decisions: only statement (0) and consent (100)
    none = Participation(
        meetings_held=0, meetings_with_citizen=0, decisions_taken=0, decisions_with_citizen=0, consent_respected=True
    )
    assert democracy(none, statement_given=False).score == 50.0


def test_service_experience_weighs_citizen_and_relatives_equally():
    ratings = (
        Rating(by=Rater.CITIZEN, rating=5),
        Rating(by=Rater.RELATIVE, rating=4),
        Rating(by=Rater.RELATIVE, rating=2),
    )
    # citizen 100; relatives mean(75, 25) = 50; -> 75
    assert service_experience(ratings).score == 75.0
    assert service_experience(()).score is None


# -- properties ---------------------------------------------------------------------

items = st.integers(min_value=1, max_value=5)


@given(st.lists(items, min_size=14, max_size=14))
def test_every_valid_wemwbs_form_scores_within_14_to_70(answers):
    scored = score_wemwbs(form(answers))
    assert WEMWBS.minimum <= scored.score <= WEMWBS.maximum
    assert scored.score == sum(answers)


@given(st.lists(st.integers(min_value=-5, max_value=12) | st.none(), min_size=0, max_size=20))
def test_any_wemwbs_form_either_scores_in_range_or_names_an_item(answers):
    try:
        scored = score_wemwbs(form(answers))
    except DomainError as error:
        assert error.field is not None and error.field.startswith("wemwbs.items[")
        index = int(error.field.removeprefix("wemwbs.items[").removesuffix("]"))
        assert index == 14 or index >= len(answers) or answers[index] is None or not 1 <= answers[index] <= 5
    else:
        assert 14 <= scored.score <= 70


@given(st.lists(items, min_size=6, max_size=6))
def test_every_valid_sb6_form_scores_within_6_to_30(answers):
    assert 6 <= score_self_determination(form(answers, version="1.0")).score <= 30


@given(st.integers(14, 70), st.integers(14, 70))
def test_a_wemwbs_change_score_stays_within_0_to_100_and_orders_with_the_change(before, after):
    score = change_score(before, after, 14, 70)
    assert 0 <= score <= 100
    assert (score > 50) == (after > before) and (score < 50) == (after < before)


@given(st.integers(0, 4), st.integers(0, 4))
def test_a_function_level_change_score_stays_within_0_to_100(before, after):
    score = change_score(before, after, 4, 0)
    assert 0 <= score <= 100
    assert (score > 50) == (after < before)
    assert -1 <= share_of_possible_change(before, after, 4, 0) <= 1


money = st.floats(min_value=0, max_value=10_000, allow_nan=False)


@given(money, money, money, money, money, money)
def test_productivity_stays_within_0_to_100(h0, c0, w0, h1, c1, w1):
    before = ServiceUse(
        service_hours_per_week=min(h0, 168), cost_per_week_dkk=c0, caseworker_hours_per_week=min(w0, 168)
    )
    after = ServiceUse(
        service_hours_per_week=min(h1, 168), cost_per_week_dkk=c1, caseworker_hours_per_week=min(w1, 168)
    )
    score = productivity(before, after).score
    assert score is not None and 0 <= score <= 100


@given(st.lists(st.tuples(st.sampled_from(list(Rater)), st.integers(1, 5)), min_size=1, max_size=6))
def test_service_experience_stays_within_0_to_100(ratings):
    score = service_experience(tuple(Rating(by=b, rating=r) for b, r in ratings)).score
    assert score is not None and 0 <= score <= 100


@given(st.integers(0, 20), st.integers(0, 20), st.integers(0, 20), st.integers(0, 20), st.booleans(), st.booleans())
def test_democracy_stays_within_0_to_100(held, with_c, taken, with_d, consent, statement):
    p = Participation(
        meetings_held=max(held, with_c),
        meetings_with_citizen=with_c,
        decisions_taken=max(taken, with_d),
        decisions_with_citizen=with_d,
        consent_respected=consent,
    )
    score = democracy(p, statement).score
    assert score is not None and 0 <= score <= 100
