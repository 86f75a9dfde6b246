"""The event store: append, read and verify the hash-chained domain event log.

Every append runs in one transaction that first locks the chain head (the
single ``log_head`` row). Holding that lock, it decides whether the batch is a
retry, checks the stream's expected version, numbers the events from the head,
chains their hashes and moves the head. Appends are therefore serial, global
positions gapless and the chain linear, on SQLite and PostgreSQL alike.

On PostgreSQL (psycopg 3) an append costs two network round trips: one for
the statement that locks the head (the hashes need the head's position and
hash), one for everything after it, sent as a pipeline. See
``EventStore._append_pipelined``.

The store is safe to share between threads: every read checks its own
connection out of the engine's pool, every append takes one of the store's
append connections (``eventlog.engines.DriverConnections``) for itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

from pydantic_core import from_json
from sqlalchemy import Connection, LargeBinary, bindparam, cast, func, literal_column, select, update
from sqlalchemy.engine import URL, Dialect, Row
from sqlalchemy.exc import IntegrityError

from eventlog.compiled import DriverStatement, as_list
from eventlog.crypto import ENVELOPE
from eventlog.engines import DriverConnections, Engines, HeldConnection, make_engines, set_autocommit
from eventlog.errors import ConcurrencyConflict, EventLogError, IdempotencyMismatch
from eventlog.freshness import stream_versions_query
from eventlog.hashing import (
    canonical_json,
    event_hash,
    format_timestamp,
    parse_timestamp,
    payload_hash,
)
from eventlog.merkle import Frontier
from eventlog.merkle_store import TreeMissing, TreeWalk, grow_rows, install_trees, read_state
from eventlog.records import MAX_STREAM_ID, AppendResult, NewEvent, StoredEvent, VerifyReport, check_text
from eventlog.schema import (
    ACCESS_TREE,
    EVENTS_TREE,
    HEAD_ROW_ID,
    log_head,
)
from eventlog.schema import events as events_table
from eventlog.verification import VERIFY_COLUMNS, ChainWalker, stored_in_rows

# Column order of every StoredEvent read (matches StoredEvent's fields).
_EVENT_COLUMNS = (
    "position",
    "stream_id",
    "stream_version",
    "event_id",
    "event_type",
    "schema_version",
    "occurred_at",
    "recorded_at",
    "actor_id",
    "actor_role",
    "legal_basis",
    "payload",
    "payload_hash",
    "prev_hash",
    "hash",
)


class EventStore:
    """Append-only, hash-chained event log on file SQLite or PostgreSQL."""

    #: Called around each append's transaction, when set, with (stream id, number of events,
    #: database name); returns a context manager. The append goes straight to the driver, past
    #: SQLAlchemy and its instrumentation, so tracing (``app.tracing``) sets this to see it.
    append_observer: Callable[[str, int, str], Any] | None = None

    def __init__(self, engines: Engines) -> None:
        self._engines = engines
        self._build_statements()

    @classmethod
    def from_url(cls, url: str | URL, *, connect_args: Mapping[str, Any] | None = None) -> EventStore:
        """Open a store on ``sqlite:///path/events.db`` or ``postgresql+psycopg://...``.

        ``connect_args`` go to the driver, e.g. ``{"options": "-csearch_path=myschema"}``
        to keep the tables in a PostgreSQL schema of their own.
        """
        return cls(make_engines(url, connect_args))

    @property
    def engines(self) -> Engines:
        """The engines underneath, for the log's companions (access log, key store, export)."""
        return self._engines

    def dispose(self) -> None:
        """Close every pooled connection; the store must not be used afterwards."""
        self._append_connections.close()
        self._engines.dispose()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.dispose()

    # -- schema -------------------------------------------------------------

    def create_schema(self) -> None:
        """Bring the database's schema to this release's revision (``eventlog.migrations``):
        the tables, the head row, the trees and the triggers; safe to call again. The
        owner's job: in production only ``samskab db upgrade`` calls it. The access log's
        tree row, if missing (thrown away), is grown again over its rows, as revision 0001
        does; the event log's tree lives in its append-only rows and is not grown again."""
        from eventlog.migrations import upgrade

        upgrade(self._engines.write)
        with self._engines.write.begin() as conn:
            install_trees(conn, (ACCESS_TREE,))

    # -- writing ------------------------------------------------------------

    def append(self, stream_id: str, expected_version: int, events: Sequence[NewEvent]) -> AppendResult:
        """Append ``events`` to ``stream_id`` if the stream is at ``expected_version``.

        Idempotent by event id: a retry of an append that already happened
        writes nothing and returns the original positions with ``duplicate=True``.
        Raises ConcurrencyConflict if the stream is at another version, and
        IdempotencyMismatch if some of the event ids are already stored but not
        as this very batch.
        """
        batch = _prepare(stream_id, expected_version, events)
        try:
            if self.append_observer is None:
                return self._append_in_transaction(stream_id, expected_version, batch)
            with self.append_observer(stream_id, len(batch), self._engines.write.dialect.name):
                return self._append_in_transaction(stream_id, expected_version, batch)
        except (IntegrityError, self._driver_integrity_error) as err:
            raise self._explain_integrity_error(err, stream_id, expected_version, batch) from err

    def _append_in_transaction(
        self, stream_id: str, expected_version: int, batch: list[tuple[NewEvent, str]]
    ) -> AppendResult:
        """Run ``_append_locked`` in one write transaction on one of the append connections.

        The append path bypasses SQLAlchemy's Connection and its pool (their
        per-call overhead is larger than the database work) but opens its
        connections through the engine, so the connect-time settings apply
        (see ``DriverConnections``). Commits on success, rolls back on any
        error. Plain try blocks rather than generator-based context managers,
        which add their own work to every append.
        """
        connections = self._append_connections
        held = connections.take()
        try:
            if self._pipelined:
                result = self._append_pipelined(held, stream_id, expected_version, batch)
            else:
                cursor = held.cursor
                if self._engines.begin_write:
                    cursor.execute(self._engines.begin_write)
                result = self._append_locked(cursor, stream_id, expected_version, batch)
                held.driver.commit()
        except self._lost_connection_errors:
            # The server went away (a restart, a failover): close this
            # connection so the retry gets a fresh one.
            connections.discard(held)
            raise
        except BaseException:
            if self._end_transaction(held):
                connections.give_back(held)
            else:
                connections.discard(held)
            raise
        connections.give_back(held)
        return result

    def _end_transaction(self, held: HeldConnection) -> bool:
        """Roll back whatever a failed append left open; False if the connection is unfit for reuse."""
        in_transaction = self._in_transaction
        try:
            if in_transaction is None:  # a driver we cannot ask: roll back and trust it
                held.driver.rollback()
                return True
            if in_transaction(held.driver):
                held.driver.rollback()
            return not in_transaction(held.driver)
        except Exception:  # noqa: BLE001 - the caller raises the append's own error
            return False

    def _append_pipelined(
        self, held: HeldConnection, stream_id: str, expected_version: int, batch: list[tuple[NewEvent, str]]
    ) -> AppendResult:
        """PostgreSQL: one transaction in two round trips, through psycopg's pipeline mode.

        In a pipeline, statements go out without waiting for their answers; a
        fetch waits for what is outstanding, and the Sync sent when the
        pipeline ends waits for the rest. The append fetches the locked head
        (round trip one), computes the hashes, and sends its writes, which
        come back with the Sync (round trip two). The append connections are
        in autocommit mode (set once when each is opened), because outside it
        psycopg would open the transaction itself and, in a pipeline, wait for
        its BEGIN: a round trip of its own.

        A one-event append (its write is one statement, see
        ``_AppendStatements.write``) sends no BEGIN and COMMIT at all.
        Everything between two Syncs runs as one implicit transaction, which
        the Sync commits, or rolls back if a statement failed (PostgreSQL's
        protocol docs, "Pipelining"). The Sync commits even when the Python
        side raised after the lock (a ConcurrencyConflict, say); that is safe
        only because the one write is atomic and sent last: before it nothing
        was written, once it ran all of it was. It is worth it: on a busy
        machine each statement psycopg builds, sends and reads back costs
        client CPU on the order of a round trip, and one-event appends are the
        common case.

        Otherwise (a batch of several rows: an INSERT per row, then the head):
        an explicit BEGIN and COMMIT, so that nothing commits unless all of it
        was sent. After a failure the server skips the rest, COMMIT included,
        and ``_append_in_transaction`` rolls back.

        The first error is the one that says what went wrong (a unique
        violation, a refused head move, a lost connection), so it is the one
        raised, wherever psycopg surfaces it: in the body (a later execute may
        read it) or when the pipeline ends.
        """
        explicit = not self._driver.writes_in_one_statement(len(batch))
        cursor = held.cursor
        first_error: Exception | None = None
        try:
            with held.driver.pipeline():
                try:
                    if explicit:
                        cursor.execute("BEGIN")
                    result = self._append_locked(cursor, stream_id, expected_version, batch)
                    if explicit:
                        cursor.execute("COMMIT")
                except self._driver_error as err:
                    # Keep it, and let the pipeline end without an exception in
                    # flight: psycopg would log its own error there (the
                    # PipelineAborted of the skipped statements) as a warning,
                    # and after the first error that is no news.
                    first_error = err
        except self._driver_error:
            if first_error is None:
                raise
        if first_error is not None:
            raise first_error
        return result

    def _append_locked(
        self, cursor: Any, stream_id: str, expected_version: int, batch: list[tuple[NewEvent, str]]
    ) -> AppendResult:
        """The body of an append, run with the head locked."""
        sql = self._driver
        head = sql.lock_head.execute(cursor, {"stream_id": stream_id, "event_id": batch[0][0].event_id}).fetchone()
        if head is None:
            raise EventLogError("the event log has no head row; call create_schema() first")
        head_position, head_hash, actual_version, first_stored_at, frontier = head
        if first_stored_at is not None:
            stored = []
            for item, _ in batch:
                row = sql.find_event.execute(cursor, {"event_id": item.event_id}).fetchone()
                if row is not None:
                    stored.append(_StoredId(*row))
            return _retry_result(stream_id, batch, stored)
        if actual_version != expected_version:
            raise ConcurrencyConflict(stream_id, expected_version, actual_version)
        rows = _chain_rows(stream_id, expected_version, batch, head_position, head_hash)
        sql.write(cursor, rows, self._grow_tree(head_position, frontier, rows))
        positions = tuple(row["position"] for row in rows)
        return AppendResult(
            stream_id=stream_id,
            first_position=positions[0],
            last_position=positions[-1],
            stream_version=rows[-1]["stream_version"],
            positions=positions,
            duplicate=False,
        )

    def _grow_tree(self, head_position: int, frontier: bytes | None, rows: list[dict[str, Any]]) -> bytes | None:
        """The Merkle tree's update for ``rows``: each row gets the roots of the subtrees its
        leaf completes (``merkle_nodes``), and the new frontier is returned, to be written
        with the head (``eventlog.merkle_store``). None: the chain alone (the benchmark's
        baseline overrides this)."""
        if frontier is None:
            raise TreeMissing("the event log has no Merkle tree (log_head.frontier); run 'samskab audit verify'")
        try:
            grown = Frontier.from_bytes(head_position, bytes(frontier))
        except ValueError as err:
            raise TreeMissing(
                f"the event log's Merkle frontier does not fit its head at position {head_position} ({err}); "
                "run 'samskab audit verify'"
            ) from None
        for row, nodes in zip(rows, grow_rows(grown, (row["hash"] for row in rows)), strict=True):
            row["merkle_nodes"] = nodes
        return grown.to_bytes()

    def _explain_integrity_error(
        self, err: Exception, stream_id: str, expected_version: int, batch: list[tuple[NewEvent, str]]
    ) -> EventLogError:
        """Turn a unique-constraint violation into the error the caller can act on.

        The append only looks up the batch's first event id; a later id that is
        already stored is caught by the unique index and explained here. A
        version clash cannot happen while the head is locked, but if it ever
        does it must still surface as a conflict, never as a driver error.
        """
        actual_version = self.stream_version(stream_id)
        if actual_version != expected_version:
            return ConcurrencyConflict(stream_id, expected_version, actual_version)
        ids = [item.event_id for item, _ in batch]
        with self._engines.read.connect() as conn:
            taken = conn.execute(self._find_event_ids.where(events_table.c.event_id.in_(ids))).all()
        if taken:
            return IdempotencyMismatch(
                f"case {stream_id}: event id {taken[0].event_id} is already stored "
                f"at position {taken[0].position} in stream {taken[0].stream_id}"
            )
        return EventLogError(f"case {stream_id}: the append was refused by the database: {getattr(err, 'orig', err)}")

    # -- reading ------------------------------------------------------------

    def read_stream(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]:
        """Every event of one stream after ``after_version``, in version order."""
        return [_stored_event(row) for row in self.read_stream_rows(stream_id, after_version)]

    def read_stream_rows(self, stream_id: str, after_version: int = 0) -> list[tuple[Any, ...]]:
        """Every event of one stream after ``after_version`` as the database holds it, in version order.

        Tuples in ``StoredEvent``'s field order, with the timestamps and the
        payload still as their stored text, read on the driver's cursor without
        SQLAlchemy's per-call machinery or a transaction of its own (one
        statement is one consistent snapshot; ``Engines.lone_statement``): a
        case is read on every command and every page, so this is the hot read. ``stored_event_from_row``
        makes a ``StoredEvent`` of a row."""
        with self._engines.lone_statement("SELECT events") as cursor:
            values = {"stream_id": stream_id, "after_version": after_version}
            return self._read_stream_rows.execute(cursor, values).fetchall()

    def stream_version(self, stream_id: str) -> int:
        """The stream's current version (0 for a stream with no events)."""
        with self._engines.lone_statement("SELECT events") as cursor:
            return self._stream_version.execute(cursor, {"stream_id": stream_id}).fetchone()[0]

    def stream_versions(self, stream_ids: Iterable[str]) -> dict[str, int]:
        """Each stream's current version, in one statement (a stream with no events is left out).
        Every read of a kept case asks this (``app.api.readcache``): a lone statement."""
        listed = as_list(sorted(stream_ids), self._engines.read.dialect)
        with self._engines.lone_statement("SELECT events") as cursor:
            return dict(self._stream_versions.execute(cursor, {"stream_ids": listed}).fetchall())

    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """Up to ``limit`` events after ``after_position``, in global order (for paging)."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        with self._engines.read.connect() as conn:
            rows = conn.execute(self._select_all, {"after_position": after_position, "limit": limit})
            return [_stored_event(row) for row in rows]

    def stream_ids(self) -> list[str]:
        """Every stream in the log, in the order its first event was appended."""
        with self._engines.read.connect() as conn:
            return list(conn.execute(self._select_stream_ids).scalars())

    def head(self) -> tuple[int, str]:
        """The chain head: last position and its hash ((0, 64 zeros) for an empty log)."""
        with self._engines.read.connect() as conn:
            head = conn.execute(self._select_head).first()
        if head is None:
            raise EventLogError("the event log has no head row; call create_schema() first")
        return head[0], head[1]

    # -- verifying ----------------------------------------------------------

    def verify(
        self,
        batch_size: int = 10_000,
        anchors: Mapping[int, str] | None = None,
        roots: Mapping[int, bytes] | None = None,
    ) -> VerifyReport:
        """Walk every row in position order and report the first fault, if any.

        Reads in batches inside one snapshot transaction, so memory stays
        bounded and appends made meanwhile neither block nor confuse it.
        ``anchors`` maps positions to the hashes they must have (from signed
        checkpoints); a difference is a ``checkpoint_mismatch``. The Merkle
        tree is recomputed from the rows and compared with the stored one
        (``tree_mismatch``) and with ``roots`` (tree size -> root, from signed
        tree heads; ``tree_head_mismatch``).
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        walker = ChainWalker(anchors)
        tree = TreeWalk(EVENTS_TREE, roots)
        with self._engines.read.connect() as conn:
            conn = conn.execution_options(**self._engines.snapshot_options)
            with conn.begin():
                after = 0
                while True:
                    rows = self.verify_rows(conn, after, batch_size)
                    if not rows:
                        break
                    entries: list[bytes] = []
                    report = walker.feed(rows, entries)
                    if report is not None:
                        return report
                    fault = tree.feed_entries(conn, entries, stored_in_rows(rows))
                    if fault is not None:
                        return walker._fail(*fault)
                    after = rows[-1][2]
                head = conn.execute(self._select_head).first()
                try:
                    state = read_state(conn, EVENTS_TREE)
                except TreeMissing as missing:
                    state = None
                    missing_detail = str(missing)
        report = walker.finish(None if head is None else (head[0], head[1]))
        if not report.ok:
            return report
        if state is None:
            return walker._fail("head_mismatch", walker.last_position + 1, missing_detail)
        fault = tree.finish(state, walker.last_hash)
        if fault is not None:
            return walker._fail(*fault)
        return replace(report, tree_root=tree.root().hex())

    def verify_rows(self, conn: Connection, after_position: int, limit: int) -> list[tuple[Any, ...]]:
        """Up to ``limit`` rows after ``after_position`` as a verifier reads them
        (``VERIFY_COLUMNS`` and ``merkle_nodes``), in position order, inside ``conn``'s
        transaction (its snapshot), as the driver's plain tuples: every row of a
        verification passes here, so SQLAlchemy's result objects are left out."""
        driver = conn.connection.driver_connection
        assert driver is not None  # a live connection inside the verifier's transaction
        cursor = driver.cursor()
        try:
            return self._read_verify_batch.execute(
                cursor, {"after_position": after_position, "limit": limit}
            ).fetchall()
        finally:
            cursor.close()

    # -- statements -----------------------------------------------------------

    def _build_statements(self) -> None:
        """Build every statement once; SQLAlchemy then reuses their compiled form."""
        c = events_table.c
        event_columns = [c[name] for name in _EVENT_COLUMNS]
        head_row = log_head.c.id == HEAD_ROW_ID
        self._select_head = select(log_head.c.position, log_head.c.hash).where(head_row)
        self._move_head = (
            update(log_head).where(head_row).values(position=bindparam("new_position"), hash=bindparam("new_hash"))
        )
        self._find_event_ids = select(*(c[name] for name in _StoredId._fields))
        self._max_version = select(func.coalesce(func.max(c.stream_version), literal_column("0"))).where(
            c.stream_id == bindparam("stream_id")
        )
        read = self._engines.read.dialect
        self._stream_version = DriverStatement(self._max_version, read)
        self._stream_versions = DriverStatement(stream_versions_query(read), read)
        self._insert_events = events_table.insert()
        self._select_stream = (
            select(*event_columns)
            .where(c.stream_id == bindparam("stream_id"), c.stream_version > bindparam("after_version"))
            .order_by(c.stream_version)
        )
        self._read_stream_rows = DriverStatement(self._select_stream, self._engines.read.dialect)
        self._select_all = (
            select(*event_columns)
            .where(c.position > bindparam("after_position"))
            .order_by(c.position)
            .limit(bindparam("limit"))
        )
        self._select_stream_ids = select(c.stream_id).where(c.stream_version == 1).order_by(c.position)
        # SQLite hands the payload over as its stored UTF-8 bytes, to be hashed as they
        # are: decoding 10,000 payloads into text only to encode them again costs a
        # tenth of a verification. (PostgreSQL would send bytea as hex text: no gain.)
        read_dialect = self._engines.read.dialect
        verify_columns = [
            cast(c.payload, LargeBinary).label("payload")
            if name == "payload" and read_dialect.name == "sqlite"
            else c[name]
            for name in VERIFY_COLUMNS
        ]
        self._read_verify_batch = DriverStatement(
            select(*verify_columns, c.merkle_nodes)
            .where(c.position > bindparam("after_position"))
            .order_by(c.position)
            .limit(bindparam("limit")),
            read_dialect,
        )
        # One round trip opens an append: lock the head, and learn the stream's
        # version, whether the batch's first event id is already stored, and the
        # Merkle frontier (kept in the head row).
        lock_and_look = select(
            log_head.c.position,
            log_head.c.hash,
            self._max_version.scalar_subquery(),
            select(c.position).where(c.event_id == bindparam("event_id")).scalar_subquery(),
            log_head.c.frontier,
        ).where(head_row)
        # The tree moves with the head, in the same UPDATE (one row, one page).
        move_head_tree = self._move_head.values(frontier=bindparam("new_frontier"))
        dialect = self._engines.write.dialect
        self._driver = _AppendStatements(
            dialect,
            lock_head=lock_and_look.with_for_update(of=log_head),
            find_event=self._find_event_ids.where(c.event_id == bindparam("event_id")),
            insert_events=self._insert_events,
            move_head=self._move_head,
            move_head_tree=move_head_tree,
            # PostgreSQL can move the head (and the tree) in the statement that inserts a row.
            write_one=self._insert_events.add_cte(self._move_head.cte("move_head"))
            if dialect.name == "postgresql"
            else None,
            write_one_tree=self._insert_events.add_cte(move_head_tree.cte("move_head"))
            if dialect.name == "postgresql"
            else None,
        )
        dbapi = dialect.loaded_dbapi
        self._driver_error = dbapi.Error
        self._driver_integrity_error = dbapi.IntegrityError
        self._lost_connection_errors = (dbapi.OperationalError, dbapi.InterfaceError)
        # Pipeline mode needs psycopg 3 built on libpq 14 or later (the binary
        # wheels are); any other PostgreSQL driver takes the plain path.
        self._pipelined = dialect.name == "postgresql" and dialect.driver == "psycopg" and dbapi.Pipeline.is_supported()
        # Whether an append connection is inside a transaction (None: the driver cannot say).
        self._in_transaction: Callable[[Any], bool] | None = None
        if dialect.driver == "psycopg":
            # Straight from libpq's status, without building a ConnectionInfo.
            idle = dbapi.pq.TransactionStatus.IDLE
            self._in_transaction = lambda driver: driver.pgconn.transaction_status != idle
        elif dialect.name == "sqlite":
            self._in_transaction = lambda driver: driver.in_transaction
        self._append_connections = DriverConnections(
            self._engines.write,
            # The pipelined path carries its transactions itself (see _append_pipelined);
            # these connections never go back to the pool, so they stay in autocommit mode.
            setup=set_autocommit if self._pipelined else None,
            recycle_s=self._engines.recycle_s,
        )


