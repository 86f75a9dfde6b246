"""The citizen's consent and the outsider's declaration of confidentiality.

A consent lets a volunteer or relative see the citizen's information until a
date ahead (GDPR art. 6(1)(a) and 9(2)(a), databeskyttelseslovens § 7): concrete,
for named categories and a specified purpose, given by the citizen to someone on
the team from outside the municipality, and revocable with effect at once. The
tavshedserklæring is recorded for volunteers and relatives only, once signed:
municipal staff are bound by forvaltningslovens § 27 already (domain/case/consent.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.information import InformationCategory
from tests import scenario
from tests.domain.case.histories import (
    CASEWORKER,
    STAFF,
    VOLUNTEER,
    consented,
    in_pilot_without_consent,
    joined,
    observed,
    team_approved,
)
from tests.domain.gwt import CASE, NOW, Accepted, Refusal, rule_id

TODAY = NOW.date().isoformat()
YESTERDAY = "2026-11-22"
KARIM = VOLUNTEER["id"]
REVOKE = scenario.revoke(VOLUNTEER)
#: A consent for every category, for a concrete purpose.
EVERY = scenario.consent(VOLUNTEER, categories=[c.value for c in InformationCategory])

RULES = [
    # it is the citizen's information: the citizen alone consents to sharing it
    Refusal(
        "case.role_not_allowed",
        given=team_approved(),
        when=scenario.consent(VOLUNTEER) | {"actor": CASEWORKER},
        field="actor.role",
    ),
    Refusal(
        "confidentiality.future",
        given=joined(),
        when=scenario.declaration(VOLUNTEER, signed_on="2026-11-24"),
        field="signed_on",
    ),
    Refusal("confidentiality.not_outsider", given=joined(), when=scenario.declaration(STAFF), field="person_id"),
    # GDPR art. 4(11) and 6(1)(a) (a specific consent); databeskyttelseslovens § 7: blanket means an
    # unspecified recipient or purpose. The recipient is always a named team member; the purpose is checked.
    Refusal(
        "consent.blanket",
        given=team_approved(),
        when=scenario.consent(VOLUNTEER) | {"purpose": "Til brug for alle formål i kommunen"},
        field="purpose",
        says="databeskyttelseslovens § 7",
    ),
    Refusal(
        "consent.expired", given=joined(), when=scenario.consent(VOLUNTEER, valid_until=YESTERDAY), field="valid_until"
    ),
    Refusal(
        "consent.missing",
        given=in_pilot_without_consent(),
        when=scenario.observation(VOLUNTEER),
        field="actor.id",
        says="Karim",
    ),
    # a revocation takes effect for the very next action
    Refusal("consent.missing", given=[*observed(), REVOKE], when=scenario.observation(VOLUNTEER), field="actor.id"),
    Refusal("consent.none_in_force", given=team_approved(), when=REVOKE, field="person_id"),
    Refusal("consent.not_needed_for_staff", given=team_approved(), when=scenario.consent(STAFF), field="person_id"),
    Refusal("consent.not_on_team", given=team_approved(), when=scenario.consent({"id": "stranger"}), field="person_id"),
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
    Accepted(
        "consent.not_needed_for_staff_observing",
        given=in_pilot_without_consent(),
        when=scenario.observation(STAFF),
        then=["observation_recorded"],
    ),
    Accepted("consent.revoked", given=observed(), when=REVOKE, then=["consent_revoked"]),
    # the number of categories does not make a consent blanket (the sources of consent.blanket)
    Accepted("consent.every_category", given=team_approved(), when=EVERY, then=["consent_given"]),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)


def test_staff_records_observations_without_consent():
    state, _ = CASE.history([*in_pilot_without_consent(), scenario.observation(STAFF)], NOW)
    assert state.observations[-1].by == STAFF["id"]


def test_revocation_takes_effect_for_the_next_action_at_once():
    state, _ = CASE.history(observed(), NOW)  # the volunteer has observed once, with consent
    revoked, _ = CASE.history([*observed(), REVOKE], NOW)
    assert state.consent_covers(KARIM, InformationCategory.OBSERVATIONS, NOW)
    assert not revoked.consent_covers(KARIM, InformationCategory.OBSERVATIONS, NOW)


def test_consent_covers_only_the_named_categories_and_only_until_its_date():
    state, _ = CASE.history(consented(), NOW)
    assert state.consent_covers(KARIM, InformationCategory.GOALS, NOW)
    assert not state.consent_covers(KARIM, InformationCategory.HEALTH, NOW)
    after_expiry = datetime(2036, 1, 1, tzinfo=UTC)
    assert not state.consent_covers(KARIM, InformationCategory.GOALS, after_expiry)


def test_a_consent_naming_every_category_for_a_concrete_purpose_is_not_blanket():
    state, _ = CASE.history([*team_approved(), EVERY], NOW)
    assert state.consents[KARIM].categories == tuple(InformationCategory)
    assert state.consent_covers(KARIM, InformationCategory.HEALTH, NOW)
