"""A small Python client of the HTTP API, for back-office scripts.

It speaks the domain's own types: commands are the domain's command models
(or plain dicts), answers are ``ActResult``, refusals raise the same
``CommandRejected`` as ``app.cases.CaseClient`` (with the HTTP ``status``).

    with SamskabClient("https://samskab.kommune.dk", token, purpose="visitation") as api:
        api.open_case(RegisterNeed(...))                 # or a dict of its fields
        result = api.act("K-2026-001", OpenVisitation(actor=...), expected_version=1)
        state = api.state("K-2026-001")                  # CaseState when you may see all of it
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from app.cases import CommandRejected
from domain.case import CaseState
from workflows.case_messages import ActResult

__all__ = ["AsyncSamskabClient", "CommandRejected", "SamskabClient"]


class ApiRefused(CommandRejected):
    """A refusal from the API; ``status`` is the HTTP status (401, 403, 404, 409, 422)."""

    def __init__(self, status: int, message: str, *, rule: str | None, field: str | None, kind: str | None):
        super().__init__(message, rule=rule, field=field, kind=kind or "DomainError")
        self.status = status


def _command_body(command: BaseModel | dict[str, Any], expected_version: int | None) -> dict[str, Any]:
    data = command.model_dump(mode="json", exclude={"actor", "at"}) if isinstance(command, BaseModel) else dict(command)
    data.pop("actor", None), data.pop("at", None)
    if expected_version is not None:
        data["expected_version"] = expected_version
    return data


def _answer(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {"message": response.text}
        raise ApiRefused(
            response.status_code,
            error.get("message") or response.reason_phrase,
            rule=error.get("rule"),
            field=error.get("field"),
            kind=error.get("kind"),
        )
    return response.json()


def _state(data: dict[str, Any]) -> CaseState | dict[str, Any]:
    """The full CaseState when the reader may see all of it; the visible part as a dict otherwise."""
    try:
        return CaseState.model_validate({k: v for k, v in data.items() if k not in ("allowed_now", "deadline")})
    except ValidationError:
        return data


class _Calls:
    def __init__(self, purpose: str | None) -> None:
        self.purpose = purpose

    def _params(self, purpose: str | None) -> dict[str, str]:
        chosen = purpose or self.purpose
        return {"purpose": chosen} if chosen else {}


class SamskabClient(_Calls):
    def __init__(self, base_url: str, token: str, *, purpose: str | None = None, **httpx_options: Any) -> None:
        super().__init__(purpose)
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, **httpx_options)

    def __enter__(self) -> SamskabClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def open_case(self, command: BaseModel | dict[str, Any]) -> str:
        body = _command_body(command, None)
        body.pop("type", None)
        return _answer(self.http.post("/cases", json=body))["case_id"]

    def act(self, case_id: str, command: BaseModel | dict[str, Any], expected_version: int | None = None,
            request_id: str | None = None) -> ActResult:  # fmt: skip
        headers = {"Idempotency-Key": request_id} if request_id else {}
        response = self.http.post(f"/cases/{case_id}/commands", json=_command_body(command, expected_version), headers=headers)
        return ActResult.model_validate(_answer(response))

    def state(self, case_id: str, purpose: str | None = None) -> CaseState | dict[str, Any]:
        return _state(_answer(self.http.get(f"/cases/{case_id}", params=self._params(purpose))))

    def timeline(self, case_id: str, purpose: str | None = None) -> list[dict[str, Any]]:
        return _answer(self.http.get(f"/cases/{case_id}/timeline", params=self._params(purpose)))

    def deadlines(self, case_id: str, purpose: str | None = None) -> dict[str, Any]:
        return _answer(self.http.get(f"/cases/{case_id}/deadlines", params=self._params(purpose)))

    def verify(self) -> dict[str, Any]:
        return _answer(self.http.get("/audit/verify", params=self._params(None)))


class AsyncSamskabClient(_Calls):
    """The same calls for asyncio code (and for tests, with an ASGI transport)."""

    def __init__(self, base_url: str, token: str, *, purpose: str | None = None, **httpx_options: Any) -> None:
        super().__init__(purpose)
        self.http = httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, **httpx_options)

    async def __aenter__(self) -> AsyncSamskabClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def open_case(self, command: BaseModel | dict[str, Any]) -> str:
        body = _command_body(command, None)
        body.pop("type", None)
        return _answer(await self.http.post("/cases", json=body))["case_id"]

    async def act(self, case_id: str, command: BaseModel | dict[str, Any], expected_version: int | None = None,
                  request_id: str | None = None) -> ActResult:  # fmt: skip
        headers = {"Idempotency-Key": request_id} if request_id else {}
        response = await self.http.post(f"/cases/{case_id}/commands", json=_command_body(command, expected_version), headers=headers)
        return ActResult.model_validate(_answer(response))

    async def state(self, case_id: str, purpose: str | None = None) -> CaseState | dict[str, Any]:
        return _state(_answer(await self.http.get(f"/cases/{case_id}", params=self._params(purpose))))

    async def timeline(self, case_id: str, purpose: str | None = None) -> list[dict[str, Any]]:
        return _answer(await self.http.get(f"/cases/{case_id}/timeline", params=self._params(purpose)))

    async def deadlines(self, case_id: str, purpose: str | None = None) -> dict[str, Any]:
        return _answer(await self.http.get(f"/cases/{case_id}/deadlines", params=self._params(purpose)))

    async def verify(self) -> dict[str, Any]:
        return _answer(await self.http.get("/audit/verify", params=self._params(None)))
