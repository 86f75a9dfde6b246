"""The permission matrix and the deciders agree on who gives each command.

Both read the command's declaration (``domain.catalogue``); before, the matrix was
a table of its own and refused citizens commands the deciders took only from
citizens, and the API routed system commands that always answered 403. The deciders now refuse a role
from the declaration itself (``Command.roles``), so the two cannot drift. For every
command a person gives the case and every role that acts on cases, the matrix
allows it iff the decider does not refuse it for the person (a refusal naming
``actor.role`` or ``actor.id``). Pure: no server."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.api.openapi import command_examples
from app.api.routes import APPEAL_ROUTES, appeal_body, body_model, routed_commands
from domain import catalogue
from domain.access import Action, Subject, may
from domain.appeal import appeal_command_adapter, decide_appeal, initial_appeal_state
from domain.case.consent import Consent
from domain.case.decider import ALLOWED, CaseState, command_adapter, decide
from domain.case.meetings import Meeting
from domain.case.team import InvitationStatus, MemberKind, TeamMember
from domain.citizen import Citizen
from domain.errors import DomainError
from domain.information import InformationCategory
from domain.messages import Role

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
CPR = "0412981234"
ACTING = (Role.CITIZEN, Role.CASEWORKER, Role.TEAM_LEAD, Role.STAFF, Role.VOLUNTEER, Role.RELATIVE)
KIND = {Role.STAFF: MemberKind.STAFF, Role.VOLUNTEER: MemberKind.VOLUNTEER, Role.RELATIVE: MemberKind.RELATIVE}
PERSON_COMMANDS = catalogue.person_commands(catalogue.CASE_COMMANDS)
EXAMPLES = command_examples({catalogue.type_of(c): body_model(c) for c in PERSON_COMMANDS})

#: The acting person's consent from the citizen, so a consent rule never stands in for a role rule.
CONSENT = Consent(person_id="p", categories=tuple(InformationCategory), purpose="at hjælpe borgeren",
                  valid_until=date(2027, 12, 31), given_at=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
#: The reporter each role reports a changed need as (``reported_by``).
REPORTED_AS = {Role.CITIZEN: "citizen", Role.CASEWORKER: "caseworker", Role.TEAM_LEAD: "caseworker",
               Role.VOLUNTEER: "volunteer", Role.RELATIVE: "relative"}  # fmt: skip


def _state(command: type, role: Role) -> CaseState:
    """A case in a phase that takes ``command``, with the acting person on its team where their role can be."""
    phase = next(p for p, allowed in ALLOWED.items() if command in allowed)
    team = {}
    if role in KIND or command is catalogue.command("answer_invitation"):
        status = (
            InvitationStatus.INVITED if command is catalogue.command("answer_invitation") else InvitationStatus.JOINED
        )
        team["p"] = TeamMember(person_id="p", name="P", kind=KIND.get(role, MemberKind.STAFF), organisation="Kommunen",
                               status=status)  # fmt: skip
    meeting = Meeting(meeting_no=1, planned_for=NOW, agenda="Status", participants=tuple(team))
    return CaseState(case_id="K-1", phase=phase, phase_since=NOW, citizen=Citizen(cpr=CPR, name="Jonas"),
                     caseworker_id="cw", team=team, confidentiality_declarations={"p": date(2026, 1, 1)},
                     consents={"p": CONSENT}, meetings={1: meeting})  # fmt: skip


def _decider_refuses_role(command: type, role: Role, state: CaseState) -> bool:
    name = catalogue.type_of(command)
    body = dict(EXAMPLES[name]["example"]["value"])
    if "reported_by" in body and role in REPORTED_AS:
        body["reported_by"] = REPORTED_AS[role]
    given = command_adapter.validate_python({**body, "type": name, "actor": {"id": "p", "role": role.value}, "at": NOW})
    try:
        decide(state, given)
    except DomainError as refusal:  # refused for who the person is, or the role they act in
        return refusal.field in ("actor.role", "actor.id")
    return False


@pytest.mark.parametrize("command", PERSON_COMMANDS, ids=catalogue.type_of)
@pytest.mark.parametrize("role", ACTING, ids=str)
def test_the_matrix_allows_a_command_iff_the_decider_takes_it_from_the_role(command, role):
    name = catalogue.type_of(command)
    if name == "register_need":
        pytest.skip("opens a case: no case to act on yet (Action.OPEN_CASE)")
    state = _state(command, role)
    who = Subject("p", role, "0101", cpr=CPR if role is Role.CITIZEN else None)
    allowed = may(who, Action.ACT, state=state, at=NOW, command_type=name).allowed
    refused = _decider_refuses_role(command, role, state)
    assert allowed is not refused, f"matrix allows: {allowed}; decider refuses the role: {refused}"


def test_every_person_command_has_an_example_to_check_it_with():
    assert {catalogue.type_of(c) for c in PERSON_COMMANDS} - {"register_need"} <= EXAMPLES.keys()


def test_the_citizen_gives_their_own_say_over_http():
    """The three commands the issue found unusable: the matrix let no citizen give them."""
    for name in ("answer_hearing", "consent_to_obtain_information", "record_citizens_choice"):
        citizen = Subject("jonas", Role.CITIZEN, "0101", cpr=CPR)
        assert may(citizen, Action.ACT, state=_state(catalogue.COMMANDS[name], Role.CITIZEN), at=NOW, command_type=name)
        officer = Subject("cw", Role.CASEWORKER, "0101")
        assert not may(
            officer, Action.ACT, state=_state(catalogue.COMMANDS[name], Role.CASEWORKER), at=NOW, command_type=name
        )


def test_every_command_the_api_offers_is_one_someone_can_give():
    routed = [catalogue.type_of(c) for c in routed_commands()] + [
        catalogue.type_of(c) for c, _ in APPEAL_ROUTES.values()
    ]
    assert routed
    for name in routed:
        assert not catalogue.is_system_command(name), name
        assert catalogue.roles_of(name) & set(ACTING), name
    assert catalogue.system_commands() & {catalogue.type_of(c) for c in catalogue.CASE_COMMANDS}  # there are some
    assert not catalogue.system_commands() & set(routed)
    # and the API's documentation shows no example for a command it has no route for
    assert {name for name, c in catalogue.COMMANDS.items() if c.example is not None} <= set(routed)


APPEAL_PERSON_COMMANDS = catalogue.person_commands(catalogue.APPEAL_COMMANDS)
APPEAL_EXAMPLES = command_examples({catalogue.type_of(c): appeal_body(c) for c in APPEAL_PERSON_COMMANDS})


@pytest.mark.parametrize("command", APPEAL_PERSON_COMMANDS, ids=catalogue.type_of)
@pytest.mark.parametrize("role", ACTING, ids=str)
def test_the_matrix_allows_an_appeal_command_iff_the_appeal_takes_it_from_the_role(command, role):
    """The appeal's deciders check the role before the appeal's status, so any status shows it."""
    name = catalogue.type_of(command)
    state = _state(catalogue.COMMANDS["record_observation"], role)
    who = Subject("p", role, "0101", cpr=CPR if role is Role.CITIZEN else None)
    allowed = may(who, Action.ACT, state=state, at=NOW, command_type=name).allowed
    example = APPEAL_EXAMPLES.get(name, {}).get("example", {}).get("value", {"complaint": "Jeg er uenig i afgørelsen"})
    given = appeal_command_adapter.validate_python(
        {**example, "type": name, "actor": {"id": "p", "role": role.value}, "at": NOW,
         **({"channel": "phone"} if role in catalogue.CASE_OFFICERS and name == "withdraw_appeal" else {})}
    )  # fmt: skip
    try:
        decide_appeal(initial_appeal_state(), given)
        refused = False
    except DomainError as refusal:
        refused = refusal.field == "actor.role"
    assert allowed is not refused, f"matrix allows: {allowed}; decider refuses the role: {refused}"
