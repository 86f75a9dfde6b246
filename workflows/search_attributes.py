"""The search attributes a case shows in Temporal's visibility store: the one list the dev
server is started with (``app.devstack``), the worker registers (``app.temporal``) and the
case workflow sets (``workflows.case``). None holds personal data: a phase, a kommunekode,
a caseworker's id, a date and an FFB target-group code.

An operator finds cases with them, e.g.
``temporal workflow list --query "Municipality='0101' AND NextDeadline < '2026-12-24T00:00:00Z'"``.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey

CASE_PHASE = SearchAttributeKey.for_keyword("CasePhase")
MUNICIPALITY = SearchAttributeKey.for_keyword("Municipality")
CASEWORKER = SearchAttributeKey.for_keyword("Caseworker")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
TARGET_GROUP = SearchAttributeKey.for_keyword("TargetGroup")

#: Every search attribute samskab uses, in the order they are registered.
CASE_SEARCH_ATTRIBUTES: tuple[SearchAttributeKey, ...] = (
    CASE_PHASE,
    MUNICIPALITY,
    CASEWORKER,
    NEXT_DEADLINE,
    TARGET_GROUP,
)

#: The type names of Temporal's CLI (``--search-attribute Name=Type``, ``--type Type``).
CLI_TYPE_NAMES = {
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


def cli_type(key: SearchAttributeKey) -> str:
    return CLI_TYPE_NAMES[key.indexed_value_type]


def dev_server_flags() -> list[str]:
    """``temporal server start-dev`` flags that register every attribute at start."""
    flags: list[str] = []
    for key in CASE_SEARCH_ATTRIBUTES:
        flags += ["--search-attribute", f"{key.name}={cli_type(key)}"]
    return flags


def create_command(key: SearchAttributeKey, namespace: str) -> str:
    """The command an operator with the right runs to register ``key`` by hand."""
    return f"temporal operator search-attribute create --namespace {namespace} --name {key.name} --type {cli_type(key)}"