class _StoredId(NamedTuple):
    """What an append needs to know about an event id that is already stored."""

    event_id: str
    position: int
    stream_id: str
    stream_version: int
    event_type: str
    schema_version: int
    actor_id: str
    actor_role: str
    legal_basis: str | None
    payload_hash: str


class _AppendStatements:
    """The append path's statements, compiled once for the write engine's dialect."""

    def __init__(self, dialect: Dialect, **statements: Any) -> None:
        self.lock_head = DriverStatement(statements["lock_head"], dialect)
        self.find_event = DriverStatement(statements["find_event"], dialect)
        self.insert_events = DriverStatement(statements["insert_events"], dialect)
        self.move_head = DriverStatement(statements["move_head"], dialect)
        self.move_head_tree = DriverStatement(statements["move_head_tree"], dialect)
        compiled = {}
        for name in ("write_one", "write_one_tree"):
            statement = statements[name]
            compiled[name] = None if statement is None else DriverStatement(statement, dialect)
        self.write_one = compiled["write_one"]
        self.write_one_tree = compiled["write_one_tree"]

    def writes_in_one_statement(self, rows: int) -> bool:
        """Whether ``write`` sends a single statement for ``rows`` rows (the pipelined
        transaction needs no BEGIN and COMMIT then)."""
        return rows == 1 and self.write_one is not None

    def write(self, cursor: Any, rows: list[dict[str, Any]], frontier: bytes | None) -> None:
        """Insert the chained rows (with their Merkle subtree roots), and move the head to
        the last of them with the tree's new ``frontier`` (None: the chain alone, as
        before the trees; the benchmark's baseline)."""
        head = {"new_position": rows[-1]["position"], "new_hash": rows[-1]["hash"]}
        if frontier is not None:
            head["new_frontier"] = frontier
        if self.writes_in_one_statement(len(rows)):
            # WITH move_head AS (UPDATE log_head ...) INSERT INTO events ...:
            # PostgreSQL runs a data-modifying WITH exactly once and to the end
            # (the guard triggers fire as for a plain UPDATE), and the
            # statement is all-or-nothing.
            statement = self.write_one if frontier is None else self.write_one_tree
            assert statement is not None  # PostgreSQL prepares both (writes_in_one_statement)
            statement.execute(cursor, {**rows[0], **head})
            return
        self.insert_events.executemany(cursor, rows)
        (self.move_head if frontier is None else self.move_head_tree).execute(cursor, head)


