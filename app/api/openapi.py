"""What the OpenAPI document says beyond the routes' own types: the error body every refusal
has, which statuses each route may answer with it, short operation ids and request examples.

The error body is built in one place per kind (``ApiError.body``, the 413 and 422 handlers in
``app.api.main``, ``unavailable``); ``ErrorBody`` describes it for clients and tests."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from domain.catalogue import COMMANDS


class Problem(BaseModel):
    field: str | None = Field(description="The input at fault")
    message: str


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    message: str = Field(description="What is wrong, for a person to read")
    rule: str = Field(description="The rule that refused, stable for programs: e.g. access.denied, case.wrong_phase, "
                      "input.invalid, service.unavailable.temporal")  # fmt: skip
    field: str | None = Field(default=None, description="The input field at fault, when one is")
    kind: str | None = Field(
        default=None, description="The kind of refusal: DomainError, StaleVersion, InputInvalid, ..."
    )
    problems: list[Problem] | None = Field(default=None, description="422: every invalid input, not only the first")
    down: list[str] | None = Field(default=None, description="503 from /readyz: the checks that failed")


class ErrorBody(BaseModel):
    """Every refusal's body."""

    model_config = ConfigDict(extra="allow", json_schema_extra={
        "examples": [{"error": {"message": "the case is in phase 'need'; make_decision needs 'visitation'",
                                "rule": "case.wrong_phase", "field": None, "kind": "DomainError"}}],
    })  # fmt: skip

    error: ErrorDetail


_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}}

#: Each status a route may refuse with, and when.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No bearer token, or an invalid or expired one"},
    403: {"model": ErrorBody, "description": "Not allowed for your role, this case or your unit (need-to-know)"},
    404: {"model": ErrorBody, "description": "No such case, or none you may know of"},
    409: {"model": ErrorBody, "description": "A stale expected_version, a command out of phase, or refused by the case's state"},
    413: {"model": ErrorBody, "description": "The body is larger than the API reads (SAMSKAB_MAX_BODY_BYTES)"},
    422: {"model": ErrorBody, "description": "Invalid input, or a domain refusal naming the field at fault"},
    503: {"model": ErrorBody, "description": "Temporal or the database is down; try again after Retry-After",
          "headers": _RETRY_AFTER},
}  # fmt: skip

#: /readyz refuses with 503 only; /livez never refuses.
READINESS_RESPONSES: dict[int | str, dict[str, Any]] = {503: ERROR_RESPONSES[503]}


def operation_id(route: APIRoute) -> str:
    """The route's own name (``open_case``, ``list_cases``, ``command_make_decision``): short,
    and stable while the route keeps its name, instead of FastAPI's name-path-method."""
    return route.name


#: Request examples, by the route's name (valid bodies: a client may send them as they are).
OPEN_CASE_EXAMPLES = {
    "registration": {
        "summary": "A caseworker registers a need the citizen told them",
        "value": {
            "case_id": "K-2026-0001",
            "citizen": {"cpr": "010190-1234", "name": "Jonas Holm"},
            "need": {"description": "Vil gerne i job og have færre ensomme aftener", "reported_by": "caseworker",
                     "life_areas": ["work", "relations"]},
        },
    },
}  # fmt: skip
GIVE_COMMAND_EXAMPLES = {
    "open_visitation": {
        "summary": "Open the visitation of a newly registered case",
        "value": {"type": "open_visitation", "expected_version": 1},
    },
    "any_command": {
        "summary": "Any command: its type and fields (see the command routes for each one's fields)",
        "value": {"type": "assign_unit", "unit": "unit-a"},
    },
}


#: The example case of the examples.
EXAMPLE_CASE = "K-2026-0001"


def command_examples(body_models: dict[str, type[BaseModel]]) -> dict[str, dict[str, Any]]:
    """A request example for each command, by type: the first step of the demo's citizens
    (``app.demo_citizens``, made-up people) that gives it, with the body's fields only, else
    the command's own (``Command.example``); an example is kept only when the body model accepts it."""
    from app.demo_citizens import THIS_CASE, demo_citizens

    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for citizen in demo_citizens():
        for step in citizen.steps:
            name = step["type"]
            if name in body_models and name not in found:
                body = {
                    k: (EXAMPLE_CASE if v == THIS_CASE else v)
                    for k, v in step.items()
                    if k in body_models[name].model_fields
                }
                found[name] = (f"As in the demo ({citizen.name})", body)
    for name in body_models:
        declared = COMMANDS.get(name)
        if declared is not None and declared.example is not None:
            found.setdefault(name, ("An example", dict(declared.example)))
    if "propose_plan" in found and "adjust_plan" not in found:  # the demo's plan, adjusted
        plan = found["propose_plan"][1].get("plan")
        found["adjust_plan"] = ("The demo's plan, adjusted", {
            "plan": plan, "reason": "Færre timer i opstarten", "proposed_by": "citizen"})  # fmt: skip
    examples: dict[str, dict[str, Any]] = {}
    for name, (summary, body) in found.items():
        try:
            body_models[name].model_validate(body)
        except (KeyError, ValueError):
            continue
        examples[name] = {"example": {"summary": summary, "value": body}}
    return examples
