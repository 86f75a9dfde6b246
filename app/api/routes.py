"""The HTTP API: every command of a case, its reads, the audit, reports.

Commands: ``POST /cases`` opens a case (the ``register_need`` fields);
``POST /cases/{case_id}/commands`` takes any command as JSON (``type`` picks
it) and ``POST /cases/{case_id}/commands/{type}`` is the same, one route per
command, generated from the domain's command union so OpenAPI documents each
schema. Who acts always comes from the bearer token, never from the body.

Status codes: 401 no or invalid token; 403 the permission matrix
(``domain.access``) or the domain's own role rule refuses; 404 no such case;
409 a stale ``expected_version``, a command out of phase, or a refusal by the
case's state that names no input field; 422 invalid input, or a domain
refusal naming the field at fault (the body's ``error.field`` and ``error.rule``).
"""

import inspect
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic_core import to_json

from app.api.listing import MIN_POSITION_HELP, ListParams
from app.api.openapi import (
    ERROR_RESPONSES,
    GIVE_COMMAND_EXAMPLES,
    OPEN_CASE_EXAMPLES,
    READINESS_RESPONSES,
    command_examples,
)  # fmt: skip
from app.api.service import Backend, Reader, command_type_of
from domain import catalogue
from domain.access import Subject
from domain.appeal import LodgeAppeal, Reconsider, RecordAppealOutcome, RegisterAppeal, WithdrawAppeal
from domain.case.need import RegisterNeed
from domain.messages import Command
from eventlog.access_log import READS_PER_PAGE
from projections.queries import DEFAULT_PAGE, MAX_PAGE
from workflows.appeal_messages import AppealActResult
from workflows.case_messages import ActResult

bearer = HTTPBearer(
    auto_error=False, description="A JWT from the municipality's identity provider (or 'samskab dev token')"
)

NOT_BODY = {"actor", "at", "type"}


# The dependencies are ``async`` because they do no I/O (the token is checked
# in memory): FastAPI runs a plain ``def`` dependency in its thread pool, one
# thread hop per dependency per request.


async def backend(request: Request) -> Backend:
    return request.app.state.backend


async def subject(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Subject:
    return request.app.state.backend.authenticate(credentials.credentials if credentials else None)


async def reader(
    who: Annotated[Subject, Depends(subject)],
    purpose: Annotated[
        str | None, Query(description="Why you read this (logged with the read)", max_length=500)
    ] = None,
    x_purpose: Annotated[str | None, Header(description="The purpose, as a header instead", max_length=500)] = None,
) -> Reader:
    return Reader(who=who, purpose=purpose or x_purpose)


Who = Annotated[Subject, Depends(subject)]
Reading = Annotated[Reader, Depends(reader)]
Back = Annotated[Backend, Depends(backend)]
RequestId = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Makes a retry safe: the same key, from the same caller with the same body, gets the same answer; "
        "reused with another body or by another caller it is a 422",
        max_length=200,
    ),
]


MinPosition = Annotated[
    int | None,
    Query(ge=0, description=MIN_POSITION_HELP),
]
#: Header on a read that asked for a position the read models had not reached in time.
UP_TO_DATE_HEADER = "X-Samskab-Up-To-Date"


def _freshness(response: Response, fresh: bool, body: dict[str, Any]) -> dict[str, Any]:
    response.headers[UP_TO_DATE_HEADER] = "true" if fresh else "false"
    return {**body, "up_to_date": fresh}


#: A case's access log comes a page at a time, newest reads first (a case read daily for years has thousands).
DEFAULT_ACCESS_PAGE, MAX_ACCESS_PAGE = READS_PER_PAGE, 1000
AccessPage = Annotated[int, Query(ge=1, le=MAX_ACCESS_PAGE, description="Reads per page, the newest first")]
AccessBefore = Annotated[
    int | None,
    Query(
        ge=1,
        description="Only reads before this access-log position: the 'X-Samskab-Older-Before' header of the page after",
    ),
]
#: Header on a full page of the access log: the 'before' that gets the reads older than it.
OLDER_HEADER = "X-Samskab-Older-Before"


