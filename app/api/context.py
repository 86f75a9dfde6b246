"""A request id on every request, and the case id of a case route, bound to every log line
written while the request is served (``structlog.contextvars``), uvicorn's access line
included. The request id is the caller's ``X-Request-ID`` when it is a plain token, else
a new one; it goes back in the response's ``X-Request-ID``."""

from __future__ import annotations

import re
import uuid
from typing import Any

import structlog

REQUEST_ID_HEADER = "X-Request-ID"
#: A caller's request id is used only when it is a plain token (no spaces, no markup, short).
_PLAIN_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: The case a path names: /cases/{case_id}/..., /audit/cases/{case_id}/...
_CASE_PATH = re.compile(r"^/(?:audit/)?cases/([^/]+)")


def bind_case(case_id: str) -> None:
    """Names the case in every log line written for the rest of this request (e.g. once a new
    case's id is read from the body of POST /cases)."""
    structlog.contextvars.bind_contextvars(case_id=case_id)


class RequestContext:
    """Pure ASGI middleware (no per-request task or body buffering)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"x-request-id"), "")
        request_id = given if _PLAIN_ID.fullmatch(given) else uuid.uuid4().hex
        bound: dict[str, str] = {"request_id": request_id}
        case = _CASE_PATH.match(scope.get("path", ""))
        if case:
            bound["case_id"] = case.group(1)[:200]

        async def send_with_id(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        with structlog.contextvars.bound_contextvars(**bound):
            await self.app(scope, receive, send_with_id)
