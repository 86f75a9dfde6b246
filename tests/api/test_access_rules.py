"""The permission matrix on its own: pure, no server (domain.access)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.access import Action, Subject, may
from domain.case.consent import Consent
from domain.case.decider import CaseState
from domain.case.team import InvitationStatus, MemberKind, TeamMember
from domain.citizen import Citizen
from domain.information import InformationCategory
from domain.messages import Role

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
KARIM = Subject("vol-karim", Role.VOLUNTEER, "0101")


def case(revoked_at: datetime | None = None) -> CaseState:
    member = TeamMember(person_id="vol-karim", name="Karim", kind=MemberKind.VOLUNTEER, organisation="Røde Kors",
                        status=InvitationStatus.JOINED)  # fmt: skip
    consent = Consent(person_id="vol-karim", categories=(InformationCategory.PLAN,), purpose="mentor",
                      valid_until=date(2026, 12, 31), given_at=NOW - timedelta(days=1), revoked_at=revoked_at)  # fmt: skip
    return CaseState(case_id="K-1", citizen=Citizen(cpr="0412981234", name="Jonas"), team={"vol-karim": member},
                     consents={"vol-karim": consent}, confidentiality_declarations={"vol-karim": date(2026, 4, 1)})  # fmt: skip


def test_a_volunteer_sees_nothing_before_the_tavshedserklaering_is_recorded():
    """Consent lifts the duty of confidentiality towards a named private person (databeskyttelseslovens § 7,
    forvaltningslovens § 27); the volunteer takes that duty on by a signed declaration first."""
    undeclared = case().model_copy(update={"confidentiality_declarations": {}})
    refused = may(KARIM, Action.READ_CASE, state=undeclared, at=NOW)
    assert not refused and "tavshedserklæring" in refused.reason
    assert not may(KARIM, Action.ACT, state=undeclared, at=NOW, command_type="record_observation")
    assert may(KARIM, Action.ACT, state=undeclared, at=NOW, command_type="answer_invitation")
    assert may(KARIM, Action.READ_CASE, state=case(), at=NOW).categories == {InformationCategory.PLAN}


def test_a_volunteer_sees_the_consented_categories_until_the_moment_of_revocation():
    revoked = NOW + timedelta(hours=1)
    before = may(KARIM, Action.READ_CASE, state=case(revoked), at=NOW)
    assert before.allowed and before.categories == {InformationCategory.PLAN}
    assert not may(KARIM, Action.READ_CASE, state=case(revoked), at=revoked)


def test_a_citizen_is_matched_to_their_case_by_cpr_with_or_without_the_dash():
    assert may(Subject("jonas", Role.CITIZEN, "0101", cpr="041298-1234"), Action.READ_CASE, state=case(), at=NOW)
    assert not may(Subject("jonas", Role.CITIZEN, "0101", cpr="0412981235"), Action.READ_CASE, state=case(), at=NOW)


def test_a_token_from_another_municipality_opens_nothing():
    auditor = Subject("aud", Role.AUDITOR, "0147")
    assert not may(auditor, Action.AUDIT_VERIFY, municipality="0101")
    assert may(auditor, Action.AUDIT_VERIFY, municipality="0147")


def test_nobody_gives_the_case_s_own_commands_and_the_auditor_gives_none():
    officer = Subject("cw", Role.CASEWORKER, "0101")
    assert not may(officer, Action.ACT, state=case(), command_type="record_missed_deadline")
    assert not may(Subject("aud", Role.AUDITOR, "0101"), Action.ACT, state=case(), command_type="close_case")


def test_every_command_and_event_has_a_danish_name_on_the_pages():
    """A caseworker reads Danish; a new command or event must get its name on the pages too."""
    from domain import catalogue

    assert [name for name, c in catalogue.COMMANDS.items() if not c.label] == []
    assert [name for name, e in catalogue.EVENTS.items() if not e.label] == []
