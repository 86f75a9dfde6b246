"""Every rule code the project can raise is exercised by a test, and no test names a code that is gone.

A rule code is the ``rule`` of a refusal: the ``rule=`` of a ``DomainError``,
``require(...)`` or of the application's own refusals
(``ApiError``, ``CommandRejected``, the audit CLI's failures), a ``"rule"`` key of
an error body or of a workflow's ``ApplicationError`` details, or the argument in
the ``rule`` position of a module's own error function. The codes are read from the
source with ``ast`` (Python files only: a data file is not a place a code is
raised), so a refusal added without a test fails here, by name.

A test names a code when the code is a string constant somewhere under
``tests/`` (a ``Refusal("appeal.not_open", ...)``, an ``assert error.rule ==
"..."``, a ``"rule": "..."`` in an expected body), or follows "rule: " in one
(the CLI's "(field: --since, rule: tree_head.invalid)").
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The packages that raise refusals.
SOURCES = ("domain", "workflows", "activities", "app", "eventlog", "projections")
#: Not refusals: the findings of KL's delivery report validation, a catalogue of their own
#: (``domain.ffb_report_rules.RULES``) that a report is checked against before it is sent.
OTHER_CATALOGUES = {"domain/ffb_report_rules.py"}

#: Codes built at run time (an f-string in a rule position), with every value they take.
#: ``service.unavailable.<service>``: the API's 503 for a dependency that is down
#: (``app.api.service.unavailable``) and the readiness body naming the first failed
#: check (``app.api.health.READINESS_CHECKS``).
BUILT_CODES: dict[str, tuple[str, ...]] = {
    "service.unavailable.{}": ("database", "temporal", "projections", "schema"),
}

#: What a rule code looks like: a lower-case namespace, a dot, a name (more dots allowed).
CODE = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z0-9_]*)+$")
#: A code inside a longer text, as the CLI prints it: "(field: --since, rule: tree_head.invalid)".
CODE_IN_TEXT = re.compile(r"\brule: ([a-z][a-z_]*(?:\.[a-z][a-z0-9_]*)+)")


def _python_files(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _constants(node: ast.AST, named: dict[str, str]) -> Iterator[str | ast.JoinedStr]:
    """The codes an expression in a rule position can be: a constant (or a module's constant
    by its name), either branch of a conditional, the fallback of an ``or``; an f-string as
    the template it is. Anything else passes on a code raised elsewhere (``rule=error.rule``)."""
    match node:
        case ast.Constant(value=str(value)):
            yield value
        case ast.Name(id=name) if name in named:
            yield named[name]
        case ast.JoinedStr():
            yield node
        case ast.IfExp():
            yield from _constants(node.body, named)
            yield from _constants(node.orelse, named)
        case ast.BoolOp():
            for operand in node.values:
                yield from _constants(operand, named)


def _module_constants(tree: ast.Module) -> dict[str, str]:
    """A module's own string constants (``STRUCTURE_RULE = "report.fhir_structure"``), by name."""
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }


def _template(node: ast.JoinedStr) -> str:
    # an f-string's literal parts are str constants; its {...} parts are FormattedValue
    return "".join(str(part.value) if isinstance(part, ast.Constant) else "{}" for part in node.values)


def _rule_functions(tree: ast.Module) -> dict[str, int]:
    """A module's own functions that take a ``rule`` parameter, with its position."""
    functions = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
            if "rule" in names:
                functions[node.name] = names.index("rule") - (1 if names and names[0] in ("self", "cls") else 0)
    return functions