def _prepare(stream_id: str, expected_version: int, events: Sequence[NewEvent]) -> list[tuple[NewEvent, str]]:
    """Check the arguments and serialise payloads before any lock is taken."""
    check_text("stream_id", stream_id, MAX_STREAM_ID)
    if isinstance(expected_version, bool) or not isinstance(expected_version, int) or expected_version < 0:
        raise ValueError(f"expected_version must be an integer >= 0, got {expected_version!r}")
    batch = list(events)
    if not batch:
        raise ValueError(f"case {stream_id}: nothing to append (the list of events is empty)")
    for item in batch:
        if not isinstance(item, NewEvent):
            raise TypeError(f"case {stream_id}: append takes NewEvent objects, got {type(item).__name__}")
    ids = [item.event_id for item in batch]
    if len(set(ids)) != len(ids):
        raise IdempotencyMismatch(f"case {stream_id}: the batch contains the same event id twice")
    return [(item, canonical_json(item.payload)) for item in batch]


def _chain_rows(
    stream_id: str,
    expected_version: int,
    batch: list[tuple[NewEvent, str]],
    head_position: int,
    head_hash: str,
) -> list[dict[str, Any]]:
    """Number the events from the head and link each one's hash to the one before."""
    recorded_at = format_timestamp(datetime.now(UTC))
    prev_hash = head_hash
    rows = []
    for offset, (item, payload_text) in enumerate(batch, start=1):
        position = head_position + offset
        stream_version = expected_version + offset
        occurred_at = format_timestamp(item.occurred_at)
        digest = payload_hash(payload_text)
        row_hash = event_hash(
            prev_hash,
            position,
            stream_id,
            stream_version,
            item.event_id,
            item.event_type,
            item.schema_version,
            occurred_at,
            recorded_at,
            item.actor_id,
            item.actor_role,
            item.legal_basis,
            digest,
        )
        rows.append(
            {
                "position": position,
                "stream_id": stream_id,
                "stream_version": stream_version,
                "event_id": item.event_id,
                "event_type": item.event_type,
                "schema_version": item.schema_version,
                "occurred_at": occurred_at,
                "recorded_at": recorded_at,
                "actor_id": item.actor_id,
                "actor_role": item.actor_role,
                "legal_basis": item.legal_basis,
                "payload": payload_text,
                "payload_hash": digest,
                "prev_hash": prev_hash,
                "hash": row_hash,
                "merkle_nodes": None,  # set by _grow_tree
            }
        )
        prev_hash = row_hash
    return rows


