"""What every response and request goes through: a bound on the body, security headers.

* A request body over ``SAMSKAB_MAX_BODY_BYTES`` (default 1 MB) is a 413 naming
  the limit, before any of it is parsed: by its ``Content-Length``, or, for a
  body sent without one, as soon as the bytes read pass the limit.
* Every response carries ``X-Content-Type-Options: nosniff``, ``Referrer-Policy:
  no-referrer``, ``X-Frame-Options: DENY`` and a Content-Security-Policy with no
  script at all (the pages have none) and ``frame-ancestors 'none'``; over TLS
  also ``Strict-Transport-Security``. FastAPI's own ``/docs`` and ``/redoc`` load
  their script from a CDN, so they get only ``frame-ancestors 'none'``.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 1_000_000
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
DOCS_CSP = "frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/redoc", "/openapi.json")
HSTS = "max-age=31536000; includeSubDomains"


class BodyTooLarge(HTTPException):
    """Raised while the body is read (an HTTPException, so FastAPI's body parsing lets it through as a 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


def _too_large(limit: int) -> tuple[dict, bytes]:
    body = {
        "error": {
            "message": f"the request body is larger than {limit} bytes",
            "rule": "input.too_large",
            "field": "body",
            "kind": "PayloadTooLarge",
        }
    }
    return body, json.dumps(body).encode()


class Guards:
    """Pure ASGI middleware (no buffering of responses, nothing for streaming to trip on)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        tls = scope.get("scheme") == "https"
        docs = scope.get("path", "").startswith(DOCS_PATHS)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"content-security-policy", (DOCS_CSP if docs else CSP).encode()),
                ]
                if tls:
                    extra.append((b"strict-transport-security", HSTS.encode()))
                present = {name.lower() for name, _ in message.get("headers", [])}
                message = {
                    **message,
                    "headers": [*message.get("headers", []), *(h for h in extra if h[0] not in present)],
                }
            await send(message)

        length = headers.get(b"content-length")
        if length is not None:
            try:
                too_long = int(length) > self.max_body_bytes
            except ValueError:
                too_long = False
            if too_long:
                await self._refuse(send_with_headers)
                return

        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        try:
            await self.app(scope, bounded_receive, send_with_headers)
        except BodyTooLarge:
            if not started:
                await self._refuse(send_with_headers)

    async def _refuse(self, send: Send) -> None:
        _, body = _too_large(self.max_body_bytes)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
