"""The catalogue: every command and event, and what each class declares, in one place.

A command's roles, an event's category, label and legal basis are declared on the
class and nowhere else; these tests keep it so."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from domain import catalogue
from domain.information import InformationCategory
from domain.legal import LegalBasis
from domain.messages import Actor, Role

ROOT = Path(__file__).resolve().parents[2]
#: The folders whose code may not repeat the catalogue in a table of its own.
CHECKED = ("app", "domain", "workflows", "activities", "projections")
KNOWN_TYPES = frozenset(catalogue.COMMANDS) | frozenset(catalogue.EVENTS)


def _tables_of_types(tree: ast.AST) -> list[tuple[int, list[str]]]:
    """Dict, set, tuple and list literals in ``tree`` that hold two or more command or event type names."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            items = [k for k in node.keys if k is not None]
        elif isinstance(node, (ast.Set, ast.Tuple, ast.List)):
            items = node.elts
        else:
            continue
        names = [i.value for i in items if isinstance(i, ast.Constant) and i.value in KNOWN_TYPES]
        if len(names) >= 2:
            found.append((node.lineno, names))
    return found


def test_no_module_names_commands_or_events_in_a_table_of_its_own():
    """Who may give a command, what an event shows and what both are called is declared
    on the class; a table keyed by type names elsewhere drifts from it (as the permission
    matrix once drifted from the deciders). Refer to the classes, or ask the catalogue."""
    offenders = []
    for folder in CHECKED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for line, names in _tables_of_types(ast.parse(path.read_text(encoding="utf-8"))):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {', '.join(names[:4])}")
    assert offenders == []


def test_the_table_check_finds_a_table():
    """The check above can fail: a table of two type names is found, one name alone is not."""
    assert _tables_of_types(ast.parse('X = {"need_registered": 1, "decision_made": 2}'))
    assert _tables_of_types(ast.parse('X = ("approve_team", "answer_plan")'))
    assert not _tables_of_types(ast.parse('if t == "approve_team": pass\nX = {"approve_team": 1, "other": 2}'))


def test_every_command_and_event_of_every_decider_is_collected():
    for name in ("register_need", "lodge_appeal", "open_forum", "record_missed_deadline"):
        assert name in catalogue.COMMANDS
    for name in (
        "need_registered",
        "appeal_lodged",
        "forum_opened",
        "kl_delivery_day_completed",
        "personal_data_erased",
    ):
        assert name in catalogue.EVENTS
    assert all(catalogue.type_of(cls) == name for name, cls in catalogue.COMMANDS.items())
    assert all(catalogue.type_of(cls) == name for name, cls in catalogue.EVENTS.items())


def test_every_command_and_event_has_a_danish_label():
    assert [n for n, c in catalogue.COMMANDS.items() if not c.label] == []
    assert [n for n, e in catalogue.EVENTS.items() if not e.label] == []
    assert catalogue.command_label("approve_team") == "Godkend holdet"
    assert catalogue.command_label("no_such_command") == "no_such_command"


def test_every_person_command_names_who_gives_it_and_no_system_command_does():
    for name, cls in catalogue.COMMANDS.items():
        if cls.issued_by_system:
            assert catalogue.roles_of(name) == frozenset(), name
        else:
            assert cls.roles and Role.SYSTEM not in cls.roles, name
            assert Role.AUDITOR not in cls.roles, name  # an auditor reads everything and writes nothing
            # an administrator runs the system: of all commands, only erasing personal data (GDPR art. 17)
            assert Role.ADMINISTRATOR not in cls.roles or name == "erase_forum_text", name


def test_the_citizen_s_own_say_is_theirs_alone():
    """The deciders take these only from the citizen (or a representative with a fuldmagt)."""
    own = catalogue.citizen_only_commands()
    assert {"approve_team", "answer_plan", "give_consent", "revoke_consent", "lodge_appeal", "answer_hearing",
            "consent_to_obtain_information", "record_citizens_choice", "submit_comment"} <= own  # fmt: skip
    assert "register_need" not in own and "record_observation" not in own
    assert own <= catalogue.commands_for(Role.CITIZEN)
    assert not own & catalogue.commands_for(Role.CASEWORKER)
    assert catalogue.system_commands().isdisjoint(catalogue.commands_for(Role.CASEWORKER))


def test_a_fuldmagt_covers_only_what_the_citizen_may_give():
    assert catalogue.representable_commands() <= catalogue.commands_for(Role.CITIZEN)
    assert {"answer_hearing", "lodge_appeal", "register_need"} <= catalogue.representable_commands()


def test_events_declare_the_category_they_show():
    assert catalogue.category_of("need_registered") is InformationCategory.NEED
    assert catalogue.category_of("observation_recorded") is InformationCategory.OBSERVATIONS
    assert catalogue.category_of("team_member_invited") is None  # the process: outsiders never see it
    assert catalogue.category_of("no_such_event") is None


def test_a_fixed_legal_basis_is_what_the_event_files_under():
    """The log's column holds ``legal_basis()``; where the class fixes it, that is the declared one."""
    from datetime import UTC, datetime

    from domain.appeal import AppealWindowClosed, ReconsiderationOverdue

    at = datetime(2026, 5, 1, tzinfo=UTC)
    overdue = ReconsiderationOverdue(occurred_at=at, actor=Actor(id="samskab", role=Role.SYSTEM), due_at=at)
    assert overdue.legal_basis() == "Retssikkerhedsloven § 66" == catalogue.fixed_basis_of("reconsideration_overdue")
    assert type(overdue.legal_basis()) is str  # plain text in the column, not the enum
    assert AppealWindowClosed.fixed_basis is None and catalogue.fixed_basis_of("appeal_window_closed") is None
    declared = {cls.fixed_basis for cls in catalogue.EVENTS.values()} - {None}
    assert declared <= set(LegalBasis)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SYSTEM, Role.REPRESENTATIVE])
def test_roles_that_give_no_command(role):
    assert catalogue.commands_for(role) == frozenset()


def test_the_citizen_s_identity_is_declared_where_an_event_carries_it():
    from domain.access import identity_fields

    assert identity_fields("need_registered") == ("citizen",)
    assert identity_fields("observation_recorded") == () and identity_fields("no_such_event") == ()