def _older_reads(response: Response, reads: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    if len(reads) == limit:
        response.headers[OLDER_HEADER] = str(reads[0]["position"])
    return reads


class Opened(BaseModel):
    case_id: str
    location: str
    position: int = Field(
        description="The registration's event-log position: a read with min_position=this sees the case"
    )


def appeal_body(command: type[Command]) -> type[BaseModel]:
    """The request body of an appeal command: its fields without actor/at/type (who acts comes from the token)."""
    fields: dict[str, Any] = {
        name: (info.annotation, info) for name, info in command.model_fields.items() if name not in NOT_BODY
    }
    return create_model(f"{command.__name__}Body", __config__=ConfigDict(extra="forbid"),
                        __doc__=(command.__doc__ or command.title), **fields)  # fmt: skip


#: The appeal's routes, /cases/{case_id}/appeals/{decision_number}/<path>: the command each takes.
APPEAL_ROUTES: dict[str, tuple[type[Command], str]] = {
    "lodge": (LodgeAppeal, "Appeal a decision (the citizen, on their own case; retssikkerhedslovens § 67)"),
    "register": (RegisterAppeal, "Register an appeal received by phone, letter, e-mail or in person (a caseworker)"),
    "reconsider": (Reconsider, "Reconsider the appealed decision (genvurdering, retssikkerhedslovens § 66)"),
    "withdraw": (WithdrawAppeal, "Withdraw the appeal (the citizen, or a caseworker on the citizen's word)"),
    "outcome": (RecordAppealOutcome, "Record Ankestyrelsen's decision: upheld, changed, sent back or dismissed"),
}


def routed_commands() -> list[type[Command]]:
    """The case's commands that get a route, in the domain's order: every one a person
    gives (the system's own commands come from the workflow, never from a caller), but
    the registration of a need, which opens a case (``POST /cases``)."""
    return [c for c in catalogue.person_commands(catalogue.CASE_COMMANDS) if c is not RegisterNeed]


def body_model(command: type[Command]) -> type[BaseModel]:
    """The request body of one command: its fields without actor/at/type, plus expected_version."""
    fields: dict[str, Any] = {
        name: (info.annotation, info) for name, info in command.model_fields.items() if name not in NOT_BODY
    }
    fields["expected_version"] = (int | None, Field(default=None, ge=0, description="Refuse if the case moved on"))
    return create_model(
        f"{command.__name__}Body",
        __config__=ConfigDict(extra="forbid"),
        __doc__=(command.__doc__ or command.title),
        **fields,
    )


def _register_body() -> type[BaseModel]:
    fields: dict[str, Any] = {
        name: (info.annotation, info) for name, info in RegisterNeed.model_fields.items() if name not in NOT_BODY
    }
    return create_model("OpenCaseBody", __config__=ConfigDict(extra="forbid"), **fields)


# Made from RegisterNeed at import, which a type checker cannot follow: to it, a model.
if TYPE_CHECKING:
    OpenCaseBody = BaseModel
else:
    OpenCaseBody = _register_body()


def build_operations_router() -> APIRouter:
    """Liveness and readiness (``app.api.health``): no token, no personal data."""
    router = APIRouter(tags=["operations"])

    @router.get("/livez", tags=["operations"], summary="Liveness: the process is up (never checks its dependencies)")
    @router.get("/health", tags=["operations"], include_in_schema=False)
    def livez() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        tags=["operations"],
        responses=READINESS_RESPONSES,
        summary="Readiness: the database, Temporal and the read models' lag (503 with Retry-After when one fails)",
    )
    async def readyz(back: Back) -> JSONResponse:
        from app.api.health import readiness, readiness_body

        status, body = readiness_body(await readiness(back))
        headers = {"Retry-After": str(back.settings.retry_after_seconds)} if status == 503 else None
        return JSONResponse(body, status_code=status, headers=headers)

    return router


