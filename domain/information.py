"""The categories of a citizen's information: what a person may be allowed to see.

An event declares the category it shows (``Event.category``); the citizen's consent names
the categories a volunteer or relative may see (``domain/case/consent.py``), and the
access rules read both (``domain/access.py``).
"""

from __future__ import annotations

from enum import StrEnum


class InformationCategory(StrEnum):
    """What a person may be allowed to see about the citizen."""

    NEED = "need"  # the need as registered
    GOALS = "goals"  # the citizen's own goals
    ASSESSMENT = "assessment"  # function levels and the citizen's words on each condition
    HEALTH = "health"  # health conditions (FFB Sundhedsforhold, Funktioner og forhold)
    DECISION = "decision"  # the decision and its services
    PLAN = "plan"  # the action plan
    MEETING_NOTES = "meeting_notes"  # minutes of joint meetings
    OBSERVATIONS = "observations"  # observations by team members
    EVALUATION = "evaluation"  # the evaluation
