"""Connecting to Temporal with the pydantic data converter (payloads encrypted by
``app.codec``), and making sure the ``CasePhase`` search attribute exists in the namespace."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from app.codec import data_converter
from app.keys import codec_key
from app.settings import Settings

SEARCH_ATTRIBUTES = {"CasePhase": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD}


async def connect(settings: Settings, address: str | None = None) -> Client:
    return await Client.connect(
        address or settings.effective_temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(codec_key(settings)),
    )


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
