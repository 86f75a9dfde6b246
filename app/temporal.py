"""Connecting to Temporal with the pydantic data converter (payloads encrypted by
``app.codec``), and making sure the ``CasePhase`` search attribute exists in the namespace."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from typing import Any

from temporalio.client import Client
from temporalio.envconfig import ClientConfigProfile
from temporalio.service import TLSConfig
from temporalio.service import RPCError, RPCStatusCode

from app.codec import data_converter
from app.keys import codec_key
from app.settings import Settings

SEARCH_ATTRIBUTES = {"CasePhase": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD}


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
    options["target_host"] = address or (settings.temporal_address or options.get("target_host")) or settings.effective_temporal_address
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


async def connect(settings: Settings, address: str | None = None) -> Client:
    from app import tracing

    options = connect_options(settings, address)
    target = options.pop("target_host")
    traced = tracing.setup(settings, "samskab")  # None unless an OTLP endpoint is set
    if traced is not None:
        options["interceptors"] = traced.client_interceptors()  # the worker built on this client takes them too
    return await Client.connect(target, data_converter=data_converter(codec_key(settings)), **options)


async def ensure_search_attributes(client: Client) -> None:
    """Registers our search attributes where they are missing (a server we did not start).

    The time-skipping test server cannot list them, so there we add them blindly."""
    missing = dict(SEARCH_ATTRIBUTES)
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        missing = {k: v for k, v in missing.items() if k not in existing.custom_attributes}
    except RPCError as error:
        if error.status is not RPCStatusCode.UNIMPLEMENTED:
            raise
    if not missing:
        return
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
    except RPCError as error:
        if error.status is not RPCStatusCode.ALREADY_EXISTS:
            raise
