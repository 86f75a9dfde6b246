"""Connecting to Temporal with the pydantic data converter (payloads encrypted by
``app.codec``), and registering the search attributes cases show (``workflows.search_attributes``)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import structlog
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.envconfig import ClientConfigProfile
from temporalio.service import RetryConfig, RPCError, RPCStatusCode, TLSConfig

from app.codec import data_converter
from app.keys import codec_key
from app.logging import forward_temporal_core_logs
from app.settings import Settings
from workflows.search_attributes import CASE_SEARCH_ATTRIBUTES, create_command


def _log():
    # Fetched when used, not cached at import: logging set up later (or captured in a
    # test) still applies to these warnings.
    return structlog.get_logger(__name__)


#: How long a call to the operator service may take at start-up.
OPERATOR_TIMEOUT = timedelta(seconds=10)


def connect_options(settings: Settings, address: str | None = None) -> dict[str, Any]:
    """The arguments of ``Client.connect``: a ``temporalio.envconfig`` profile if one is named
    (Temporal's own TOML file and ``TEMPORAL_*`` variables), then samskab's settings on top:
    address, namespace, TLS (a CA, mTLS with a client certificate and key, a server name) and
    an API key. The embedded dev server is reached without any of them."""
    options: dict[str, Any] = {}
    if settings.temporal_profile or settings.temporal_config_file:
        options.update(
            ClientConfigProfile.load(
                settings.temporal_profile or None,
                config_source=settings.temporal_config_file,
            ).to_client_connect_config()
        )
    options["target_host"] = (
        address or (settings.temporal_address or options.get("target_host")) or settings.effective_temporal_address
    )
    if settings.temporal_address or "namespace" not in options:
        options["namespace"] = settings.temporal_namespace
    files = (settings.temporal_tls_ca_file, settings.temporal_tls_cert_file, settings.temporal_tls_key_file)
    if settings.temporal_tls or any(files) or settings.temporal_tls_server_name:
        if bool(settings.temporal_tls_cert_file) != bool(settings.temporal_tls_key_file):
            raise ValueError("SAMSKAB_TEMPORAL_TLS_CERT_FILE and SAMSKAB_TEMPORAL_TLS_KEY_FILE go together (mTLS)")
        ca, cert, key = (path.read_bytes() if path else None for path in files)
        options["tls"] = TLSConfig(
            server_root_ca_cert=ca, client_cert=cert, client_private_key=key,
            domain=settings.temporal_tls_server_name or None,
        )  # fmt: skip
    if settings.temporal_api_key:
        options["api_key"] = settings.temporal_api_key
        options.setdefault("tls", True)
    return options


class TemporalUnavailable(RuntimeError):
    """Temporal did not answer in time (down, or unreachable); the caller may try again later."""

    def __init__(self, address: str, reason: object) -> None:
        self.address = address
        super().__init__(f"Temporal at {address} does not answer: {reason}")


#: The status of a call that failed because Temporal could not be reached (not a refusal).
UNREACHABLE = (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED)


async def connect(settings: Settings, address: str | None = None, *, bounded: bool = False) -> Client:
    """A client; ``bounded`` (the API, the CLI): connecting, and every call's retries of a server that
    does not answer, end after ``temporal_call_seconds`` with ``TemporalUnavailable`` or an
    ``RPCError`` of status UNAVAILABLE, instead of the SDK's 10 s of retries. A worker is
    unbounded: it waits for its server."""
    from app import tracing

    forward_temporal_core_logs()  # in JSON mode, before the first client makes the default Runtime
    options = connect_options(settings, address)
    target = options.pop("target_host")
    traced = tracing.setup(settings, "samskab")  # None unless an OTLP endpoint is set
    if traced is not None:
        options["interceptors"] = traced.client_interceptors()  # the worker built on this client takes them too
    converter = data_converter(codec_key(settings))
    if not bounded:
        return await Client.connect(target, data_converter=converter, **options)
    budget = settings.temporal_call_seconds
    options["retry_config"] = RetryConfig(
        initial_interval_millis=100, max_interval_millis=500, max_elapsed_time_millis=int(budget * 1000), max_retries=20
    )
    try:
        return await asyncio.wait_for(Client.connect(target, data_converter=converter, **options), budget)
    except (TimeoutError, RuntimeError) as error:
        raise TemporalUnavailable(target, str(error) or f"no answer within {budget:g} s") from None


async def ensure_search_attributes(client: Client) -> frozenset[str]:
    """Registers every search attribute of ``CASE_SEARCH_ATTRIBUTES`` that the namespace lacks,
    through the operator service (idempotent: one already there is left alone), and answers
    the names the namespace has. Run by every worker at start, against any Temporal.

    Where this process may not register one (Temporal Cloud, or a server that refuses the
    operator service to this client), it logs the attribute and the command an operator runs
    to register it by hand, and goes on: cases then show only the attributes that exist.
    The time-skipping test server cannot list them, so there they are added blindly."""
    wanted = {key.name: key for key in CASE_SEARCH_ATTRIBUTES}
    existing: set[str] = set()
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace), timeout=OPERATOR_TIMEOUT
        )
        existing = set(listed.custom_attributes) & set(wanted)
    except RPCError as error:
        if error.status is not RPCStatusCode.UNIMPLEMENTED:
            return _cannot_register(client, wanted, existing, error)
    missing = {
        name: IndexedValueType.ValueType(int(key.indexed_value_type))
        for name, key in wanted.items()
        if name not in existing
    }
    if not missing:
        return frozenset(existing)
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing), timeout=OPERATOR_TIMEOUT
        )
    except RPCError as error:
        if error.status is not RPCStatusCode.ALREADY_EXISTS:
            return _cannot_register(client, wanted, existing, error)
    _log().info("registered search attributes", namespace=client.namespace, attributes=sorted(missing))
    return frozenset(wanted)


def _cannot_register(client: Client, wanted: dict, existing: set[str], error: RPCError) -> frozenset[str]:
    for name, key in wanted.items():
        if name not in existing:
            _log().warning(
                "search attribute not registered; cases will not show it until an operator registers it",
                attribute=name, namespace=client.namespace, reason=f"{error.status.name}: {error.message}",
                command=create_command(key, client.namespace),
            )  # fmt: skip
    return frozenset(existing)
