"""The key store for crypto-shredding: one data key per citizen.

* A key id is 128 random bits in hex: it says nothing about the person.
* A citizen's key is found again for their next case through ``citizen_ref``,
  an HMAC-SHA256 of the CPR number (digits only) under a subkey of the
  installation secret; without that secret the ref cannot be tested against
  guessed CPR numbers.
* Key material is stored wrapped (AES-256-GCM under another subkey of the
  installation secret, the key id as associated data), so a copy of the
  database alone reveals no personal data.
* ``case_keys`` maps each case (stream) to its key.
* Erasure (``destroy``) overwrites the wrapped key and the citizen ref with
  NULL and records when and on which basis. The event log is not touched: its
  ciphertext stays, and so does its hash chain.

Keys, and each case's key id, are cached in memory after first use, so an
append adds no round trip for a case it has seen. A cached key is read again
from its row once it is older than ``KEY_FRESH_S``: an erasure made by another
process (the CLI) stops a long-running worker or API from decrypting, or
writing new personal data, within that time. Both caches are bounded (stale
keys are let go, and only the most recently used cases' key ids are kept), so
a worker that runs for months does not hold an entry for every case it ever saw.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from domain.citizen import cpr_digits
from eventlog.compiled import DriverStatement, as_list
from eventlog.crypto import ERASED, KEY_BYTES, NONCE_BYTES, DecryptionFailed, Erased, KeyUnavailable
from eventlog.engines import Engines
from eventlog.errors import EventLogError
from eventlog.freshness import erased_query
from eventlog.hashing import format_timestamp
from eventlog.records import MAX_LEGAL_BASIS, check_text
from eventlog.schema import case_keys, citizen_keys

#: Shortest installation secret accepted, in bytes.
MIN_SECRET_BYTES = 32
#: Seconds a cached key is used before its row is read again (to see an erasure).
KEY_FRESH_S = 5.0
#: How many cases' key ids are kept in memory (the most recently used).
STREAMS_REMEMBERED = 1024
#: Cached keys are swept for stale ones when there are more than this many.
KEYS_SWEPT_ABOVE = 256


class AlreadyErased(EventLogError):
    """The key was destroyed before; an erasure happens once."""


@dataclass(frozen=True, slots=True)
class KeyStatus:
    key_id: str
    created_at: str
    erased_at: str | None
    erasure_basis: str | None
    streams: tuple[str, ...]

    @property
    def erased(self) -> bool:
        return self.erased_at is not None


def _subkey(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, f"samskab-keystore/1|{purpose}".encode(), hashlib.sha256).digest()


class KeyStore:
    """Citizens' data keys in the event log's database, wrapped under the installation secret."""

    def __init__(self, engines: Engines, secret: bytes, *, fresh_for: float = KEY_FRESH_S) -> None:
        if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the installation secret must be at least {MIN_SECRET_BYTES} random bytes")
        self._engines = engines
        self._erased_now = DriverStatement(erased_query(engines.read.dialect), engines.read.dialect)
        self._wrap = AESGCM(_subkey(secret, "wrap"))
        self._ref_key = _subkey(secret, "citizen-ref")
        self._name_key = _subkey(secret, "name-index")
        self._fresh_for = fresh_for
        #: key id -> (key, when its row was read, time.monotonic())
        self._keys: dict[str, tuple[bytes, float]] = {}
        self._swept_at = time.monotonic()
        #: stream id -> key id, least recently used first
        self._stream_keys: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    # -- wrapping ----------------------------------------------------------------

    def _wrap_key(self, key_id: str, key: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        return base64.b64encode(nonce + self._wrap.encrypt(nonce, key, key_id.encode())).decode("ascii")

    def _unwrap(self, key_id: str, wrapped: str) -> bytes:
        raw = base64.b64decode(wrapped)
        try:
            return self._wrap.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], key_id.encode())
        except InvalidTag as err:
            raise DecryptionFailed(
                f"key {key_id} does not unwrap with this installation secret (wrong secret, or the key row was changed)"
            ) from err

    def citizen_ref(self, cpr: str) -> str:
        return hmac.new(self._ref_key, cpr_digits(cpr).encode(), hashlib.sha256).hexdigest()

    def name_token(self, word: str) -> str:
        """A blind index token for one word of a name: an HMAC under a subkey of the
        installation secret, so the read side can find a case by name without
        keeping the name (and a copy of the index tells nothing without the secret)."""
        return hmac.new(self._name_key, word.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    # -- finding or making keys -----------------------------------------------------

    def key_for_citizen(self, cpr: str, stream_id: str) -> tuple[str, bytes]:
        """The citizen's key (made on first use), bound to ``stream_id``."""
        cached = self._cached_stream_key(stream_id)
        if cached is not None:
            return cached
        ref = self.citizen_ref(cpr)
        for _attempt in range(3):
            try:
                with self._engines.write.begin() as conn:
                    bound = conn.execute(select(case_keys.c.key_id).where(case_keys.c.stream_id == stream_id)).first()
                    if bound is not None:
                        key_id = bound[0]
                    else:
                        row = conn.execute(
                            select(citizen_keys.c.key_id).where(citizen_keys.c.citizen_ref == ref)
                        ).first()
                        key_id = row[0] if row is not None else self._insert_key(conn, ref)
                        conn.execute(insert(case_keys).values(stream_id=stream_id, key_id=key_id))
                break
            except IntegrityError:
                continue  # another writer made the key or the binding meanwhile; read it
        else:
            raise EventLogError(f"case {stream_id}: could not find or make the citizen's key")
        return self._remember(stream_id, key_id)

    def key_for_stream(self, stream_id: str) -> tuple[str, bytes]:
        """The key bound to ``stream_id``; a case without a known citizen gets a key of its own."""
        cached = self._cached_stream_key(stream_id)
        if cached is not None:
            return cached
        for _attempt in range(3):
            try:
                with self._engines.write.begin() as conn:
                    bound = conn.execute(select(case_keys.c.key_id).where(case_keys.c.stream_id == stream_id)).first()
                    if bound is not None:
                        key_id = bound[0]
                    else:
                        key_id = self._insert_key(conn, None)
                        conn.execute(insert(case_keys).values(stream_id=stream_id, key_id=key_id))
                break
            except IntegrityError:
                continue
        else:
            raise EventLogError(f"case {stream_id}: could not find or make its key")
        return self._remember(stream_id, key_id)

    def _insert_key(self, conn, ref: str | None) -> str:
        key_id = secrets.token_hex(16)
        conn.execute(
            insert(citizen_keys).values(
                key_id=key_id,
                citizen_ref=ref,
                wrapped_key=self._wrap_key(key_id, AESGCM.generate_key(bit_length=KEY_BYTES * 8)),
                created_at=format_timestamp(datetime.now(UTC)),
            )
        )
        return key_id

    def _cached_stream_key(self, stream_id: str) -> tuple[str, bytes] | None:
        """The case's key if the case is bound to one: its key id from memory or,
        for a case not used lately, read (no write transaction for a binding that exists)."""
        key_id = self._stream_keys.get(stream_id)  # _remember marks it recently used
        if key_id is None:
            key_id = self.key_id_for_stream(stream_id)
            if key_id is None:
                return None
        return self._remember(stream_id, key_id)

    def _remember(self, stream_id: str, key_id: str) -> tuple[str, bytes]:
        key = self.lookup(key_id)  # reads the row again when the cached key is stale
        if key is ERASED:
            raise AlreadyErased(
                f"case {stream_id}: the citizen's key {key_id} was destroyed (erasure); "
                "no new personal data can be recorded under it"
            )
        with self._lock:
            self._stream_keys[stream_id] = key_id
            self._stream_keys.move_to_end(stream_id)
            while len(self._stream_keys) > STREAMS_REMEMBERED:
                self._stream_keys.popitem(last=False)
        return key_id, key  # type: ignore[return-value]

    # -- reading --------------------------------------------------------------------

    def lookup(self, key_id: str) -> bytes | Erased:
        """The key's bytes, ``ERASED`` if it was destroyed, or KeyUnavailable.

        From memory while the key was read less than ``fresh_for`` seconds ago."""
        cached = self._keys.get(key_id)
        if cached is not None and time.monotonic() - cached[1] <= self._fresh_for:
            return cached[0]
        with self._engines.read.connect() as conn:
            row = conn.execute(
                select(citizen_keys.c.wrapped_key, citizen_keys.c.erased_at).where(citizen_keys.c.key_id == key_id)
            ).first()
        if row is None:
            raise KeyUnavailable(
                f"key {key_id} is not in the key store and not recorded as erased; "
                "restore the key store from the backup that belongs to this event log"
            )
        wrapped, erased_at = row
        if erased_at is not None or wrapped is None:
            with self._lock:
                self._keys.pop(key_id, None)
            return ERASED
        key = cached[0] if cached is not None else self._unwrap(key_id, wrapped)
        now = time.monotonic()
        with self._lock:
            self._keys[key_id] = (key, now)
            if len(self._keys) > KEYS_SWEPT_ABOVE and now - self._swept_at > self._fresh_for:
                # A stale key would be read again before use anyway: no reason to hold it.
                self._keys = {kid: entry for kid, entry in self._keys.items() if now - entry[1] <= self._fresh_for}
                self._swept_at = now
        return key

    def key_id_for_citizen(self, cpr: str) -> str | None:
        with self._engines.lone_read() as conn:
            return conn.execute(
                select(citizen_keys.c.key_id).where(citizen_keys.c.citizen_ref == self.citizen_ref(cpr))
            ).scalar()

    def key_id_for_stream(self, stream_id: str) -> str | None:
        with self._engines.lone_read() as conn:
            return conn.execute(select(case_keys.c.key_id).where(case_keys.c.stream_id == stream_id)).scalar()

    def erased_now(self, key_ids: Iterable[str]) -> dict[str, bool]:
        """Whether each key is erased (True) or live (False), read from the database now, not
        from this process's memory (another process may have erased it); unknown keys are left out."""
        listed = as_list(sorted(key_ids), self._engines.read.dialect)
        with self._engines.lone_statement("SELECT citizen_keys") as cursor:
            rows = self._erased_now.execute(cursor, {"key_ids": listed}).fetchall()
        return {key_id: bool(is_erased) for key_id, is_erased in rows}

    def status(self, key_id: str) -> KeyStatus | None:
        with self._engines.read.connect() as conn:
            row = conn.execute(
                select(citizen_keys.c.created_at, citizen_keys.c.erased_at, citizen_keys.c.erasure_basis).where(
                    citizen_keys.c.key_id == key_id
                )
            ).first()
            if row is None:
                return None
            streams = tuple(
                conn.execute(
                    select(case_keys.c.stream_id).where(case_keys.c.key_id == key_id).order_by(case_keys.c.stream_id)
                ).scalars()
            )
        return KeyStatus(key_id, row[0], row[1], row[2], streams)

    # -- erasure ---------------------------------------------------------------------

    def destroy(self, key_id: str, basis: str) -> KeyStatus:
        """Destroy the key: its wrapped bytes and the citizen ref are overwritten.

        Only this row changes; the event log is not touched.
        """
        check_text("basis", basis, MAX_LEGAL_BASIS)
        erased_at = format_timestamp(datetime.now(UTC))
        engine = self._engines.write
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA secure_delete=ON")  # overwrite freed bytes with zeros
            row = conn.execute(select(citizen_keys.c.erased_at).where(citizen_keys.c.key_id == key_id)).first()
            if row is None:
                raise KeyUnavailable(f"there is no key {key_id} in the key store")
            if row[0] is not None:
                raise AlreadyErased(f"key {key_id} was already destroyed at {row[0]}")
            conn.execute(
                update(citizen_keys)
                .where(citizen_keys.c.key_id == key_id)
                .values(wrapped_key=None, citizen_ref=None, erased_at=erased_at, erasure_basis=basis)
            )
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                # Move the overwritten page out of the write-ahead log into the database file.
                driver = conn.connection.driver_connection
                assert driver is not None  # a checked-out connection holds its driver's
                driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with self._lock:
            self._keys.pop(key_id, None)
            for stream, kid in list(self._stream_keys.items()):
                if kid == key_id:
                    del self._stream_keys[stream]
        status = self.status(key_id)
        assert status is not None
        return status
