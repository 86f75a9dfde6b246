"""The worker passes our workflow modules through the sandbox (worker.py says
why), so the sandbox no longer catches a clock, random or I/O call written in
them. This test reads every module in workflows/ and refuses such calls and
imports, on every code path, run or not."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"

#: module -> the names in it a workflow must not call (None: the whole module)
FORBIDDEN_CALLS: dict[str, set[str] | None] = {
    "datetime": {"now", "utcnow", "today"},
    "date": {"today"},
    "time": None,
    "uuid": {"uuid1", "uuid4"},
    "random": None,
    "os": None,
    "secrets": None,
    "socket": None,
    "subprocess": None,
    "threading": None,
}
FORBIDDEN_IMPORTS = {
    "time", "random", "os", "secrets", "socket", "subprocess", "threading", "sqlite3",
    "sqlalchemy", "psycopg", "httpx", "requests", "eventlog", "activities.eventlog", "structlog",
}  # fmt: skip
FORBIDDEN_BUILTINS = {"open", "input", "print"}


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def violations(source: str, filename: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                if name in FORBIDDEN_IMPORTS or name.split(".")[0] in FORBIDDEN_IMPORTS:
                    found.append(f"{filename}:{node.lineno}: imports {name}")
        elif isinstance(node, ast.Call):
            called = _dotted(node.func)
            if called is None:
                continue
            if called in FORBIDDEN_BUILTINS:
                found.append(f"{filename}:{node.lineno}: calls {called}()")
                continue
            *owner, attribute = called.split(".")
            if owner and owner[-1] in FORBIDDEN_CALLS:
                forbidden = FORBIDDEN_CALLS[owner[-1]]
                if forbidden is None or attribute in forbidden:
                    found.append(
                        f"{filename}:{node.lineno}: calls {called}() (use workflow.now(), workflow.uuid4(), workflow.random() or an activity)"
                    )
    return found


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.py")), ids=lambda p: p.name)
def test_workflow_modules_call_no_clock_random_or_io(path):
    assert violations(path.read_text(), path.name) == []


@pytest.mark.parametrize(
    "line",
    [
        "from datetime import datetime\nx = datetime.now()",
        "import datetime\nx = datetime.datetime.utcnow()",
        "import uuid\nx = uuid.uuid4()",
        "import random\nx = random.random()",
        "from eventlog import EventStore",
        "x = open('/etc/passwd')",
        "import time\ntime.sleep(1)",
    ],
)
def test_the_rule_catches_what_it_is_for(line):
    assert violations(line, "example.py")


def test_the_rule_lets_deterministic_code_through():
    source = (
        "import uuid\nfrom datetime import timedelta\nx = uuid.uuid5(uuid.NAMESPACE_URL, 'a')\ny = timedelta(days=1)"
    )
    assert violations(source, "example.py") == []


def domain_refusals_mapped(source: str, filename: str) -> list[str]:
    """Where a module catches the domain's refusal itself: ``workflows/shell.py`` maps it
    for every workflow (``shell.decided``), so the rule code and field reach a caller alike."""
    return [
        f"{filename}:{node.lineno}: catches DomainError (decide through workflows.shell.decided)"
        for node in ast.walk(ast.parse(source, filename))
        if isinstance(node, ast.ExceptHandler) and node.type is not None and "DomainError" in ast.unparse(node.type)
    ]


@pytest.mark.parametrize(
    "path", sorted(p for p in WORKFLOWS.glob("*.py") if p.name != "shell.py"), ids=lambda p: p.name
)
def test_only_the_shell_turns_a_domain_refusal_into_a_workflow_refusal(path):
    assert domain_refusals_mapped(path.read_text(), path.name) == []


def test_the_shell_rule_catches_a_refusal_mapped_by_hand():
    source = "try:\n    decide(state, command)\nexcept DomainError as error:\n    raise refusal(error)"
    assert domain_refusals_mapped(source, "example.py")
    assert domain_refusals_mapped(source.replace("DomainError", "(KeyError, DomainError)"), "example.py")
