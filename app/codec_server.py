"""``samskab codec-server``: Temporal's remote codec protocol, so the Web UI and the CLI
(``temporal ... --codec-endpoint``) can show the payloads samskab encrypts (``app.codec``).

The protocol (Temporal's "codec server"): ``POST /encode`` and ``POST /decode`` take and
answer a ``Payloads`` message as protobuf JSON, ``{"payloads": [{"metadata": {...},
"data": "<base64>"}]}``. The Web UI calls it from the browser, so it answers CORS for
one origin (``SAMSKAB_CODEC_CORS_ORIGIN``), with credentials, and the headers the UI
sends (``Authorization``, ``X-Namespace``, ``Content-Type``).

Reading a case's payloads is reading personal data (GDPR art. 5(1)(f), 32), so:

- every call needs a bearer token of an auditor or an administrator (the installation's
  operators); the Web UI passes the user's access token when told to, the CLI sends
  ``--codec-auth 'Bearer <token>'``;
- every decode says why (``purpose``: the ``X-Samskab-Purpose`` header, the ``purpose``
  query parameter, or the path ``/purpose/<why>/decode`` for clients that only take a
  base URL) and is written to the access log, with who and why, before anything is
  answered (FVL § 9 / the municipality's logging duty: reads are logged).

Payloads that are not ours (plain ones, Temporal's own built-in query answers) are
answered as they came; a payload under another codec key is a 400 that says so.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Header, HTTPException, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from app.codec import ENCODING, CodecError, EncryptionCodec
from app.settings import Settings
from domain.access import Subject
from domain.messages import Role

#: Who may read payloads through the codec server: the installation's operators
#: (administrators) and auditors.
CODEC_ROLES = frozenset({Role.ADMINISTRATOR, Role.AUDITOR})
PURPOSE_HEADER = "X-Samskab-Purpose"
#: A page of history is at most a few MiB of payloads; more is refused before it is read.
MAX_BODY_BYTES = 16 * 1024 * 1024


Authorization = Annotated[str | None, Header()]
Namespace = Annotated[str | None, Header(alias="X-Namespace")]
PurposeHeader = Annotated[str | None, Header(alias=PURPOSE_HEADER)]


def _error(status: int, message: str, rule: str, field: str | None = None) -> HTTPException:
    return HTTPException(status, detail={"message": message, "rule": rule, "field": field})


def create_codec_app(
    settings: Settings, *, codec: EncryptionCodec | None = None, access_log=None, verify=None
) -> FastAPI:
    """The codec server; tests give it their codec, access log and token verifier."""
    if codec is None:
        from app.keys import codec_key

        codec = EncryptionCodec(codec_key(settings))
    if access_log is None:
        from activities.eventlog import open_event_store
        from eventlog.access_log import AccessLog

        store = open_event_store(settings.database_url, upgrade=not settings.production)
        access_log = AccessLog(store.engines)
    if verify is None:
        from app.tokens import TokenVerifier

        verify = TokenVerifier(settings)

    app = FastAPI(title="samskab codec server", version="0.1.0", docs_url=None, redoc_url=None)
    if settings.codec_cors_origin:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=[settings.codec_cors_origin],
            allow_credentials=True,
            allow_methods=["POST"],
            allow_headers=["Authorization", "Content-Type", "X-Namespace", PURPOSE_HEADER],
        )

    @app.exception_handler(HTTPException)
    async def _as_json(request: Request, error: HTTPException) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None
        return JSONResponse(error.detail, status_code=error.status_code, headers=headers)

    def who(authorization: str | None) -> Subject:
        from app.tokens import InvalidToken

        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _error(401, "log in: send 'Authorization: Bearer <token>'", "auth.missing_token", "Authorization")
        try:
            subject = verify(token.strip())
        except InvalidToken as invalid:
            raise _error(401, f"the token is not accepted: {invalid}", "auth.invalid_token", "Authorization") from None
        if subject.role not in CODEC_ROLES:
            raise _error(403, f"a {subject.role.value} may not read Temporal's payloads: only an administrator or an "
                         "auditor", "access.codec_role", "Authorization")  # fmt: skip
        return subject

    async def payloads_of(request: Request) -> Payloads:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise _error(413, f"the body is larger than {MAX_BODY_BYTES} bytes", "codec.too_large", "body")
        try:
            return json_format.Parse(body or b"{}", Payloads())
        except json_format.ParseError as bad:
            raise _error(
                422, f"the body is not a Payloads message as protobuf JSON: {bad}", "codec.not_payloads", "body"
            ) from None

    def answer(payloads) -> JSONResponse:
        return JSONResponse(json_format.MessageToDict(Payloads(payloads=payloads)))

    async def decode(
        request: Request, authorization: str | None, purpose: str | None, namespace: str | None
    ) -> JSONResponse:
        subject = who(authorization)
        why = (purpose or "").strip()
        if not why:
            raise _error(422, f"say why you read these payloads: the {PURPOSE_HEADER} header, the 'purpose' query "
                         "parameter or the path /purpose/<why>/decode (it is written to the access log)",
                         "codec.purpose_required", "purpose")  # fmt: skip
        incoming = await payloads_of(request)
        ours = [p for p in incoming.payloads if p.metadata.get("encoding") == ENCODING]
        try:
            opened = await codec.decode(ours)
        except CodecError as error:
            raise _error(400, str(error), "codec.key_mismatch", "payloads") from None
        access_log.record(actor_id=subject.person_id, actor_role=subject.role.value, stream_id=None,
                          what=f"temporal payloads decoded: {len(ours)} (namespace {namespace or '?'})"[:200],
                          purpose=why[:500])  # fmt: skip
        it = iter(opened)
        return answer([next(it) if p.metadata.get("encoding") == ENCODING else p for p in incoming.payloads])

    async def encode(request: Request, authorization: str | None) -> JSONResponse:
        who(authorization)
        incoming = await payloads_of(request)
        return answer(await codec.encode(list(incoming.payloads)))

    @app.post("/decode", operation_id="decode")
    async def decode_route(request: Request, authorization: Authorization = None, namespace: Namespace = None,
                           purpose_header: PurposeHeader = None,
                           purpose: Annotated[str | None, Query()] = None) -> JSONResponse:  # fmt: skip
        """Decrypt the payloads (protobuf JSON ``Payloads``); the read is logged with its purpose."""
        return await decode(request, authorization, purpose_header or purpose, namespace)

    @app.post("/purpose/{purpose}/decode", operation_id="decodeWithPurpose")
    async def decode_with_purpose(request: Request, purpose: str, authorization: Authorization = None,
                                  namespace: Namespace = None) -> JSONResponse:  # fmt: skip
        """``/decode`` for clients that take only a base URL (the Web UI): the purpose is in the path."""
        return await decode(request, authorization, purpose, namespace)

    @app.post("/encode", operation_id="encode")
    async def encode_route(request: Request, authorization: Authorization = None) -> JSONResponse:
        """Encrypt the payloads (for a query argument or signal typed in the Web UI)."""
        return await encode(request, authorization)

    @app.post("/purpose/{purpose}/encode", operation_id="encodeWithPurpose")
    async def encode_with_purpose(request: Request, purpose: str, authorization: Authorization = None) -> JSONResponse:
        return await encode(request, authorization)

    return app


def serve_codec(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    import uvicorn

    uvicorn.run(create_codec_app(settings), host=host or settings.codec_server_host,
                port=port or settings.codec_server_port, log_level=settings.log_level.lower())  # fmt: skip
