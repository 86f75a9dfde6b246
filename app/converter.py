"""The pydantic payload converter, with one set of type adapters per process.

Temporal makes a new payload converter for every workflow run it keeps in
memory; the stock pydantic converter gives each a cache of its own, so every
open case built (and kept) its own ``TypeAdapter`` for each message type: CPU
on every new run and a few KiB for as long as the case waits. The adapters
are the same for every run, so they are built once and shared.

The converter itself holds no state of its own either, yet the SDK builds a
data converter (and so a payload converter) for every workflow activation:
the pydantic converter's serializer and caches were rebuilt a few times per
command, a twentieth of the worker's Python time. ``shared_payload_converter``
hands the SDK one instance instead."""

from __future__ import annotations

import functools
import threading
from typing import Any

from pydantic import TypeAdapter
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DefaultPayloadConverter,
    EncodingPayloadConverter,
    JSONPlainPayloadConverter,
)
from temporalio.exceptions import ApplicationError

_type_adapter = functools.lru_cache(maxsize=1024)(TypeAdapter)


class SharedAdaptersJSONConverter(PydanticJSONPlainPayloadConverter):
    """JSON through pydantic, reading with the process-wide type adapters."""

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        hint = Any if type_hint is None else type_hint
        try:
            hash(hint)
        except TypeError:
            return TypeAdapter(hint).validate_json(payload.data)  # an unhashable hint cannot be cached
        return _type_adapter(hint).validate_json(payload.data)


class RefuseUnencrypted(EncodingPayloadConverter):
    """Reads the payloads the codec refused (``app.codec``: sent without encryption),
    by refusing them: a non-retryable error, so an update is rejected before its
    validator and a workflow started so fails at once."""

    @property
    def encoding(self) -> str:
        return "binary/refused-unencrypted"

    def to_payload(self, value: Any) -> Payload | None:
        return None  # never written

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        raise ApplicationError(
            "refused: the payload is not encrypted with samskab's payload codec (a client without the codec key "
            "sent it); samskab reads nothing it did not encrypt",
            type="UnencryptedPayload",
            non_retryable=True,
        )


class SharedAdaptersPayloadConverter(CompositePayloadConverter):
    """Temporal's default converters, with JSON handled by ``SharedAdaptersJSONConverter``,
    and ``RefuseUnencrypted`` for what the codec refused."""

    def __init__(self) -> None:
        json_converter = SharedAdaptersJSONConverter()
        super().__init__(
            *(
                json_converter if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            ),
            RefuseUnencrypted(),
        )


_shared: SharedAdaptersPayloadConverter | None = None
_shared_lock = threading.Lock()


def shared_payload_converter() -> SharedAdaptersPayloadConverter:
    """The process's one payload converter, for ``DataConverter.payload_converter_class``
    (which the SDK only ever calls for an instance). Safe to share across threads:
    pydantic's serializers and the adapter cache are."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = SharedAdaptersPayloadConverter()
    return _shared
