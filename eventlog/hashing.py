"""The hash chain: how payloads and events are hashed.

The encoding is meant to be reproduced by an auditor's own tool, in any
language, from the stored columns alone:

* ``payload_hash`` = sha256 hex of the UTF-8 bytes of the stored payload text
  (canonical JSON: sorted keys, ``,`` and ``:`` separators, non-ASCII kept).
* ``hash`` = sha256 hex of the UTF-8 bytes of the compact JSON array
  ``[prev_hash, position, stream_id, stream_version, event_id, event_type,
  schema_version, occurred_at, recorded_at, actor_id, actor_role, legal_basis,
  payload_hash]`` (integers as JSON numbers, a missing legal basis as ``null``,
  the same separators and non-ASCII handling as the payload). A JSON array is
  unambiguous: no choice of field values can make two different events encode
  alike. It is what ``JSON.stringify`` produces for the same array.
* The first event's ``prev_hash`` is ``GENESIS_HASH`` (64 zeros).

Timestamps are hashed as the stored text (``YYYY-MM-DDTHH:MM:SS.ffffffZ``, UTC),
never as database-native values, so the chain is identical on every database.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64

# One encoder built once: json.dumps with non-default options builds a new
# encoder per call, which costs a third of the verification time.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
# The json module's string escaper (C-accelerated), the same one the encoder
# above uses for ensure_ascii=False.
_quote = json.encoder.encode_basestring
_sha256 = hashlib.sha256


def canonical_json(payload: dict[str, Any]) -> str:
    """Return the one text a payload is stored and hashed as.

    Raises ValueError for anything JSON cannot hold exactly (NaN, sets, dates):
    the domain must serialise those itself, so what is hashed is what is read back.
    """
    try:
        return _CANONICAL.encode(payload)
    except (TypeError, ValueError) as err:
        raise ValueError(f"payload is not plain JSON: {err}") from err


def payload_hash(payload_text: str | bytes) -> str:
    """sha256 hex of the stored payload text (given as text, or as its UTF-8 bytes)."""
    if isinstance(payload_text, str):
        return _sha256(payload_text.encode("utf-8")).hexdigest()
    return _sha256(payload_text).hexdigest()


def event_hash(
    prev_hash: str,
    position: int,
    stream_id: str,
    stream_version: int,
    event_id: str,
    event_type: str,
    schema_version: int,
    occurred_at: str,
    recorded_at: str,
    actor_id: str,
    actor_role: str,
    legal_basis: str | None,
    payload_hash: str,
) -> str:
    """sha256 hex over the event's header, its payload hash and the previous hash.

    Arguments are in column order so a verifier can pass a selected row as is.
    """
    return event_digest(
        prev_hash,
        position,
        stream_id,
        stream_version,
        event_id,
        event_type,
        schema_version,
        occurred_at,
        recorded_at,
        actor_id,
        actor_role,
        legal_basis,
        payload_hash,
    ).hex()


def event_digest(
    prev_hash: str,
    position: int,
    stream_id: str,
    stream_version: int,
    event_id: str,
    event_type: str,
    schema_version: int,
    occurred_at: str,
    recorded_at: str,
    actor_id: str,
    actor_role: str,
    legal_basis: str | None,
    payload_hash: str,
) -> bytes:
    """The event's hash as 32 raw bytes (``event_hash`` is its hex); the Merkle leaf's entry.

    The text is exactly the compact JSON array described above, written out
    by hand with the json module's own string escaper: it is what
    ``json.dumps(list_of_fields, separators=(",", ":"), ensure_ascii=False)``
    returns, at two thirds of the cost, and verification runs it on every row.
    Integer fields must be real ints (a float or bool raises rather than
    hashing as something else); the check is inline, as a call per field
    would cost a tenth of a verification's time.
    """
    q = _quote
    encoded = (
        f"[{q(prev_hash)},{position if type(position) is int else _int(position)},{q(stream_id)},"
        f"{stream_version if type(stream_version) is int else _int(stream_version)},{q(event_id)},"
        f"{q(event_type)},{schema_version if type(schema_version) is int else _int(schema_version)},"
        f"{q(occurred_at)},{q(recorded_at)},{q(actor_id)},"
        f"{q(actor_role)},{'null' if legal_basis is None else q(legal_basis)},{q(payload_hash)}]"
    )
    return _sha256(encoded.encode("utf-8")).digest()


def _int(value: object) -> str:
    raise TypeError(f"hashed integer fields must be int, got {type(value).__name__} {value!r}")


def format_timestamp(moment: datetime) -> str:
    """Render an aware datetime as the stored UTC text ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    if moment.utcoffset() is None:
        raise ValueError(f"timestamp must be timezone-aware, got {moment!r}")
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


def parse_timestamp(text: str) -> datetime:
    """Read a stored timestamp back as an aware UTC datetime."""
    return datetime.fromisoformat(text)
