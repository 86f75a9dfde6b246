"""Representatives (forvaltningslovens § 8): a fuldmagt names what it covers and
a period that ends after it begins; only a representation in force is ended
(domain/case/representatives.py)."""

from __future__ import annotations

import pytest

from tests.domain.case.histories import CASEWORKER, registered
from tests.domain.gwt import CASE, Accepted, Refusal, rule_id


def representative(kind: str = "partsrepraesentant", scope=("answer_hearing",), **more) -> dict:
    return {
        "type": "record_representative",
        "actor": CASEWORKER,
        "person_id": "rep-maja",
        "name": "Maja Holm",
        "kind": kind,
        "scope": list(scope),
        "valid_from": "2026-11-01",
        **more,
    }


def end(number: int = 1) -> dict:
    return {"type": "end_representation", "actor": CASEWORKER, "number": number, "reason": "Fuldmagten er tilbagekaldt"}


RULES = [
    Refusal(
        "representative.period_invalid",
        given=registered(),
        when=representative(valid_until="2026-10-31"),
        field="valid_until",
    ),
    Refusal("representative.scope_empty", given=registered(), when=representative(scope=()), field="scope"),
    Refusal(
        "representative.scope_empty", given=registered(), when=representative(kind="vaerge", scope=()), field="scope"
    ),
    Refusal("representative.unknown", given=registered(), when=end(1), field="number"),
    Refusal("representative.unknown", given=[*registered(), representative(), end(1)], when=end(1), field="number"),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted(
        "representative.one_day",
        given=registered(),
        when=representative(valid_until="2026-11-01"),
        then=["representative_recorded"],
    ),
    Accepted(
        "representative.bisidder_without_scope",
        given=registered(),
        when=representative(kind="bisidder", scope=()),
        then=["representative_recorded"],
    ),
    Accepted(
        "representative.ended", given=[*registered(), representative()], when=end(1), then=["representation_ended"]
    ),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)
