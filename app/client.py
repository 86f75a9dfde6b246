"""A small Python client of the HTTP API, for back-office scripts.

It needs only httpx and pydantic (not Temporal): commands are dicts of their fields
with their ``type`` (or the domain's command models), answers are ``ActResult`` and
``CaseState``. Who acts is who the token names, so a command carries no ``actor``.

    with SamskabClient("https://samskab.kommune.dk", token, purpose="visitation") as api:
        api.open_case({"case_id": "K-2026-001", "citizen": {...}, "need": {...}})
        result = api.act("K-2026-001", {"type": "open_visitation"}, expected_version=1)
        state = api.state("K-2026-001")                  # CaseState when you may see all of it
        for case in api.list_cases(phase="visitation"):  # every page, following next_cursor
            ...

A refusal raises one class per status (``Unauthorized``, ``Forbidden``, ``NotFound``,
``Conflict``, ``PayloadTooLarge``, ``InvalidInput``, ``ServiceUnavailable``), each a
``ClientError`` (4xx) or ``ServerError`` (5xx), all a ``SamskabError`` and so a
``CommandRejected``; each holds the API's error body (``body``: message, rule, field, kind).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from app.errors import CommandRejected
from domain.case.decider import CaseState
from workflows.case_messages import ActResult

__all__ = [
    "DEFAULT_TIMEOUT",
    "AsyncSamskabClient",
    "ClientError",
    "CommandRejected",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "PayloadTooLarge",
    "SamskabClient",
    "SamskabError",
    "ServerError",
    "ServiceUnavailable",
    "Unauthorized",
]  # fmt: skip

#: A command waits for the case's answer (the API polls the workflow for up to a minute when
#: a worker is slow), so reads get 60 s, not httpx's 5 s; connecting gets 10 s.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class SamskabError(CommandRejected):
    """A refusal from the API: ``status``, and the API's error ``body`` (message, rule, field, kind)."""

    def __init__(self, status: int, body: dict[str, Any], message: str) -> None:
        super().__init__(
            message, rule=body.get("rule"), field=body.get("field"), kind=body.get("kind") or "DomainError"
        )
        self.status = status
        self.body = body


class ClientError(SamskabError):
    """4xx: the request was refused; sending it again unchanged gets the same answer."""


class ServerError(SamskabError):
    """5xx: the API could not answer now."""


class Unauthorized(ClientError):
    """401: no token, or one that is invalid or expired."""


class Forbidden(ClientError):
    """403: the token's person may not do this (role, case, need-to-know)."""


class NotFound(ClientError):
    """404: no such case (or none this person may know of)."""


class Conflict(ClientError):
    """409: a stale ``expected_version``, a command out of phase, or one the case's state refuses."""


class PayloadTooLarge(ClientError):
    """413: the body is larger than the API reads."""


class InvalidInput(ClientError):
    """422: invalid input; ``field`` names it."""


class ServiceUnavailable(ServerError):
    """503: a service the API needs is down; ``retry_after`` is the seconds it asks you to wait."""

    @property
    def retry_after(self) -> int | None:
        value = self.headers.get("retry-after") if self.headers else None
        return int(value) if value and value.isdigit() else None

    headers: httpx.Headers | None = None


_BY_STATUS: dict[int, type[SamskabError]] = {
    401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict, 413: PayloadTooLarge, 422: InvalidInput,
    503: ServiceUnavailable,
}  # fmt: skip


def error_for(response: httpx.Response) -> SamskabError:
    """The exception for an error response, with its body."""
    try:
        body = response.json().get("error") or {}
    except (ValueError, AttributeError):
        body = {}
    if not isinstance(body, dict):
        body = {}
    cls = _BY_STATUS.get(response.status_code) or (ServerError if response.status_code >= 500 else ClientError)
    error = cls(response.status_code, body, body.get("message") or response.text or response.reason_phrase)
    if isinstance(error, ServiceUnavailable):
        error.headers = response.headers
    return error


