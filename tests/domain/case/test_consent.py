"""The citizen's consent and the outsider's declaration of confidentiality.

A consent lets a volunteer or relative see the citizen's information until a
date ahead (GDPR art. 6(1)(a) and 9(2)(a), databeskyttelseslovens § 7); the
tavshedserklæring is recorded for volunteers and relatives only, once signed:
municipal staff are bound by forvaltningslovens § 27 already (domain/case/consent.py).
"""

from __future__ import annotations

import pytest

from tests import scenario
from tests.domain.case.histories import STAFF, VOLUNTEER, joined
from tests.domain.gwt import CASE, NOW, Accepted, Refusal, rule_id

TODAY = NOW.date().isoformat()
YESTERDAY = "2026-11-22"

RULES = [
    Refusal(
        "confidentiality.future",
        given=joined(),
        when=scenario.declaration(VOLUNTEER, signed_on="2026-11-24"),
        field="signed_on",
    ),
    Refusal("confidentiality.not_outsider", given=joined(), when=scenario.declaration(STAFF), field="person_id"),
    Refusal(
        "consent.expired", given=joined(), when=scenario.consent(VOLUNTEER, valid_until=YESTERDAY), field="valid_until"
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted(
        "confidentiality.signed_today",
        given=joined(),
        when=scenario.declaration(VOLUNTEER, signed_on=TODAY),
        then=["confidentiality_declaration_recorded"],
    ),
    # the last day counts in (``Consent.covers``): a consent for one meeting today is whole
    Accepted(
        "consent.for_today_alone",
        given=joined(),
        when=scenario.consent(VOLUNTEER, valid_until=TODAY),
        then=["consent_given"],
    ),
    Accepted(
        "consent.until_tomorrow",
        given=joined(),
        when=scenario.consent(VOLUNTEER, valid_until="2026-11-24"),
        then=["consent_given"],
    ),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)
