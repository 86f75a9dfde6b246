"""The citizen's consent: concrete, for named people outside the municipality, revocable at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.information import InformationCategory
from tests import scenario
from tests.domain.test_case_decider import NOW, given, refused, steps

# steps(8): the team is approved; steps(9): consent given to the volunteer; steps(12): pilot started
PILOT_WITHOUT_CONSENT = [*steps(8), scenario.propose_plan(), scenario.accept_plan(), scenario.start_pilot()]


def test_a_volunteer_without_consent_cannot_record_an_observation():
    error = refused(given(*PILOT_WITHOUT_CONSENT), scenario.observation(scenario.VOLUNTEER))
    assert error.rule == "consent.missing" and "Karim" in error.message


def test_staff_records_observations_without_consent():
    state = given(*PILOT_WITHOUT_CONSENT, scenario.observation(scenario.STAFF))
    assert state.observations[-1].by == "jc-lise"


def test_revocation_takes_effect_for_the_next_action_at_once():
    state = given(*steps(13))  # the volunteer has observed once, with consent
    revoked = given(*steps(13), scenario.revoke(scenario.VOLUNTEER))
    assert state.consent_covers("vol-karim", InformationCategory.OBSERVATIONS, NOW)
    assert not revoked.consent_covers("vol-karim", InformationCategory.OBSERVATIONS, NOW)
    error = refused(revoked, scenario.observation(scenario.VOLUNTEER))
    assert error.rule == "consent.missing"


def test_consent_covers_only_the_named_categories_and_only_until_its_date():
    state = given(*steps(9))
    assert state.consent_covers("vol-karim", InformationCategory.GOALS, NOW)
    assert not state.consent_covers("vol-karim", InformationCategory.HEALTH, NOW)
    after_expiry = datetime(2036, 1, 1, tzinfo=UTC)
    assert not state.consent_covers("vol-karim", InformationCategory.GOALS, after_expiry)


def test_a_consent_with_an_unspecified_purpose_is_blanket_and_refused():
    """GDPR art. 4(11) and 6(1)(a) (a specific consent); databeskyttelseslovens § 7: blanket means an
    unspecified recipient or purpose. The recipient is always a named team member; the purpose is checked."""
    data = scenario.consent(scenario.VOLUNTEER) | {"purpose": "Til brug for alle formål i kommunen"}
    error = refused(given(*steps(8)), data)
    assert (
        error.rule == "consent.blanket" and error.field == "purpose" and "databeskyttelseslovens § 7" in error.message
    )


def test_a_consent_naming_every_category_for_a_concrete_purpose_is_not_blanket():
    """Same sources: the number of categories does not make a consent blanket."""
    every = scenario.consent(scenario.VOLUNTEER, categories=[c.value for c in InformationCategory])
    state = given(*steps(8), every)
    assert state.consents["vol-karim"].categories == tuple(InformationCategory)
    assert state.consent_covers("vol-karim", InformationCategory.HEALTH, NOW)


def test_consent_is_for_people_outside_the_municipality():
    error = refused(given(*steps(8)), scenario.consent(scenario.STAFF))
    assert error.rule == "consent.not_needed_for_staff"


def test_consent_is_given_by_the_citizen_to_someone_on_the_team():
    data = scenario.consent({"id": "stranger"})
    assert refused(given(*steps(8)), data).rule == "consent.not_on_team"
    data = scenario.consent(scenario.VOLUNTEER) | {"actor": scenario.CASEWORKER}
    assert refused(given(*steps(8)), data).field == "actor.role"


def test_a_consent_that_has_already_run_out_is_refused():
    data = scenario.consent(scenario.VOLUNTEER, valid_until=(NOW - timedelta(days=1)).date().isoformat())
    assert refused(given(*steps(8)), data).field == "valid_until"


def test_only_a_consent_in_force_can_be_revoked():
    assert refused(given(*steps(8)), scenario.revoke(scenario.VOLUNTEER)).rule == "consent.none_in_force"