def _in_rule_position(tree: ast.Module) -> Iterator[ast.AST]:
    functions = _rule_functions(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield from (k.value for k in node.keywords if k.arg == "rule")
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name in functions and len(node.args) > functions[name]:
                yield node.args[functions[name]]
        elif isinstance(node, ast.Dict):
            yield from (v for k, v in zip(node.keys, node.values, strict=True)
                        if isinstance(k, ast.Constant) and k.value == "rule")  # fmt: skip


@cache
def raised_codes() -> dict[str, set[str]]:
    """Every rule code the project can raise, with the files that raise it."""
    codes: dict[str, set[str]] = {}
    unknown_templates: set[str] = set()
    for path in _python_files(*SOURCES):
        where = str(path.relative_to(ROOT))
        if where in OTHER_CATALOGUES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        named = _module_constants(tree)
        for expression in _in_rule_position(tree):
            for code in _constants(expression, named):
                if isinstance(code, ast.JoinedStr):
                    template = _template(code)
                    if template not in BUILT_CODES:
                        unknown_templates.add(f"{template} ({where})")
                        continue
                    built = [template.format(value) for value in BUILT_CODES[template]]
                else:
                    built = [code]
                for one in built:
                    codes.setdefault(one, set()).add(where)
    assert not unknown_templates, (
        "rule codes built at run time that BUILT_CODES does not declare (say every value they take): "
        + ", ".join(sorted(unknown_templates))
    )
    return codes


def named_in_tests() -> dict[str, set[str]]:
    """Every string constant under tests/ that looks like a rule code, with the files naming it."""
    named: dict[str, set[str]] = {}
    for path, tree in _test_modules():
        for code in _strings([tree]):
            named.setdefault(code, set()).add(path)
    return named


def asserted_in_tests() -> dict[str, set[str]]:
    """The codes tests assert a refusal has: compared with a ``.rule`` or ``["rule"]``,
    the rule of a ``Refusal(...)``, a ``rule=`` or a ``"rule"`` key of an expected body."""
    asserted: dict[str, set[str]] = {}
    for path, tree in _test_modules():
        for node in ast.walk(tree):
            for code in _strings(_asserted_rule(node)):
                asserted.setdefault(code, set()).add(path)
    return asserted


@cache
def _test_modules() -> tuple[tuple[str, ast.Module], ...]:
    return tuple(_parse_tests())


def _parse_tests() -> Iterator[tuple[str, ast.Module]]:
    for path in _python_files("tests"):
        if path != Path(__file__).resolve():
            yield str(path.relative_to(ROOT)), ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _names_rule(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "rule") or (
        isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == "rule"
    )


def _says_rule(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE_IN_TEXT.search(node.value) is not None
    )


def _asserted_rule(node: ast.AST) -> list[ast.AST]:
    sides: tuple[ast.AST, ...] = (node.left, *node.comparators) if isinstance(node, ast.Compare) else ()
    if any(_names_rule(side) or _says_rule(side) for side in sides):
        return list(sides)
    if isinstance(node, ast.Call):
        keywords: list[ast.AST] = [k.value for k in node.keywords if k.arg == "rule"]
        if isinstance(node.func, ast.Name) and node.func.id == "Refusal" and node.args:
            keywords.append(node.args[0])
        return keywords
    if isinstance(node, ast.Dict):
        return [
            v for k, v in zip(node.keys, node.values, strict=True) if isinstance(k, ast.Constant) and k.value == "rule"
        ]
    return []


def _strings(nodes: list[ast.AST]) -> Iterator[str]:
    """The codes string constants name: the whole string, or after "rule: " in a text."""
    for top in nodes:
        for node in ast.walk(top):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if CODE.match(node.value):
                    yield node.value
                yield from CODE_IN_TEXT.findall(node.value)


def _listing(codes: dict[str, set[str]]) -> str:
    return "\n".join(f"  {code}  ({', '.join(sorted(files))})" for code, files in sorted(codes.items()))


def test_the_collector_reads_every_form_a_code_is_raised_in():
    """The ways the project writes a code: a keyword, a conditional, a fallback, an
    error body's key, a function's positional argument, and an f-string declared above."""
    codes = raised_codes()
    assert "appeal.role_not_allowed" in codes  # require(..., rule="...")
    assert {"appeal.already_lodged", "appeal.not_open"} <= codes.keys()  # rule="a" if ... else "b"
    assert "case.refused" in codes  # rule=error.rule or "case.refused"
    assert "case.stale_version" in codes  # {"rule": "...", ...} in an ApplicationError's details
    assert "codec.not_payloads" in codes  # _error(422, "...", "codec.not_payloads", "body")
    assert "service.unavailable.temporal" in codes  # rule=f"service.unavailable.{service}"
    assert all(CODE.match(code) for code in codes), sorted(c for c in codes if not CODE.match(c))


def test_a_code_by_the_name_of_a_module_constant_is_read_too():
    tree = ast.parse('RULE = "thing.named"\nrequire(ok, "message", rule=RULE)\nrequire(ok, "message", rule=error.rule)')
    named = _module_constants(tree)
    assert [c for e in _in_rule_position(tree) for c in _constants(e, named)] == ["thing.named"]


def test_the_built_codes_take_the_values_declared():
    """The services a 503 names: every readiness check (``app.api.health``), and every
    service the API's handlers name to ``unavailable(...)``."""
    from app.api.health import READINESS_CHECKS

    named = {
        call.args[0].value
        for path in _python_files("app")
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(call, ast.Call)
        and getattr(call.func, "id", getattr(call.func, "attr", None)) == "unavailable"
        and call.args
        and isinstance(call.args[0], ast.Constant)
    }
    assert named, "no call of unavailable(...) found: the check reads the wrong name"
    assert set(READINESS_CHECKS) | named <= set(BUILT_CODES["service.unavailable.{}"])


def test_every_rule_code_is_exercised_by_a_test():
    codes, named = raised_codes(), named_in_tests()
    untested = {code: files for code, files in codes.items() if code not in named}
    assert not untested, (
        f"{len(untested)} of {len(codes)} rule codes have no test (code, raised in):\n{_listing(untested)}"
    )


def test_no_test_names_a_rule_code_the_project_no_longer_raises():
    """A code a test asserts a refusal has, that nothing raises: a stale test (or a
    typo that tests nothing). KL's delivery report rules are their own catalogue."""
    from activities.kl_gateway.validation import STRUCTURE_RULE
    from domain.ffb_report_rules import RULES as REPORT_RULES

    codes, asserted = raised_codes(), asserted_in_tests()
    stale = {code: files for code, files in asserted.items()
             if code not in codes and code not in REPORT_RULES and code != STRUCTURE_RULE}  # fmt: skip
    assert not stale, f"tests assert rule codes nothing raises (code, named in):\n{_listing(stale)}"
