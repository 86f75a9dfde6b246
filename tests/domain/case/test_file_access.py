"""Aktindsigt: the citizen asks to see the file (forvaltningslovens § 9,
databeskyttelsesforordningens art. 15), and a case officer answers an open
request, naming the export the citizen got (domain/case/file_access.py)."""

from __future__ import annotations

import pytest

from tests.domain.case.histories import CASEWORKER, CITIZEN, registered
from tests.domain.gwt import CASE, Accepted, Refusal, rule_id

REQUEST = {"type": "request_file_access", "actor": CITIZEN}
DIGEST = "3" * 64


def answer(outcome: str, number: int = 1, **more) -> dict:
    return {"type": "answer_file_access", "actor": CASEWORKER, "number": number, "outcome": outcome, **more}


RULES = [
    Refusal("file_access.unknown", given=registered(), when=answer("granted", export_digest=DIGEST), field="number"),
    Refusal(
        "file_access.unknown",
        given=[*registered(), REQUEST, answer("granted", export_digest=DIGEST)],
        when=answer("granted", export_digest=DIGEST),
        field="number",
    ),
    Refusal("file_access.no_export", given=[*registered(), REQUEST], when=answer("granted"), field="export_digest"),
    Refusal(
        "file_access.no_export",
        given=[*registered(), REQUEST],
        when=answer("partly_granted", reasons="Oplysninger om tredjemand er undtaget"),
        field="export_digest",
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted(
        "file_access.granted_with_export",
        given=[*registered(), REQUEST],
        when=answer("granted", export_digest=DIGEST),
        then=["file_access_answered"],
    ),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)