def build_router() -> APIRouter:
    """The API's routes; each may refuse with the statuses of ``ERROR_RESPONSES`` and their error body."""
    router = APIRouter(responses=ERROR_RESPONSES)

    @router.post(
        "/cases", status_code=201, response_model=Opened, tags=["commands"], summary="Open a case (register a need)"
    )
    async def open_case(body: Annotated[OpenCaseBody, Body(openapi_examples=OPEN_CASE_EXAMPLES)],
                        who: Who, back: Back, request_id: RequestId = None) -> Opened:  # fmt: skip
        opened = await back.open_case(who, body.model_dump(mode="json"), request_id)
        return Opened(case_id=opened.case_id, location=f"/cases/{opened.case_id}", position=opened.positions[0])

    @router.post(
        "/cases/{case_id}/commands", response_model=ActResult, tags=["commands"], summary="Give a case any command"
    )
    async def give_command(
        case_id: str,
        who: Who,
        back: Back,
        command: Annotated[
            dict[str, Any],
            Body(
                description="The command's fields, its 'type', and optionally 'expected_version'",
                openapi_examples=GIVE_COMMAND_EXAMPLES,
            ),
        ],
        request_id: RequestId = None,
    ) -> ActResult:
        return await back.act(who, case_id, command, request_id)

    appeal_models = {
        command.model_fields["type"].default: appeal_body(command) for command, _ in APPEAL_ROUTES.values()
    }
    appeal_examples = command_examples(appeal_models)
    for path, (command, summary) in APPEAL_ROUTES.items():
        name = command.model_fields["type"].default
        _add_appeal_route(router, path, command, summary, appeal_models[name], appeal_examples.get(name))

    @router.get(
        "/cases/{case_id}/appeals",
        tags=["reads"],
        summary="Every decision's appeal: status, window's last day, outcome",
    )
    async def appeals(case_id: str, reading: Reading, back: Back) -> dict[str, Any]:
        return await back.read(back.appeals, reading, case_id)

    @router.get("/cases", tags=["reads"], summary="The cases you may see, what is due first, a page at a time",
                response_model=dict[str, Any], openapi_extra={"parameters": ListParams.openapi_parameters()})  # fmt: skip
    async def list_cases(request: Request, reading: Reading, back: Back) -> Response:
        params = ListParams.from_query(request.query_params)
        fresh = await back.up_to(params.min_position)
        page = await back.list_cases_logged(reading, params.query())
        # The page is plain JSON values (strings, numbers, booleans), serialised here at once:
        # FastAPI's generic response handling walked every value of every row again.
        return Response(to_json({**page, "up_to_date": fresh}), media_type="application/json",
                        headers={UP_TO_DATE_HEADER: "true" if fresh else "false"})  # fmt: skip

    @router.get("/tasks", tags=["reads"], summary="What you must do next, what is due first (your work items)")
    async def tasks(
        reading: Reading,
        back: Back,
        response: Response,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
        min_position: MinPosition = None,
    ) -> dict[str, Any]:
        fresh = await back.up_to(min_position)
        return _freshness(response, fresh, {"tasks": await back.read(back.tasks, reading, limit)})

    @router.get("/cases/{case_id}", tags=["reads"], summary="A case's state, cut to what you may see")
    async def read_case(
        case_id: str,
        reading: Reading,
        back: Back,
        as_of: Annotated[
            str | None,
            Query(
                max_length=40,
                description="The case as it stood at this event-log position "
                "or moment (ISO 8601 with zone); the read is logged",
            ),
        ] = None,
    ) -> dict[str, Any]:
        return await back.read(back.read_case, reading, case_id, as_of)

    @router.get("/cases/{case_id}/timeline", tags=["reads"], summary="A case's events from the event log",
                response_model=list[dict[str, Any]])  # fmt: skip
    async def timeline(case_id: str, reading: Reading, back: Back) -> Response:
        # The backend renders the JSON itself (once per case version), so FastAPI's
        # validation and encoding of the answer, per request, are skipped.
        return Response(await back.read(back.timeline_json, reading, case_id), media_type="application/json")

    @router.get("/cases/{case_id}/deadlines", tags=["reads"], summary="The current phase's deadline and missed ones")
    async def deadlines(case_id: str, reading: Reading, back: Back) -> dict[str, Any]:
        return await back.read(back.deadlines, reading, case_id)

    @router.get("/cases/{case_id}/file-access/export", tags=["reads"],
                summary="Aktindsigt: what you may see of the case as one document, with its SHA-256")  # fmt: skip
    async def file_access_export(case_id: str, reading: Reading, back: Back) -> dict[str, Any]:
        return await back.read(back.file_access_export, reading, case_id)

    @router.get(
        "/cases/{case_id}/access-log", tags=["reads"], summary="Who has read the case (for the citizen), newest page"
    )
    def case_access_log(case_id: str, reading: Reading, back: Back, response: Response,
                        limit: AccessPage = DEFAULT_ACCESS_PAGE, before: AccessBefore = None) -> list[dict[str, Any]]:  # fmt: skip
        return _older_reads(response, back.access_log_of(reading, case_id, limit=limit, before=before), limit)

    @router.get("/audit/cases/{case_id}/trail", tags=["audit"], summary="The case's events as stored, with hashes")
    def audit_trail(case_id: str, reading: Reading, back: Back) -> list[dict[str, Any]]:
        return back.audit_trail(reading, case_id)

    @router.get("/audit/cases/{case_id}/access-log", tags=["audit"], summary="Who has read the case")
    def audit_access_log(case_id: str, reading: Reading, back: Back, response: Response,
                         limit: AccessPage = DEFAULT_ACCESS_PAGE, before: AccessBefore = None) -> list[dict[str, Any]]:  # fmt: skip
        return _older_reads(response, back.access_log_of(reading, case_id, limit=limit, before=before), limit)

    @router.get(
        "/audit/cases/{case_id}/export",
        tags=["audit"],
        summary="The case's trail, verification and reads as one JSON file",
    )
    def audit_export(case_id: str, reading: Reading, back: Back) -> dict[str, Any]:
        return back.export(reading, case_id)

    @router.get("/audit/verify", tags=["audit"], summary="Walk the whole hash chain and the access log's")
    def audit_verify(reading: Reading, back: Back) -> dict[str, Any]:
        return back.verify(reading)

    @router.get(
        "/audit/tree-head",
        tags=["audit"],
        summary="The latest signed tree head of both logs (sizes, Merkle roots, time; public, no personal data)",
    )
    def audit_tree_head(back: Back) -> dict[str, Any]:
        return back.tree_head()

    @router.get(
        "/audit/consistency",
        tags=["audit"],
        summary="An RFC 9162 consistency proof between two sizes of the events or access log (public)",
    )
    def audit_consistency(back: Back, first: int, second: int, log: str = "events") -> dict[str, Any]:
        return back.consistency(log, first, second)

    @router.get("/reports/phases", tags=["reports"], summary="Cases by phase and overdue count (no personal data)")
    async def report_phases(
        reading: Reading, back: Back, response: Response, min_position: MinPosition = None
    ) -> dict[str, Any]:
        fresh = await back.up_to(min_position)
        return _freshness(response, fresh, await back.read(back.report, reading))

    # One route per command, after the reads: a request is matched against the
    # routes in order, and the reads are the frequent requests.
    routed = routed_commands()
    models = {command_type_of(c): body_model(c) for c in routed}
    examples = command_examples(models)
    for command in routed:
        name = command_type_of(command)
        _add_command_route(router, command, name, models[name], examples.get(name))

    return router


