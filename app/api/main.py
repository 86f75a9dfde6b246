"""Builds the ASGI app: the JSON API, the web pages and ``/metrics``."""

from __future__ import annotations

import gc
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import sqlalchemy.exc
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from temporalio.service import RPCError

from activities.eventlog import open_event_store
from app.api.context import RequestContext
from app.api.guards import BodyTooLarge, Guards
from app.api.metrics import MetricsMiddleware, RequestMetrics
from app.api.openapi import operation_id
from app.api.routes import build_operations_router, build_router
from app.api.service import ApiError, Backend, unavailable
from app.cases import CaseClient
from app.settings import Settings, get_settings
from app.temporal import UNREACHABLE, TemporalUnavailable
from eventlog import EventStore
from projections.setup import ensure_read_models

log = structlog.get_logger(__name__)

DESCRIPTION = """Cases of co-created social services: open a case, give it commands
(each answered at once with the domain's accept or refusal), read its state,
timeline and deadlines, audit the hash-chained event log.

Every request carries `Authorization: Bearer <JWT>`. Every read of personal data
needs a purpose (`?purpose=...` or `X-Purpose`) and is logged with the person and purpose.

Refusals: 401 no or invalid token; 403 not allowed for your role or this case;
404 no such case; 409 stale `expected_version`, command out of phase, or refused by
the case's state; 413 a body too large; 422 invalid input or a domain refusal naming the
field; 503 Temporal or the database down (with `Retry-After`). The body is
`{"error": {"message", "rule", "field", "kind"}}` (`ErrorBody`).

Operations: `/livez` (the process is up) and `/readyz` (the database, Temporal and the
read models' lag), for an orchestrator's probes; no token needed."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("samskab")
    except PackageNotFoundError:
        return "0.0.0"


def create_app(
    settings: Settings | None = None,
    *,
    store: EventStore | None = None,
    cases: CaseClient | None = None,
    keys: Any = None,
    clock: Callable[[], datetime] | None = None,
    tracing: Any = None,
) -> FastAPI:
    """The app; tests give it their own store and case client (and tracing), uvicorn gives it nothing."""
    settings = settings or get_settings()
    from app.startup_checks import check

    check(settings, "api")  # outside development: no default or missing secret
    owns_store = store is None
    store = store or open_event_store(settings.database_url, upgrade=not settings.production)
    ensure_read_models(store)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Everything built so far (the app, its routes and schemas, every imported
        # module) lives as long as the server. Left to the collector, each full
        # collection walks all of it again: 100-200 ms with every request stalled.
        gc.collect()
        gc.freeze()
        yield
        app.state.backend.read_threads.close()
        if owns_store:
            store.dispose()

    app = FastAPI(title="samskab", version=_version(), description=DESCRIPTION, lifespan=lifespan,
                  generate_unique_id_function=operation_id)  # fmt: skip
    if keys is None:
        from app.keys import open_key_store  # the citizens' keys, to read the log's encrypted fields

        keys = open_key_store(store, settings)
    app.state.backend = Backend(settings, store, cases=cases, keys=keys, clock=clock)
    app.state.settings = settings
    metrics = RequestMetrics(read_models=store.engines)
    app.state.backend.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(Guards, max_body_bytes=settings.max_body_bytes)  # before anything reads the body
    app.add_middleware(RequestContext)  # outermost: its ids are on every line the request logs
    app.add_api_route("/metrics", metrics.endpoint, methods=["GET"], include_in_schema=False)
    from app.pages.routes import build_pages  # the pages use the same backend

    # The pages before the API: a request walks the routes in order, and each of the API's
    # (an included router's) costs several times what a page's does to pass over. The two
    # share no path (tests/api/test_route_order.py), so the order changes no answer.
    build_pages(app)
    app.include_router(build_operations_router())
    app.include_router(build_router())
    from app import tracing as tracing_module

    tracing = tracing or tracing_module.setup(settings, "samskab-api")
    if tracing is not None:
        tracing.instrument_app(app)
        tracing.instrument_store(store)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else error.headers
        return JSONResponse(error.body(), status_code=error.status, headers=headers)

    async def down(request: Request, error: ApiError) -> JSONResponse:
        log.warning("answered 503", service=error.rule, reason=error.message, path=request.url.path)
        return await api_error(request, error)

    @app.exception_handler(TemporalUnavailable)
    async def temporal_unavailable(request: Request, error: TemporalUnavailable) -> JSONResponse:
        return await down(request, unavailable("temporal", str(error), settings.retry_after_seconds))

    @app.exception_handler(RPCError)
    async def temporal_error(request: Request, error: RPCError) -> JSONResponse:
        if error.status not in UNREACHABLE:
            raise error
        address = settings.effective_temporal_address
        message = f"Temporal at {address} does not answer: {error.status.name}: {error.message}"
        return await down(request, unavailable("temporal", message, settings.retry_after_seconds))

    @app.exception_handler(sqlalchemy.exc.OperationalError)
    async def database_unavailable(request: Request, error: sqlalchemy.exc.OperationalError) -> JSONResponse:
        message = f"the database does not answer: {str(error.orig).strip().splitlines()[0] if error.orig else error}"
        return await down(request, unavailable("database", message, settings.retry_after_seconds))

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, error: BodyTooLarge) -> JSONResponse:
        return JSONResponse(
            {"error": {"message": error.detail, "rule": "input.too_large", "field": "body", "kind": "PayloadTooLarge"}},
            status_code=413,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = []
        for e in error.errors():
            loc = [str(p) for p in e.get("loc", ()) if p not in ("body",)]
            if len(loc) == 2 and loc[0] in ("header", "query"):
                loc = loc[1:]  # the header's or parameter's own name: 'Idempotency-Key', 'x-purpose', 'purpose'
            problems.append({"field": ".".join(loc) or None, "message": e.get("msg", "")})
        first = problems[0] if problems else {"field": None, "message": "invalid input"}
        message = "; ".join(f"{p['field']}: {p['message']}" if p["field"] else p["message"] for p in problems)
        body = {"error": {"message": message, "rule": "input.invalid", "field": first["field"], "kind": "InputInvalid",
                          "problems": problems}}  # fmt: skip
        return JSONResponse(body, status_code=422)

    return app