def _retry_result(stream_id: str, batch: list[tuple[NewEvent, str]], stored: Sequence[_StoredId]) -> AppendResult:
    """Accept a batch whose events are all stored, in this stream, in this order, with this content.

    The occurred-at time is not compared: a retrying caller outside a workflow
    may read its clock again, and the first recording stands.
    """
    by_id = {row.event_id: row for row in stored}
    missing = [item.event_id for item, _ in batch if item.event_id not in by_id]
    if missing:
        raise IdempotencyMismatch(
            f"case {stream_id}: a retried batch only partly matches what is stored: "
            f"{len(by_id)} of its {len(batch)} event ids are stored, {missing[0]} is not"
        )
    rows = [by_id[item.event_id] for item, _ in batch]
    first = rows[0]
    for offset, ((item, payload_text), row) in enumerate(zip(batch, rows, strict=True)):
        if row.stream_id != stream_id:
            raise IdempotencyMismatch(
                f"case {stream_id}: event id {item.event_id} is already stored in stream {row.stream_id}"
            )
        if row.stream_version != first.stream_version + offset or row.position != first.position + offset:
            raise IdempotencyMismatch(
                f"case {stream_id}: event id {item.event_id} is already stored, but not in the "
                f"order of this batch (at version {row.stream_version}, position {row.position})"
            )
        if (
            row.event_type != item.event_type
            or row.schema_version != item.schema_version
            or row.actor_id != item.actor_id
            or row.actor_role != item.actor_role
            or row.legal_basis != item.legal_basis
            or row.payload_hash != payload_hash(payload_text)
        ):
            raise IdempotencyMismatch(
                f"case {stream_id}: event id {item.event_id} is already stored with other content "
                f"(at position {row.position}); two different events share one id"
            )
    positions = tuple(row.position for row in rows)
    return AppendResult(
        stream_id=stream_id,
        first_position=positions[0],
        last_position=positions[-1],
        stream_version=rows[-1].stream_version,
        positions=positions,
        duplicate=True,
    )