def _add_appeal_route(router: APIRouter, path: str, command: type[Command], summary: str, model: type[BaseModel],
                      examples: dict[str, Any] | None) -> None:  # fmt: skip
    name = command.model_fields["type"].default
    body = Annotated[model, Body(openapi_examples=examples)] if examples else model

    async def handler(case_id: str, decision_number: int, body, who: Subject, back: Backend) -> dict[str, Any]:
        data = body.model_dump(mode="json", exclude_unset=True)
        data["type"] = name
        return await back.act_on_appeal(who, case_id, decision_number, data)

    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]  # typeshed gives functions no __signature__; inspect reads it
        [
            inspect.Parameter("case_id", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str),
            inspect.Parameter(
                "decision_number", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Annotated[int, Path(ge=1)]
            ),
            inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=body),
            inspect.Parameter("who", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Who),
            inspect.Parameter("back", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Back),
        ],
        return_annotation=AppealActResult,
    )
    handler.__name__ = f"appeal_{path}"
    router.add_api_route(
        f"/cases/{{case_id}}/appeals/{{decision_number}}/{path}",
        handler,
        methods=["POST"],
        response_model=AppealActResult,
        tags=["commands"],
        summary=summary,
        description=command.__doc__ or command.title,
        name=f"appeal_{path}",
    )


def _add_command_route(router: APIRouter, command: type[Command], name: str, model: type[BaseModel],
                       examples: dict[str, Any] | None) -> None:  # fmt: skip
    body = Annotated[model, Body(openapi_examples=examples)] if examples else model

    async def handler(case_id: str, body, who: Subject, back: Backend, request_id: str | None = None) -> ActResult:
        data = body.model_dump(mode="json", exclude_unset=True)
        data["type"] = name
        return await back.act(who, case_id, data, request_id)

    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]  # typeshed gives functions no __signature__; inspect reads it
        [
            inspect.Parameter("case_id", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str),
            inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=body),
            inspect.Parameter("who", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Who),
            inspect.Parameter("back", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Back),
            inspect.Parameter(
                "request_id", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=RequestId, default=None
            ),
        ],
        return_annotation=ActResult,
    )
    handler.__name__ = f"command_{name}"
    router.add_api_route(
        f"/cases/{{case_id}}/commands/{name}",
        handler,
        methods=["POST"],
        response_model=ActResult,
        tags=["commands"],
        summary=command.title,
        description=command.__doc__ or command.title,
        name=f"command_{name}",
    )