def _command_body(command: BaseModel | dict[str, Any], expected_version: int | None) -> dict[str, Any]:
    """The command's fields as the API takes them. A dict names no actor (the token does); a
    domain command model carries one by construction, which is left out here."""
    if isinstance(command, BaseModel):
        data = command.model_dump(mode="json", exclude={"actor", "at"})
    else:
        data = dict(command)
        if "actor" in data:
            raise ValueError("leave 'actor' out of the command: who acts is the person the token names")
    data.pop("at", None)
    if expected_version is not None:
        data["expected_version"] = expected_version
    return data


def _opening_body(command: BaseModel | dict[str, Any]) -> dict[str, Any]:
    """A registration as ``POST /cases`` takes it: the command's fields without its type."""
    body = _command_body(command, None)
    body.pop("type", None)
    return body


def _retry_safe(request_id: str | None) -> dict[str, str]:
    """The header that makes a retry safe: the same key again gets the first answer."""
    return {"Idempotency-Key": request_id} if request_id else {}


def _answer(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise error_for(response)
    return response.json()


def _state(data: dict[str, Any]) -> CaseState | dict[str, Any]:
    """The full CaseState when the reader may see all of it; the visible part as a dict otherwise."""
    try:
        return CaseState.model_validate({k: v for k, v in data.items() if k not in ("allowed_now", "deadline")})
    except ValidationError:
        return data


def _list_params(purpose: str | None, filters: dict[str, Any], limit: int, cursor: str | None) -> dict[str, Any]:
    params = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in filters.items() if v is not None}
    params["limit"] = limit
    if purpose:
        params["purpose"] = purpose
    if cursor:
        params["cursor"] = cursor
    return params


class _Calls:
    def __init__(self, base_url: str, token: str, purpose: str | None, timeout: float | httpx.Timeout | None) -> None:
        self.purpose = purpose
        self._options: dict[str, Any] = {"base_url": base_url, "headers": {"Authorization": f"Bearer {token}"},
                         "timeout": DEFAULT_TIMEOUT if timeout is None else timeout}  # fmt: skip

    def _params(self, purpose: str | None) -> dict[str, str]:
        chosen = purpose or self.purpose
        return {"purpose": chosen} if chosen else {}