#: An encrypted field's envelope key as it appears in a payload's stored JSON text.
_ENVELOPE_KEY = json.dumps(ENVELOPE)


def _parse_payload(text: str) -> dict[str, Any]:
    """A stored payload's text as Python values. pydantic-core's parser (Rust) reads
    it in about half the time of ``json.loads``, to the same values. A text it refuses
    that ``json.loads`` reads (a lone surrogate escape such as ``"\\ud800"``, which no
    payload this store wrote holds: its UTF-8 could not be hashed) is read by
    ``json.loads``, as it always was."""
    try:
        return from_json(text)
    except ValueError:
        return json.loads(text)


def _stored_event(row: Row | tuple[Any, ...]) -> StoredEvent:
    (
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
        payload,
        digest,
        prev_hash,
        row_hash,
    ) = row
    return StoredEvent(
        position=position,
        stream_id=stream_id,
        stream_version=stream_version,
        event_id=event_id,
        event_type=event_type,
        schema_version=schema_version,
        occurred_at=parse_timestamp(occurred_at),
        recorded_at=parse_timestamp(recorded_at),
        actor_id=actor_id,
        actor_role=actor_role,
        legal_basis=legal_basis,
        payload=_parse_payload(payload),
        payload_hash=digest,
        prev_hash=prev_hash,
        hash=row_hash,
        may_be_encrypted=_ENVELOPE_KEY in payload,
    )


#: A ``StoredEvent`` of one row from ``EventStore.read_stream_rows``.
stored_event_from_row = _stored_event
