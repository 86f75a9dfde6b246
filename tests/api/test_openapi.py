"""The OpenAPI document as a client generator reads it: every route documents its refusals
with the one error body, operation ids are short and unique, and the request examples are
bodies the API accepts."""

from __future__ import annotations

import re

import pytest

from app.api import create_app
from app.api.openapi import ERROR_RESPONSES
from app.api.routes import APPEAL_ROUTES, OpenCaseBody, appeal_body, body_model
from app.cases import parse_command
from app.settings import Settings
from domain.catalogue import CASE_COMMANDS

ERROR_STATUSES = {"401", "403", "404", "409", "413", "422", "503"}
OPERATIONS = {"livez", "readyz"}


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("openapi")
    return create_app(Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'eventlog.db'}")).openapi()


def operations(spec: dict):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_route_documents_each_refusal_with_the_error_body(spec):
    assert {str(status) for status in ERROR_RESPONSES} == ERROR_STATUSES
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # FastAPI's own 422 body is never sent
    error_schema = spec["components"]["schemas"]["ErrorBody"]
    assert error_schema["required"] == ["error"]
    checked = 0
    for path, method, operation in operations(spec):
        if operation["operationId"] in OPERATIONS:
            continue
        responses = operation["responses"]
        assert set(responses) >= ERROR_STATUSES, f"{method.upper()} {path} documents only {sorted(responses)}"
        for status in ERROR_STATUSES:
            ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/ErrorBody", (method, path, status)
        assert "Retry-After" in responses["503"]["headers"]
        checked += 1
    assert checked > 40
    readyz = spec["paths"]["/readyz"]["get"]["responses"]
    assert set(readyz) == {"200", "503"}


def test_operation_ids_are_short_unique_and_named_after_the_route(spec):
    ids = [operation["operationId"] for _, _, operation in operations(spec)]
    assert len(ids) == len(set(ids))
    for operation_id in ids:
        assert re.fullmatch(r"[a-z][a-z0-9_]{2,60}", operation_id), operation_id
    assert spec["paths"]["/cases"]["post"]["operationId"] == "open_case"
    assert spec["paths"]["/cases"]["get"]["operationId"] == "list_cases"
    assert spec["paths"]["/cases/{case_id}/commands/make_decision"]["post"]["operationId"] == "command_make_decision"


def test_the_case_lists_parameters_are_documented_from_the_model_that_validates_them(spec):
    """``GET /cases`` validates its query itself (``ListParams.from_query``); its documented
    parameters come from the same model, each with its type, bounds and description."""
    from app.api.listing import ListParams

    documented = {p["name"]: p for p in spec["paths"]["/cases"]["get"]["parameters"] if p["in"] == "query"}
    assert set(ListParams.model_fields) | {"purpose"} == set(documented)
    assert documented["limit"]["schema"]["maximum"] == 200 and documented["limit"]["schema"]["default"] == 50
    phases = documented["phase"]["schema"]["anyOf"][0]
    assert "visitation" in phases["enum"] and "$ref" not in str(documented)
    assert all(p["description"] and not p["required"] for p in documented.values())


def _examples(spec: dict, path: str) -> dict:
    return spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["examples"]


def test_every_request_body_has_an_example_its_command_accepts(spec):
    models = {command.model_fields["type"].default: body_model(command) for command in CASE_COMMANDS}
    with_body = 0
    for path, method, operation in operations(spec):
        if "requestBody" not in operation:
            continue
        with_body += 1
        examples = operation["requestBody"]["content"]["application/json"].get("examples")
        assert examples, f"{method.upper()} {path} has no request example"
        if path.startswith("/cases/{case_id}/commands/"):
            name = path.rsplit("/", 1)[-1]
            for example in examples.values():
                models[name].model_validate(example["value"])
                parse_command({**example["value"], "type": name, "actor": {"id": "cw-anne", "role": "caseworker"}})
        if path.startswith("/cases/{case_id}/appeals/"):
            command, _ = APPEAL_ROUTES[path.rsplit("/", 1)[-1]]
            for example in examples.values():
                appeal_body(command).model_validate(example["value"])
    assert with_body > 40


def test_the_request_examples_are_bodies_the_api_accepts(spec):
    for example in _examples(spec, "/cases").values():
        body = OpenCaseBody.model_validate(example["value"])
        parse_command(
            {**body.model_dump(mode="json"), "type": "register_need", "actor": {"id": "cw-anne", "role": "caseworker"}}
        )
    types = {command.model_fields["type"].default for command in CASE_COMMANDS}
    for example in _examples(spec, "/cases/{case_id}/commands").values():
        fields = dict(example["value"])
        fields.pop("expected_version", None)
        assert fields["type"] in types
        parse_command({**fields, "actor": {"id": "cw-anne", "role": "caseworker"}})
    lodge = _examples(spec, "/cases/{case_id}/appeals/{decision_number}/lodge")
    assert all(len(e["value"]["complaint"]) >= 3 for e in lodge.values())
