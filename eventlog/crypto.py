"""Field encryption for personal data in event payloads (AES-256-GCM).

A personal field's value is replaced, in the stored payload, by an envelope::

    {"$enc": "A256GCM", "kid": "<key id>", "iv": "<base64 12 bytes>", "ct": "<base64 ciphertext+tag>"}

* The plaintext is the canonical JSON of the value (so a string, number or
  list round-trips exactly).
* The additional authenticated data binds the ciphertext to its place:
  ``samskab-field/1|<kid>|<event id>|<concrete path>`` (``conditions[0].citizen_words``),
  so a ciphertext moved to another field or event fails authentication.
* The nonce is synthetic: the first 12 bytes of HMAC-SHA256 under a subkey of
  the field key over the AAD and the plaintext. Encrypting the same value in
  the same place gives the same ciphertext, so a retried append stores (and
  hashes) exactly what the first attempt did; two different plaintexts never
  share a nonce under one key (short of an HMAC collision).

The hash chain covers the stored payload, i.e. the ciphertext: destroying a
key makes the fields unreadable without changing a single stored byte.
A wrong key, or a changed ciphertext, fails authentication (``DecryptionFailed``);
it never yields garbage.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.personal_data import ERASED_MARKER
from eventlog.errors import EventLogError

ENVELOPE = "$enc"
ALGORITHM = "A256GCM"
KEY_BYTES = 32
NONCE_BYTES = 12
_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\[\*\])?$")
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)


class DecryptionFailed(EventLogError):
    """A ciphertext did not authenticate: the wrong key, or a changed ciphertext."""


class KeyUnavailable(EventLogError):
    """The key an envelope names is neither in the key store nor recorded as erased."""


class Erased:
    """What a key lookup returns for a key that was destroyed on purpose."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ERASED"


ERASED = Erased()

#: Looks up a key by id: its bytes, ``ERASED``, or raises ``KeyUnavailable``.
KeyLookup = Callable[[str], "bytes | Erased"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _aad(key_id: str, event_id: str, path: str) -> bytes:
    return f"samskab-field/1|{key_id}|{event_id}|{path}".encode()


def is_envelope(value: Any) -> bool:
    return isinstance(value, dict) and value.get(ENVELOPE) == ALGORITHM


def encrypt_value(key: bytes, key_id: str, event_id: str, path: str, value: Any) -> dict[str, str]:
    plaintext = _JSON.encode(value).encode("utf-8")
    aad = _aad(key_id, event_id, path)
    nonce_key = hmac.new(key, b"samskab-field-nonce/1", hashlib.sha256).digest()
    nonce = hmac.new(nonce_key, aad + b"\x00" + plaintext, hashlib.sha256).digest()[:NONCE_BYTES]
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, aad)
    return {ENVELOPE: ALGORITHM, "kid": key_id, "iv": _b64(nonce), "ct": _b64(ciphertext)}


def decrypt_value(key: bytes, envelope: dict[str, Any], event_id: str, path: str) -> Any:
    try:
        nonce = base64.b64decode(envelope["iv"], validate=True)
        ciphertext = base64.b64decode(envelope["ct"], validate=True)
        plaintext = AESGCM(key).decrypt(nonce, ciphertext, _aad(envelope["kid"], event_id, path))
    except (InvalidTag, KeyError, ValueError) as err:
        raise DecryptionFailed(
            f"event {event_id}: the field {path} does not decrypt with key {envelope.get('kid')} "
            "(wrong key, or the ciphertext was changed)"
        ) from err
    return json.loads(plaintext)


def _split(pattern: str) -> list[tuple[str, bool]]:
    segments = []
    for part in pattern.split("."):
        match = _SEGMENT.match(part)
        if not match:
            raise ValueError(f"bad field path {pattern!r}: {part!r} is not a name or name[*]")
        segments.append((match.group(1), bool(match.group(2))))
    return segments


def _locate(node: Any, segments: Sequence[tuple[str, bool]], prefix: str) -> Iterator[tuple[dict, str, str]]:
    """Yield (parent dict, key, concrete path) for every place ``segments`` names in ``node``."""
    if not isinstance(node, dict) or not segments:
        return
    (name, each), rest = segments[0], segments[1:]
    if name not in node:
        return
    path = f"{prefix}.{name}" if prefix else name
    if each:
        items = node[name]
        if not isinstance(items, list):
            return
        for i, item in enumerate(items):
            if rest:
                yield from _locate(item, rest, f"{path}[{i}]")
            else:
                yield items, i, f"{path}[{i}]"  # type: ignore[misc]
    elif rest:
        yield from _locate(node[name], rest, path)
    else:
        yield node, name, path


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def encrypt_fields(
    payload: dict[str, Any], paths: Sequence[str], key: bytes, key_id: str, event_id: str
) -> dict[str, Any]:
    """A copy of ``payload`` with every field ``paths`` names encrypted (missing ones skipped)."""
    if not paths:
        return payload
    result = _deep_copy(payload)
    for pattern in paths:
        for parent, name, path in list(_locate(result, _split(pattern), "")):
            if not is_envelope(parent[name]):
                parent[name] = encrypt_value(key, key_id, event_id, path, parent[name])
    return result


def envelopes(node: Any, prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every encrypted field in a payload, with its concrete path."""
    if is_envelope(node):
        yield prefix, node
    elif isinstance(node, dict):
        for name, value in node.items():
            yield from envelopes(value, f"{prefix}.{name}" if prefix else name)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from envelopes(value, f"{prefix}[{i}]")


def has_envelopes(payload: dict[str, Any]) -> bool:
    """Whether any field of the payload is encrypted: a walk with a stack that stops
    at the first envelope (every read asks this of every event, most of them plain)."""
    stack: list[Any] = [payload]
    pop, push = stack.pop, stack.extend
    while stack:
        node = pop()
        if type(node) is dict:
            if is_envelope(node):
                return True
            push(node.values())
        elif type(node) is list:
            push(node)
    return False


def decrypt_fields(
    payload: dict[str, Any], event_id: str, lookup: KeyLookup, marker: str = ERASED_MARKER
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The payload with every envelope decrypted, and the paths that read as erased.

    A field whose key was destroyed reads as ``marker``. Raises DecryptionFailed
    if a ciphertext does not authenticate, KeyUnavailable if its key is unknown.
    """
    if not has_envelopes(payload):
        return payload, ()

    erased: list[str] = []

    def walk(node: Any, prefix: str) -> Any:
        if is_envelope(node):
            key = lookup(str(node.get("kid")))
            if key is ERASED:
                erased.append(prefix)
                return marker
            return decrypt_value(key, node, event_id, prefix)  # type: ignore[arg-type]
        if isinstance(node, dict):
            return {k: walk(v, f"{prefix}.{k}" if prefix else k) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, f"{prefix}[{i}]") for i, v in enumerate(node)]
        return node

    return walk(payload, ""), tuple(erased)
