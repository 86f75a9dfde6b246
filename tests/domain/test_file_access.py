"""Aktindsigt (forvaltningslovens § 9; databeskyttelsesforordningens art. 15): the
request's own deadline of 7 working days (FVL § 16, stk. 2, as legal.FVL_16 cites it;
see domain/case/file_access.py for what could not be confirmed)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.case.deadlines import PhaseDeadlines
from domain.case.file_access import add_working_days, danish_holidays
from domain.case_summary import upcoming_deadlines, work_items
from tests.domain.test_visitation_rules import CITIZEN, CW, after, assessed, refused

REQUEST = {"type": "request_file_access", "actor": CITIZEN}


def test_the_deadline_skips_a_weekend():
    """Friday 27 November 2026 + 7 working days: Tuesday 8 December."""
    assert add_working_days(datetime(2026, 11, 27, 10, tzinfo=UTC), 7).date() == date(2026, 12, 8)


def test_the_deadline_skips_easter_s_holidays_and_the_weekend():
    """Monday 22 March 2027: skærtorsdag, langfredag, the weekend and 2. påskedag are no working days."""
    assert {date(2027, 3, 25), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 6)} <= danish_holidays(2027)
    assert add_working_days(datetime(2027, 3, 22, 10, tzinfo=UTC), 7).date() == date(2027, 4, 5)


def test_a_request_is_a_deadline_and_a_work_item_until_it_is_answered():
    at = datetime(2027, 3, 22, 10, tzinfo=UTC)
    state = after(assessed(), REQUEST, at=at)
    deadlines = [d for d in upcoming_deadlines(state, PhaseDeadlines()) if d.kind == "file_access"]
    assert [d.due_at.date() for d in deadlines] == [date(2027, 4, 5)] and "FVL § 16" in deadlines[0].what
    assert any(i.kind == "answer_file_access" for i in work_items(state, PhaseDeadlines()))
    answered = after(state, {"type": "answer_file_access", "actor": CW, "number": 1, "outcome": "granted",
                             "export_digest": "ab" * 32}, at=at)  # fmt: skip
    assert not [d for d in upcoming_deadlines(answered, PhaseDeadlines()) if d.kind == "file_access"]


def test_a_notice_says_why_and_when_and_a_partial_grant_says_why():
    """FVL § 16, stk. 2 (notice: the reason and when a decision can be expected); FVL § 22 (reasons)."""
    state = after(assessed(), REQUEST)
    error = refused(state, {"type": "answer_file_access", "actor": CW, "number": 1, "outcome": "notice"})
    assert error.rule == "file_access.notice_incomplete" and "§ 16" in error.message
    assert refused(state, {"type": "answer_file_access", "actor": CW, "number": 1, "outcome": "partly_granted",
                           "export_digest": "x"}).rule == "file_access.reasons_missing"  # fmt: skip
    noticed = after(state, {"type": "answer_file_access", "actor": CW, "number": 1, "outcome": "notice",
                            "reasons": "Mange dokumenter", "expected_by": "2026-12-15"})  # fmt: skip
    assert noticed.file_access_requests[1].is_open
    assert refused(state, {**REQUEST, "actor": CW}).rule == "case.role_not_allowed"
