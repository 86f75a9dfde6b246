"""The notification outbox: letters, reminders and escalations the workflows send.

Each message is written once, keyed by an id the workflow made
(``workflow.uuid4()``), so a retried activity never sends twice. A delivery
service (e-Boks, mail, the case system) picks messages up from here; the
outbox is also what a test or an auditor reads to see what was sent.

A letter is about the citizen (a decision, a hearing, a missed deadline), so
its subject and body are stored encrypted with the key of the case's citizen,
like the personal fields of the event log: erasing the citizen (destroying
the key) leaves the outbox row with no readable text, and it reads as
``[slettet]``. The id, case, recipient id and kind stay readable: the receipt
that a message was sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, insert, select
from sqlalchemy.exc import IntegrityError

from domain.personal_data import ERASED_MARKER
from eventlog.crypto import decrypt_value, encrypt_value, is_envelope
from eventlog.engines import make_engines
from eventlog.hashing import format_timestamp, parse_timestamp

outbox_metadata = MetaData()

outbox = Table(
    "outbox",
    outbox_metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(36), nullable=False, unique=True),
    Column("case_id", String(64), nullable=False),
    Column("recipient", String(128), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("subject", Text, nullable=False),  # encrypted: an envelope is longer than the text
    Column("body", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    Index("ix_outbox_case", "case_id", "seq"),
)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    message_id: str
    case_id: str
    recipient: str
    kind: str
    subject: str
    body: str
    created_at: datetime | None = None


class Outbox:
    def __init__(self, url: str, keys=None) -> None:
        self._engines = make_engines(url)
        #: The key store (eventlog.keystore.KeyStore) letters are encrypted with; the worker sets it.
        self.keys = keys

    def _seal(self, message: OutboxMessage, field: str, value: str) -> str:
        if self.keys is None:
            raise RuntimeError("the outbox has no key store: letters are never stored in the clear")
        key_id, key = self.keys.key_for_stream(message.case_id)
        return json.dumps(encrypt_value(key, key_id, message.message_id, f"outbox.{field}", value))

    def _open(self, message_id: str, field: str, stored: str) -> str:
        try:
            envelope = json.loads(stored)
        except ValueError:
            return stored  # a row written before letters were encrypted
        if not is_envelope(envelope):
            return stored
        if self.keys is None:
            return ERASED_MARKER
        key = self.keys.lookup(envelope["kid"])
        if not isinstance(key, bytes):
            return ERASED_MARKER
        return decrypt_value(key, envelope, message_id, f"outbox.{field}")

    def create_schema(self, *, upgrade: bool = True) -> None:
        """The outbox's table is made by the schema's revisions: bring them up to date
        (``upgrade``: development, tests) or only check them (production)."""
        from eventlog.migrations import ensure_schema

        ensure_schema(self._engines.write, upgrade_allowed=upgrade)

    def dispose(self) -> None:
        self._engines.dispose()

    def put(self, message: OutboxMessage) -> bool:
        """Stores the message; False when a message with that id was already stored."""
        row = {
            "message_id": message.message_id,
            "case_id": message.case_id,
            "recipient": message.recipient,
            "kind": message.kind,
            "subject": self._seal(message, "subject", message.subject),
            "body": self._seal(message, "body", message.body),
            "created_at": format_timestamp(datetime.now(UTC)),
        }
        try:
            with self._engines.write.begin() as conn:
                conn.execute(insert(outbox), row)
        except IntegrityError:
            return False
        return True

    def for_case(self, case_id: str) -> list[OutboxMessage]:
        query = select(outbox).where(outbox.c.case_id == case_id).order_by(outbox.c.seq)
        with self._engines.read.connect() as conn:
            return [
                OutboxMessage(
                    message_id=r.message_id,
                    case_id=r.case_id,
                    recipient=r.recipient,
                    kind=r.kind,
                    subject=self._open(r.message_id, "subject", r.subject),
                    body=self._open(r.message_id, "body", r.body),
                    created_at=parse_timestamp(r.created_at),
                )
                for r in conn.execute(query)
            ]
