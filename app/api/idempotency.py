"""``Idempotency-Key``: a retry gets the first answer; anything else is refused.

A key is bound, the first time it is used, to the caller (person and role),
the case and a hash of the body. The same key again from the same caller with
the same body is a retry: it becomes the same Temporal update id, so Temporal
answers with the first result and runs nothing twice. The same key with another
body, for another case, or from another caller is a 422 naming the header:
silently answering the first command's result would drop the new one.

Keys are kept as hashes (a key may be anything a client chose), in a table of
their own beside the read models; the update id is derived from the caller and
the key, so one caller can never collide with another's key.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, insert, select
from sqlalchemy.exc import IntegrityError

from domain.access import Subject

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200

metadata = MetaData()
idempotency_keys = Table(
    "api_idempotency_keys",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("caller_hash", String(64), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
)


class KeyMisused(ValueError):
    """The key is malformed, or was used for something else first."""


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class IdempotencyKeys:
    def __init__(self, engines) -> None:
        self._engines = engines  # the table is made by the schema's revisions (eventlog.migrations)

    def update_id(self, who: Subject, case_id: str, key: str, body: Any) -> str:
        """The Temporal update id for this key; KeyMisused when it may not be used so."""
        if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
            raise KeyMisused(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters")
        caller = _sha(f"{who.role.value}\x00{who.person_id}")
        request = _sha(
            json.dumps({"case_id": case_id, "body": body}, sort_keys=True, separators=(",", ":"), default=str)
        )
        key_hash = _sha(key)
        try:
            with self._engines.write.begin() as conn:
                conn.execute(
                    insert(idempotency_keys).values(
                        key_hash=key_hash,
                        caller_hash=caller,
                        request_hash=request,
                        created_at=datetime.now(UTC).isoformat(),
                    )
                )
        except IntegrityError:
            with self._engines.read.connect() as conn:
                row = conn.execute(
                    select(idempotency_keys.c.caller_hash, idempotency_keys.c.request_hash).where(
                        idempotency_keys.c.key_hash == key_hash
                    )
                ).first()
            if row is None or row.caller_hash != caller:
                raise KeyMisused(f"this {HEADER} was used by someone else; choose a key of your own") from None
            if row.request_hash != request:
                raise KeyMisused(
                    f"this {HEADER} was used for another command (a different body or case); a retry must send "
                    "the same command, a new command needs a new key"
                ) from None
        return f"idem-{_sha(caller + key_hash)[:40]}"
