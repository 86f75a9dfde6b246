"""A case closes: the help has ended, or there was none to give.

A case is closed with a reason. Not before the evaluation is recorded, not while an
application awaits its decision, and not while the help goes on in follow-up (SEL § 148:
the help is stopped by a decision first). Closed is not the end: a decision changed on
appeal reopens it (``domain/case/visitation.py``).
"""

from __future__ import annotations

from typing import Annotated, Literal, Protocol

from pydantic import Field

from domain.case.concept import Concept, decides, enter
from domain.case.evaluation import EvaluationRecorded
from domain.case.follow_up import FollowUpRecord
from domain.case.revisitation import ApplicationsView, check_can_close
from domain.errors import require
from domain.messages import Command, Event
from domain.personal_data import Personal
from domain.phases import Phase


class CloseCase(Command):
    title = "Close case"
    type: Literal["close_case"] = "close_case"
    label = "Luk sagen"
    reason: str = Field(min_length=3, max_length=2000)


class CaseClosed(Event):
    type: Literal["case_closed"] = "case_closed"
    label = "Sagen lukket"
    reason: Annotated[str, Personal]


class ClosingView(ApplicationsView, Protocol):
    """What closing reads: the phase, the evaluation, the applications and the follow-up."""

    @property
    def evaluation(self) -> EvaluationRecorded | None: ...
    @property
    def follow_up(self) -> FollowUpRecord: ...


def close_case(state: ClosingView, c: CloseCase) -> list[Event]:
    require(
        state.phase is not Phase.EVALUATION or state.evaluation is not None,
        "record the evaluation before closing the case",
        rule="case.close_before_evaluation",
    )
    check_can_close(state)
    require(
        state.phase is not Phase.FOLLOW_UP or state.follow_up.help_ended,
        "the help goes on in follow-up; decide to stop it (decide_on_help: stop) before closing the case (SEL § 148)",
        rule="case.close_while_help_goes_on",
    )
    return [CaseClosed(occurred_at=c.now, actor=c.actor, reason=c.reason)]


CONCEPT = Concept(
    "closing",
    commands={CloseCase: decides(close_case, Phase.NEED, Phase.EVALUATION, Phase.FOLLOW_UP, Phase.REFUSED)},
    events={CaseClosed: lambda s, e: enter(Phase.CLOSED, e.occurred_at, closed_reason=e.reason)},
)
