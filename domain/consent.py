"""The citizen's consent for people outside the municipality to see their information.

Volunteers and relatives on the team see nothing until the citizen has given a
concrete consent: which categories of information, for which purpose, until
when (databeskyttelsesforordningen art. 6, 7 and 9; a consent must be
specific, informed and may be withdrawn at any time, art. 7, stk. 3).
Revocation takes effect at once for every later read.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.messages import Command, Event


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


class GiveConsent(Command):
    title = "Give consent"
    type: Literal["give_consent"] = "give_consent"
    person_id: str = Field(min_length=1, max_length=64)
    categories: list[InformationCategory] = Field(min_length=1)
    purpose: str = Field(min_length=10, max_length=1000, description="What the person may use it for")
    valid_until: date


class ConsentGiven(Event):
    type: Literal["consent_given"] = "consent_given"
    person_id: str
    categories: tuple[InformationCategory, ...]
    purpose: str
    valid_until: date

    def legal_basis(self) -> str | None:
        return "GDPR art. 6, stk. 1, litra a, og art. 9, stk. 2, litra a"


class RevokeConsent(Command):
    title = "Revoke consent"
    type: Literal["revoke_consent"] = "revoke_consent"
    person_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(default="", max_length=1000)


class ConsentRevoked(Event):
    type: Literal["consent_revoked"] = "consent_revoked"
    person_id: str
    reason: str


class Consent(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str
    categories: tuple[InformationCategory, ...]
    purpose: str
    valid_until: date
    given_at: datetime
    revoked_at: datetime | None = None

    def covers(self, category: InformationCategory, at: datetime) -> bool:
        """True while the consent is in force at ``at`` and names the category."""
        if self.revoked_at is not None and self.revoked_at <= at:
            return False
        return at.date() <= self.valid_until and category in self.categories
