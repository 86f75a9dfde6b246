"""A Temporal payload codec that encrypts every payload with AES-256-GCM.

Workflow inputs, update arguments and results, activity arguments and results,
queries' answers: every payload is encrypted on the client and the worker
before it leaves the process, so the Temporal server (its database and its Web
UI) stores ciphertext, never a CPR number or a citizen's words. Failure
messages and stack traces are encoded too (``encode_common_attributes``).

An encrypted payload has metadata ``encoding: binary/encrypted`` and
``encryption-key-id``; its data is a 12-byte random nonce followed by the
ciphertext of the original payload (serialised protobuf). The key id is the
first 16 hex of the key's sha256, so a worker with the wrong key says so
instead of failing obscurely.

**Fail closed.** A payload that is not encrypted (sent by a client without the
codec, e.g. a plain Temporal client or the Web UI) is never read: decoding turns
it into a ``binary/refused-unencrypted`` payload, which the payload converter
refuses with a non-retryable ``UnencryptedPayload`` error. An update whose
argument arrives so is rejected before its validator runs (nothing enters
history); a workflow started so fails without running a line of its code.

Left clear, because Temporal itself must read them: search attributes
(``workflows.search_attributes``: the phase, the municipality, the caseworker's id, the
next deadline and the target group's code; no citizen's data), workflow and update ids
(case ids), task queue and workflow type names. We set no memo and no headers.

Left clear too: the answers of Temporal's own built-in queries that are protobuf
messages, ``__temporal_workflow_metadata`` (``WorkflowMetadata``: the workflow's type and
its query, signal and update names) and ``__enhanced_stack_trace``
(``EnhancedStackTrace``: our source files and line numbers). The CLI's ``temporal
workflow metadata`` and the Web UI's Queries tab parse the metadata answer as that
message directly, without a codec: encrypted, it failed with "failed to unmarshal
metadata: temporalproto: syntax error" and the tab never loaded. They are recognised by
their encoding (``json/protobuf``) and message type, which none of our own payloads has
(ours are JSON from pydantic models), and they hold no personal data (we set no current
details). The plain-text ``__stack_trace`` answer is a ``str`` like any of ours, so it
stays encrypted: read it through the codec server (``samskab codec-server``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

from app.converter import shared_payload_converter

ENCODING = b"binary/encrypted"
#: What an unencrypted payload decodes to: a payload no converter will read.
REFUSED_ENCODING = b"binary/refused-unencrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


#: Protobuf messages of Temporal's built-in queries, left clear (see above).
TEMPORAL_CLEAR_MESSAGES = frozenset(
    {b"temporal.api.sdk.v1.WorkflowMetadata", b"temporal.api.sdk.v1.EnhancedStackTrace"}
)


def temporal_own(payload: Payload) -> bool:
    """Whether ``payload`` is one of Temporal's own built-in query answers (left clear)."""
    return (
        payload.metadata.get("encoding") == b"json/protobuf"
        and payload.metadata.get("messageType") in TEMPORAL_CLEAR_MESSAGES
    )


class CodecError(Exception):
    """A payload cannot be decrypted with this process's codec key."""


def codec_key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:16]


class EncryptionCodec(PayloadCodec):
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError(f"the codec key must be 32 bytes (AES-256), got {len(key)}")
        self._aead = AESGCM(key)
        self.key_id = codec_key_id(key)
        self._key_id_bytes = self.key_id.encode()

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decrypt(p) for p in payloads]

    def _encrypt(self, payload: Payload) -> Payload:
        if temporal_own(payload):
            return payload
        nonce = os.urandom(NONCE_BYTES)
        data = nonce + self._aead.encrypt(nonce, payload.SerializeToString(), self._key_id_bytes)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: self._key_id_bytes}, data=data)

    def _decrypt(self, payload: Payload) -> Payload:
        if temporal_own(payload):
            return payload  # read as that protobuf message, never as one of our types
        if payload.metadata.get("encoding") != ENCODING:
            # Not ours: a peer without the codec key. Never read it (fail closed).
            return Payload(metadata={"encoding": REFUSED_ENCODING})
        key_id = payload.metadata.get(KEY_ID, b"").decode()
        if key_id != self.key_id:
            raise CodecError(
                f"a payload is encrypted with codec key {key_id or '?'}, but this process has key {self.key_id}; "
                "every worker and client must use the same SAMSKAB_CODEC_KEY"
            )
        try:
            plain = self._aead.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], self._key_id_bytes)
        except InvalidTag:
            raise CodecError("an encrypted payload does not authenticate (changed, or a different key)") from None
        return Payload.FromString(plain)


def data_converter(key: bytes) -> DataConverter:
    """The pydantic data converter with the encrypting codec and encoded failure attributes."""
    return DataConverter(
        payload_converter_class=shared_payload_converter,  # type: ignore[arg-type]  # the SDK calls it for an instance, as a class; its stub wants a class
        payload_codec=EncryptionCodec(key),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
