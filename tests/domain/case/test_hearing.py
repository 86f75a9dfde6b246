"""The citizen's say before the decision: the citizen may ask that the decision
waits until they have commented (forvaltningslovens § 21; domain/case/hearing.py)."""

from __future__ import annotations

import pytest

from tests.domain.case.histories import CITIZEN, assessed
from tests.domain.gwt import CASE, Accepted, Refusal, rule_id

REQUEST = {"type": "request_to_comment", "actor": CITIZEN, "answer_within_days": 14}
COMMENT = {"type": "submit_comment", "actor": CITIZEN, "comment": "Jeg vil gerne fortælle om mine gode dage også"}

RULES = [
    Refusal("comment.already_requested", given=[*assessed(), REQUEST], when=REQUEST),
    Refusal("comment.not_requested", given=assessed(), when=COMMENT),
    # once the comment is in, a second one is not awaited: it was asked for once
    Refusal("comment.not_requested", given=[*assessed(), REQUEST, COMMENT], when=COMMENT),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted("comment.requested", given=assessed(), when=REQUEST, then=["comment_requested"]),
    Accepted("comment.submitted", given=[*assessed(), REQUEST], when=COMMENT, then=["comment_submitted"]),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)
