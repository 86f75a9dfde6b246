"""Every reader turns a stored event into a domain event through one mapper,
``activities.readmodels`` (decryption, erased fields, upcasting): a reader that
rebuilt events itself would read an erased or older event otherwise than the rest."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The readers: everything outside the domain that reads the log.
READERS = ("activities", "app", "projections", "workflows", "eventlog", "bench")
MAPPER = "activities/readmodels.py"
#: What rebuilds a domain event from the log's columns and payload.
REBUILDERS = {"event_from_record", "event_from_log", "event_adapter", "appeal_event_adapter", "forum_event_adapter"}


def rebuilders_named(source: str) -> list[str]:
    """The rebuilders a module names (imports, calls or attributes)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            found += [alias.name for alias in node.names if alias.name in REBUILDERS]
        elif isinstance(node, ast.Attribute) and node.attr in REBUILDERS:
            found.append(node.attr)
    return found


def test_only_the_read_models_rebuild_domain_events_from_the_log():
    offenders = [
        f"{path.relative_to(ROOT)}: {', '.join(names)}"
        for folder in READERS
        for path in sorted((ROOT / folder).rglob("*.py"))
        if str(path.relative_to(ROOT)) != MAPPER and (names := rebuilders_named(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []


def test_the_check_finds_a_reader_of_its_own():
    assert rebuilders_named("from domain.case import CaseState, event_from_record") == ["event_from_record"]
    assert rebuilders_named("x = appeal.appeal_event_adapter.validate_python(data)") == ["appeal_event_adapter"]
    assert rebuilders_named("from activities.readmodels import to_domain_event") == []