class SamskabClient(_Calls):
    """``timeout``: seconds, or an ``httpx.Timeout`` (default ``DEFAULT_TIMEOUT``); other keyword
    arguments go to ``httpx.Client`` (e.g. ``verify``, ``transport``)."""

    def __init__(self, base_url: str, token: str, *, purpose: str | None = None,
                 timeout: float | httpx.Timeout | None = None, **httpx_options: Any) -> None:  # fmt: skip
        super().__init__(base_url, token, purpose, timeout)
        self.http = httpx.Client(**self._options, **httpx_options)

    def __enter__(self) -> SamskabClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def open_case(self, command: BaseModel | dict[str, Any], request_id: str | None = None) -> str:
        """Opens the case; with ``request_id``, a retry of a lost answer gets the case's answer
        again (not ``case.duplicate_id``)."""
        return _answer(self.http.post("/cases", json=_opening_body(command), headers=_retry_safe(request_id)))[
            "case_id"
        ]

    def act(self, case_id: str, command: BaseModel | dict[str, Any], expected_version: int | None = None,
            request_id: str | None = None) -> ActResult:  # fmt: skip
        headers = _retry_safe(request_id)
        response = self.http.post(
            f"/cases/{case_id}/commands", json=_command_body(command, expected_version), headers=headers
        )
        return ActResult.model_validate(_answer(response))

    def state(self, case_id: str, purpose: str | None = None) -> CaseState | dict[str, Any]:
        return _state(_answer(self.http.get(f"/cases/{case_id}", params=self._params(purpose))))

    def timeline(self, case_id: str, purpose: str | None = None) -> list[dict[str, Any]]:
        return _answer(self.http.get(f"/cases/{case_id}/timeline", params=self._params(purpose)))

    def deadlines(self, case_id: str, purpose: str | None = None) -> dict[str, Any]:
        return _answer(self.http.get(f"/cases/{case_id}/deadlines", params=self._params(purpose)))

    def list_cases_page(self, *, purpose: str | None = None, limit: int = 50, cursor: str | None = None,
                        **filters: Any) -> dict[str, Any]:  # fmt: skip
        """One page of GET /cases: ``{"cases": [...], "next_cursor": ..., "position": ...}``.
        ``filters``: phase, overdue, mine, team_member, due_before, target_group, cpr, name, open_only."""
        params = _list_params(purpose or self.purpose, filters, limit, cursor)
        return _answer(self.http.get("/cases", params=params))

    def list_cases(
        self, *, purpose: str | None = None, page_size: int = 50, **filters: Any
    ) -> Iterator[dict[str, Any]]:
        """Every case the token's person may see, page after page (the API's keyset cursor)."""
        cursor = None
        while True:
            page = self.list_cases_page(purpose=purpose, limit=page_size, cursor=cursor, **filters)
            yield from page["cases"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def verify(self) -> dict[str, Any]:
        return _answer(self.http.get("/audit/verify", params=self._params(None)))


class AsyncSamskabClient(_Calls):
    """The same calls for asyncio code (and for tests, with an ASGI transport)."""

    def __init__(self, base_url: str, token: str, *, purpose: str | None = None,
                 timeout: float | httpx.Timeout | None = None, **httpx_options: Any) -> None:  # fmt: skip
        super().__init__(base_url, token, purpose, timeout)
        self.http = httpx.AsyncClient(**self._options, **httpx_options)

    async def __aenter__(self) -> AsyncSamskabClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def open_case(self, command: BaseModel | dict[str, Any], request_id: str | None = None) -> str:
        """Opens the case; with ``request_id``, a retry of a lost answer gets the case's answer
        again (not ``case.duplicate_id``)."""
        return _answer(await self.http.post("/cases", json=_opening_body(command), headers=_retry_safe(request_id)))[
            "case_id"
        ]

    async def act(self, case_id: str, command: BaseModel | dict[str, Any], expected_version: int | None = None,
                  request_id: str | None = None) -> ActResult:  # fmt: skip
        headers = _retry_safe(request_id)
        response = await self.http.post(
            f"/cases/{case_id}/commands", json=_command_body(command, expected_version), headers=headers
        )
        return ActResult.model_validate(_answer(response))

    async def state(self, case_id: str, purpose: str | None = None) -> CaseState | dict[str, Any]:
        return _state(_answer(await self.http.get(f"/cases/{case_id}", params=self._params(purpose))))

    async def timeline(self, case_id: str, purpose: str | None = None) -> list[dict[str, Any]]:
        return _answer(await self.http.get(f"/cases/{case_id}/timeline", params=self._params(purpose)))

    async def deadlines(self, case_id: str, purpose: str | None = None) -> dict[str, Any]:
        return _answer(await self.http.get(f"/cases/{case_id}/deadlines", params=self._params(purpose)))

    async def list_cases_page(self, *, purpose: str | None = None, limit: int = 50, cursor: str | None = None,
                              **filters: Any) -> dict[str, Any]:  # fmt: skip
        params = _list_params(purpose or self.purpose, filters, limit, cursor)
        return _answer(await self.http.get("/cases", params=params))

    async def list_cases(
        self, *, purpose: str | None = None, page_size: int = 50, **filters: Any
    ) -> AsyncIterator[dict[str, Any]]:
        """Every case the token's person may see, page after page (the API's keyset cursor)."""
        cursor = None
        while True:
            page = await self.list_cases_page(purpose=purpose, limit=page_size, cursor=cursor, **filters)
            for case in page["cases"]:
                yield case
            cursor = page.get("next_cursor")
            if not cursor:
                return

    async def verify(self) -> dict[str, Any]:
        return _answer(await self.http.get("/audit/verify", params=self._params(None)))
