"""The access log: every read of a case's data, recorded before the data is shown.

One row per read: who (person id and role), when, which case (or NULL for a
read across the whole log), what (which view or fields) and why (the purpose
the reader gave). The table is append-only in the database (triggers refuse
UPDATE and DELETE) and hash-chained like the events:

    hash = sha256 of the compact JSON array
           [prev_hash, position, recorded_at, actor_id, actor_role, stream_id, what, purpose]

(``stream_id`` as ``null`` for a log-wide read), the first ``prev_hash`` being
64 zeros. Its head (size and last hash) is its row in ``merkle_frontier``,
with its Merkle tree (RFC 9162 hashing, ``eventlog.merkle``), moved in the
same transaction as the rows: cutting reads off the end, or a rewrite, no
longer passes unnoticed (``verify`` compares the rows with the head, signed
tree heads compare the tree with what was published). A read is recorded first and shown after: if recording fails, the
reader sees nothing. Reading the access log is itself recorded.

Group commit: concurrent readers in one process share write transactions.
Each ``record`` call queues its row and waits; one of the waiting callers
(the leader) writes every queued row in one transaction (numbering and
chaining them in queue order) and wakes the others once it has committed.
So a row costs one transaction (and one fsync) only when nobody else is
reading, and ``record`` still returns only after its own row is durable.

The leader takes the queue only once it has the writer's turn (``_lead``), so
the reads queued while another thread or process wrote all go in the next
commit. A caller in an event loop (``record_from_loop``) waits without a thread
of its own: its reads join the same queue, and when nobody is writing, a writer
thread starts and writes until the queue is empty, then wakes the waiting
requests with one call into each loop. A thread per waiting request (twenty
requests on one commit, twenty threads woken to hand the result back) cost more
than the commit.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Engine,
    Table,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ColumnClause

try:
    import fcntl
except ImportError:  # Windows has none: there processes take turns in SQLite's busy handler
    fcntl = None  # type: ignore[assignment]

from eventlog.compiled import DriverStatement
from eventlog.engines import Engines, as_sqlalchemy_error
from eventlog.hashing import GENESIS_HASH, format_timestamp, parse_timestamp
from eventlog.merkle import Frontier
from eventlog.merkle_store import TreeMissing, TreeWalk, grow, read_state
from eventlog.records import MAX_ACTOR_ID, MAX_ACTOR_ROLE, MAX_STREAM_ID, check_text
from eventlog.schema import (
    ACCESS_TREE,
    MAX_ACCESS_PURPOSE,
    MAX_ACCESS_WHAT,
    access_log,
    access_log_cases,
    merkle_frontier,
    merkle_nodes,
)

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class AccessRecord:
    position: int
    recorded_at: datetime
    actor_id: str
    actor_role: str
    stream_id: str | None
    what: str
    purpose: str
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class AccessVerifyReport:
    ok: bool
    checked: int
    first_bad_position: int | None = None
    detail: str = ""
    #: The kind of fault (the event log's names: gap, broken_chain, changed_header,
    #: head_mismatch, tree_mismatch, tree_head_mismatch).
    fault: str | None = None
    #: The Merkle root (hex) over the rows walked, when the walk got to the end.
    tree_root: str | None = None
    #: The chain hash of the last read walked.
    head_hash: str = GENESIS_HASH

    def __str__(self) -> str:
        if self.ok:
            return f"access log OK: {self.checked} reads verified, Merkle root {self.tree_root}"
        return f"access log BROKEN: {self.fault} at position {self.first_bad_position}: {self.detail}"


def access_hash(
    prev_hash: str,
    position: int,
    recorded_at: str,
    actor_id: str,
    actor_role: str,
    stream_id: str | None,
    what: str,
    purpose: str,
) -> str:
    encoded = _ENCODER.encode([prev_hash, position, recorded_at, actor_id, actor_role, stream_id, what, purpose])
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


#: How many cases one list view may name (a page of the list is at most 200).
MAX_SHOWN = 1000
#: Starts the ``what`` of a list view: ``shown#<view>:<digest of the cases shown>``.
SHOWN_PREFIX = "shown#"
#: The reads of the whole log that are no list view: exactly the predicate of the partial
#: index ``ix_access_log_whole_log_reads`` (so both databases answer from that index).
#: How many of a case's reads a person sees at once (the API's default page, the pages' tab): the newest.
READS_PER_PAGE = 100

_WHOLE_LOG_READS = "stream_id IS NULL AND what NOT LIKE 'shown#%'"


def shown_digest(case_ids: list[str] | tuple[str, ...]) -> str:
    """sha256 over the shown case ids, sorted and each once (the compact JSON array):
    part of the hashed ``what``, so a dropped, added or changed join row is caught."""
    return hashlib.sha256(_ENCODER.encode(sorted(set(case_ids))).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Read:
    """One read to record: who, in which role, which case (None: a list or the whole log),
    what and why; ``shown``: for a list view, the cases it showed."""

    actor_id: str
    actor_role: str
    stream_id: str | None
    what: str
    purpose: str
    shown: list[str] | tuple[str, ...] | None = None


def kept_as_page(reads: list[Read]) -> list[Read]:
    """The rows a page's reads are kept as. The cases a page read the same way (one reader,
    role, purpose and ``what``) are one row naming them, as a list view names the cases it
    showed, so each case's access log still holds its read and the row's hash covers which
    cases they were; a list view whose every case the page also read is left out, as the
    reads of those cases say more than the list did. A page with one case keeps its plain row.
    The citizen's page of three cases is then one row, not four (a list and three reads)."""
    cases_read: dict[tuple[str, str, str, str], list[str]] = {}
    by_reader: dict[tuple[str, str, str], set[str]] = {}
    for read in reads:
        if read.stream_id is not None and read.shown is None:
            reader = (read.actor_id, read.actor_role, read.purpose)
            cases_read.setdefault((*reader, read.what), []).append(read.stream_id)
            by_reader.setdefault(reader, set()).add(read.stream_id)
    kept: list[Read] = []
    named: set[tuple[str, str, str, str]] = set()
    for read in reads:
        reader = (read.actor_id, read.actor_role, read.purpose)
        if read.shown is not None:
            if not (read.stream_id is None and read.shown and set(read.shown) <= by_reader.get(reader, set())):
                kept.append(read)
            continue
        if read.stream_id is None:
            kept.append(read)
            continue
        key = (*reader, read.what)
        case_ids = list(dict.fromkeys(cases_read[key]))
        if len(case_ids) == 1:
            kept.append(read)
        elif key not in named:
            named.add(key)
            kept.append(Read(read.actor_id, read.actor_role, None, read.what, read.purpose, shown=case_ids))
    return kept


def read_kind(what: str) -> str:
    """What kind of read a row's ``what`` records: its action (``read_case``, ``list_cases``,
    ``refused:read_case``...), without the cases' digest of a row naming several cases
    (``shown#<what>:<digest>``) or the detail after a space."""
    if what.startswith(SHOWN_PREFIX):
        what = what[len(SHOWN_PREFIX) :].rsplit(":", 1)[0]
    return what.split(" ", 1)[0]


@dataclass(slots=True)
class _Pending:
    """One read waiting to be recorded: its fields, then its record or the error that lost it."""

    actor_id: str
    actor_role: str
    stream_id: str | None
    what: str
    purpose: str
    shown: tuple[str, ...] = ()
    record: AccessRecord | None = None
    error: BaseException | None = None
    #: For a read recorded from an event loop: the loop and the future its request awaits.
    loop: asyncio.AbstractEventLoop | None = None
    written: asyncio.Future[None] | None = None

    @property
    def settled(self) -> bool:
        return self.record is not None or self.error is not None


@dataclass(slots=True)
class _GroupCommit:
    """The rows waiting for a write transaction on one engine, in this process."""

    #: Where batches on this engine's database take turns with other engines' and processes'
    #: (found by the engine's URL once, not on every batch: rendering it was a tenth of a batch).
    turn: _WriterTurn
    changed: threading.Condition = field(default_factory=threading.Condition)
    queue: list[_Pending] = field(default_factory=list)
    writing: bool = False
    #: The queue is handed to the writer thread (``writing`` stays set until it is empty).
    handed: bool = False
    #: The writer thread, while it lives: it waits ``WRITER_IDLE`` seconds for the next hand-off.
    writer: threading.Thread | None = None


#: How long the writer thread waits for more reads before it ends: under load it lives on
#: (starting a thread for every batch held the event loop until the thread ran), and an
#: idle process, or a test's many short-lived logs, keeps no thread.
WRITER_IDLE = 2.0


# Batches are per engine (two engines on one URL may differ in connect_args,
# e.g. a PostgreSQL search_path), so a batch is always written where it was queued.
_GROUPS: weakref.WeakKeyDictionary[Engine, _GroupCommit] = weakref.WeakKeyDictionary()
_WRITER_TURNS: dict[str, _WriterTurn] = {}
_GUARD = threading.Lock()


def _group(engine: Engine) -> _GroupCommit:
    turn = _writer_turn(engine)
    with _GUARD:
        group = _GROUPS.get(engine)
        if group is None:
            group = _GROUPS[engine] = _GroupCommit(turn)
        return group


@dataclass(frozen=True, slots=True)
class _WriteStatements:
    """The group commit's statements, compiled once for one engine's dialect."""

    #: The access tree's head row, locked (``FOR UPDATE``): what serialises writers of the log
    #: across processes (a second waits for the first's commit, then reads the head it left).
    head: DriverStatement
    #: What a batch writes once it is numbered and chained: its rows, the tree's new nodes,
    #: the cases its list views showed, and the moved head.
    append: _AppendEach | _AppendInOne


class _AppendEach:
    """A batch's writes on SQLite: a statement per table (sqlite3 loops over the rows in C,
    and a statement costs no round trip). Every shown case of a batch goes in one statement:
    a row per statement (executemany) made a list view of 50 cases 50 steps of the driver,
    each handing the interpreter lock over."""

    def __init__(self, dialect: Dialect) -> None:
        self._insert = DriverStatement(insert(access_log), dialect)
        self._insert_nodes = DriverStatement(insert(merkle_nodes), dialect)
        self._insert_shown = DriverStatement(_insert_shown(), dialect)
        self._move_head = DriverStatement(
            update(merkle_frontier)
            .where(merkle_frontier.c.tree == ACCESS_TREE)
            .values(size=bindparam("new_size"), chain_hash=bindparam("new_hash"), frontier=bindparam("new_frontier")),
            dialect,
        )

    def write(self, cursor: Any, rows: list[dict[str, Any]], nodes: list[dict[str, Any]],
              shown: list[tuple[int, str]], head: dict[str, Any]) -> None:  # fmt: skip
        self._insert.executemany(cursor, rows)
        self._move_head.execute(cursor, head)
        if nodes:
            self._insert_nodes.executemany(cursor, nodes)
        if shown:
            self._insert_shown.execute(cursor, _shown_pairs(shown))


class _AppendInOne:
    """A batch's writes on PostgreSQL: one statement, the head's update with the three inserts
    as its CTEs, each table's rows given as one JSON array (``_from_json``). A statement there
    is a round trip and a pass through the driver's Python: a ``COPY`` per table (two round
    trips each), the update and the shown cases made the writer a fifth of a loaded page's
    time, three times SQLite's share; an array per column cost the driver's Python a loop per
    value. The JSON is encoded in C and read by the server into the table's own row type."""

    def __init__(self, dialect: Dialect) -> None:
        self._statement = DriverStatement(
            update(merkle_frontier)
            .where(merkle_frontier.c.tree == ACCESS_TREE)
            .values(size=bindparam("new_size"), chain_hash=bindparam("new_hash"), frontier=bindparam("new_frontier"))
            .add_cte(_from_json(access_log, "rows", dialect).cte("rows"))
            .add_cte(_from_json(merkle_nodes, "nodes", dialect).cte("nodes"))
            .add_cte(_from_json(access_log_cases, "shown", dialect).cte("shown")),
            dialect,
        )

    def write(self, cursor: Any, rows: list[dict[str, Any]], nodes: list[dict[str, Any]],
              shown: list[tuple[int, str]], head: dict[str, Any]) -> None:  # fmt: skip
        encode = _ENCODER.encode
        values = {
            "rows": encode(rows),
            # bytea's text form: what the server reads for a bytea field of the row type
            "nodes": encode(
                [{"tree": n["tree"], "leaf": n["leaf"], "hashes": "\\x" + n["hashes"].hex()} for n in nodes]
            ),
            "shown": encode([{"access_position": position, "stream_id": case_id} for position, case_id in shown]),
        }
        self._statement.execute(cursor, {**values, **head})


def _from_json(table: Table, parameter: str, dialect: Dialect) -> Insert:
    """``INSERT INTO table`` of the rows in the parameter, a JSON array of objects keyed by
    column name, each read as the table's row type (``json_populate_recordset``): each value
    through its column type's input, so a string longer than its column is refused, not cut."""
    row_type: ColumnClause[Any] = literal_column(f"NULL::{dialect.identifier_preparer.format_table(table)}")
    columns = [c.name for c in table.columns]
    records = func.json_populate_recordset(row_type, cast(bindparam(parameter), JSON)).table_valued(*columns)
    return insert(table).from_select(columns, select(*records.c))


_STATEMENTS: weakref.WeakKeyDictionary[Engine, _WriteStatements] = weakref.WeakKeyDictionary()


def _statements(engine: Engine) -> _WriteStatements:
    found = _STATEMENTS.get(engine)
    if found is None:
        dialect = engine.dialect
        found = _STATEMENTS[engine] = _WriteStatements(
            head=DriverStatement(
                select(merkle_frontier.c.size, merkle_frontier.c.chain_hash, merkle_frontier.c.frontier)
                .where(merkle_frontier.c.tree == ACCESS_TREE)
                .with_for_update(),
                dialect,
            ),
            append=_AppendInOne(dialect) if dialect.name == "postgresql" else _AppendEach(dialect),
        )
    return found


def _insert_shown() -> Insert:
    """SQLite's ``INSERT INTO access_log_cases`` of many (position, case) pairs from one
    parameter, a JSON array of pairs (``_shown_pairs``) that ``json_each`` walks."""
    pair: ColumnClause[Any] = literal_column("value")
    pairs = select(func.json_extract(pair, "$[0]"), func.json_extract(pair, "$[1]")).select_from(
        func.json_each(bindparam("pairs"))
    )
    return insert(access_log_cases).from_select(["access_position", "stream_id"], pairs)


def _shown_pairs(shown: list[tuple[int, str]]) -> dict[str, Any]:
    return {"pairs": _ENCODER.encode(shown)}


class _WriterTurn:
    """Batches on one database take turns here rather than in SQLite's busy handler,
    whose sleeping retries (1, 2, 5, 10, ... ms) give a long tail: threads of this
    process on a lock, and, for an SQLite file, processes (several API workers) on
    an ``flock`` of a file beside it, which wakes the next writer as soon as the
    lock is released. The write transaction still takes SQLite's own lock, so a
    writer that does not use this turn (an append) is only slower, never unsafe."""

    def __init__(self, lock_file: str | None) -> None:
        self._threads = threading.Lock()
        self._lock_file = lock_file
        self._fd: int | None = None

    def __enter__(self) -> None:
        self._threads.acquire()
        if self._lock_file is None or fcntl is None:
            return
        try:
            if self._fd is None:
                self._fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


def _writer_turn(engine: Engine) -> _WriterTurn:
    key = engine.url.render_as_string(hide_password=True)
    with _GUARD:
        turn = _WRITER_TURNS.get(key)
        if turn is None:
            database = engine.url.database if engine.dialect.name == "sqlite" else None
            plain_file = database and not database.startswith("file:")  # a URI filename: no path to put a lock beside
            turn = _WRITER_TURNS[key] = _WriterTurn(f"{database}.access-lock" if plain_file else None)
        return turn


def _wake_loops(batch: list[_Pending]) -> None:
    """Wakes the requests of ``batch`` that wait in an event loop: one call into each loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for p in batch:
        if p.loop is not None and p.written is not None:
            futures = by_loop.setdefault(p.loop, [])
            if not futures or futures[-1] is not p.written:
                futures.append(p.written)
    for loop, futures in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, futures)
        except RuntimeError:  # that loop has closed: nobody waits there any more
            pass


def _settle(futures: list[asyncio.Future[None]]) -> None:
    for written in futures:
        if not written.done():
            written.set_result(None)


class AccessLog:
    """Records and lists reads; shares the event log's database."""

    def __init__(self, engines: Engines) -> None:
        self._engines = engines
        self._group = _group(engines.write)

    def record(
        self,
        *,
        actor_id: str,
        actor_role: str,
        stream_id: str | None,
        what: str,
        purpose: str,
        shown: list[str] | tuple[str, ...] | None = None,
    ) -> AccessRecord:
        """Record one read, before the data is shown. Raises ValueError naming a missing field.

        ``shown``: for a list view, the cases it showed, in order. They are kept
        beside the row (one indexed row per case) and their digest is part of
        ``what``, so each case's access log shows that it appeared in the list."""
        (record,) = self.record_all(
            [
                Read(
                    actor_id=actor_id,
                    actor_role=actor_role,
                    stream_id=stream_id,
                    what=what,
                    purpose=purpose,
                    shown=shown,
                )
            ]
        )
        return record

    def record_all(self, reads: list[Read]) -> list[AccessRecord]:
        """Record several reads of one request together, before any of their data is shown:
        checked first (a ValueError names the field, and then none is recorded), written in
        one transaction, in order. A page of three cases then waits for one commit, not five."""
        return self._record_checked([self.check(read) for read in reads])

    async def record_from_loop(self, reads: list[Read]) -> list[AccessRecord]:
        """``record_all`` for a caller in an event loop, which waits for the commit without a
        thread of its own: checked at once (a ValueError names the field, and none is
        recorded), written in the group's next batch; returns once that batch is committed,
        and raises what lost it."""
        pendings = [self.check(read) for read in reads]
        if not pendings:
            return []
        loop = asyncio.get_running_loop()
        written = loop.create_future()
        for p in pendings:
            p.loop, p.written = loop, written
        group = self._group
        with group.changed:
            group.queue.extend(pendings)
            if not group.writing:  # nobody writes now: the writer thread writes until the queue is empty
                group.writing = True
                self._hand_off(group)
        await asyncio.shield(written)  # a cancelled request's reads are still recorded, never half
        for p in pendings:
            if p.error is not None:
                raise p.error
        return [p.record for p in pendings if p.record is not None]

    def _record_checked(self, pendings: list[_Pending]) -> list[AccessRecord]:
        if not pendings:
            return []
        group = self._group
        with group.changed:
            group.queue.extend(pendings)
            # While another caller writes a batch, ours waits for the next one
            # (or is already in it, if that caller took the queue after we joined).
            while group.writing and not all(p.settled for p in pendings):
                group.changed.wait()
            lead = not all(p.settled for p in pendings)
            if lead:
                group.writing = True
        if lead:
            self._lead(group, False)
        for p in pendings:
            if p.error is not None:
                raise p.error  # not recorded, so not to be shown
        return [p.record for p in pendings if p.record is not None]

    def _lead(self, group: _GroupCommit, until_empty: bool) -> None:
        """Writes the group's queue (``group.writing`` is set for this caller), batch after batch
        while ``until_empty``; a caller leading for its own reads writes one batch and hands what
        was queued meanwhile to a writer thread, so no caller writes for others indefinitely.

        The queue is taken once this process has the writer's turn, not before: the reads
        queued while another process or thread wrote join this batch, and a commit (an
        fsync) serves as many reads as are waiting."""
        while True:
            batch: list[_Pending] = []
            try:
                with group.turn:
                    with group.changed:
                        batch, group.queue = group.queue, []
                    if batch:
                        self._write(batch)
            except BaseException as error:  # noqa: BLE001 - every read taken holds it
                if not batch:  # the turn itself failed (its lock file): what is queued is lost with it
                    with group.changed:
                        batch, group.queue = group.queue, []
                for p in batch:
                    if not p.settled:
                        p.error = error
            _wake_loops(batch)
            with group.changed:
                group.changed.notify_all()
                if not group.queue:
                    group.writing = False
                    return
                if not until_empty:
                    self._hand_off(group)
                    return

    def _hand_off(self, group: _GroupCommit) -> None:
        """Gives the queue to the writer thread, started if none waits (``group.changed`` is
        held and ``group.writing`` set: one hand-off at a time)."""
        group.handed = True
        if group.writer is None:
            group.writer = threading.Thread(target=self._write_handed, args=(group,), name="access-log-writer",
                                            daemon=True)  # fmt: skip
            group.writer.start()
        else:
            group.changed.notify_all()

    def _write_handed(self, group: _GroupCommit) -> None:
        """The writer thread: writes each queue handed to it until empty, and ends after
        ``WRITER_IDLE`` seconds without one."""
        try:
            while True:
                with group.changed:
                    idle_until = time.monotonic() + WRITER_IDLE
                    while not group.handed:
                        left = idle_until - time.monotonic()
                        if left <= 0:
                            group.writer = None  # under the lock: a hand-off after this starts a thread
                            return
                        group.changed.wait(left)
                    group.handed = False
                self._lead(group, True)
        except BaseException:
            with group.changed:
                group.writer = None
            raise

    @staticmethod
    def check(read: Read) -> _Pending:
        """``read`` checked (a ValueError names the field out of bounds), ready to record."""
        actor_id, actor_role, stream_id, what, purpose, shown = (
            read.actor_id, read.actor_role, read.stream_id, read.what, read.purpose, read.shown
        )  # fmt: skip
        listed = shown is not None
        shown = tuple(shown or ())
        if len(shown) > MAX_SHOWN:
            raise ValueError(f"a list view names at most {MAX_SHOWN} cases")
        for case_id in shown:
            check_text("case id shown", case_id, MAX_STREAM_ID)
        if listed:
            what = f"{SHOWN_PREFIX}{what}:{shown_digest(shown)}"
        check_text("actor id (who reads)", actor_id, MAX_ACTOR_ID)
        check_text("actor role", actor_role, MAX_ACTOR_ROLE)
        if stream_id is not None:
            check_text("case id", stream_id, MAX_STREAM_ID)
        check_text("what is read", what, MAX_ACCESS_WHAT)
        if not isinstance(purpose, str) or not purpose.strip():
            raise ValueError("purpose is required: say why you read this case (e.g. 'klagesag 2024-113')")
        check_text("purpose", purpose.strip(), MAX_ACCESS_PURPOSE)
        return _Pending(actor_id, actor_role, stream_id, what, purpose.strip(), shown)

    def _write(self, batch: list[_Pending]) -> None:
        """Number, chain and insert ``batch`` in one transaction, then settle every entry (also on
        failure). The caller has the writer's turn (``_lead``).

        On the driver's cursor with statements compiled once (see ``eventlog.compiled``):
        SQLAlchemy's per-call machinery cost more than the transaction's database work."""
        engine = self._engines.write
        statements = _statements(engine)
        try:
            rows, records = [], []
            connection = engine.raw_connection()
            try:
                cursor = connection.cursor()
                if self._engines.begin_write:  # SQLite: take the write lock up front
                    cursor.execute(self._engines.begin_write)
                head = statements.head.execute(cursor).fetchone()
                if head is None:
                    raise TreeMissing("the access log has no head (merkle_frontier row); call create_schema() first")
                position, prev_hash = head[0], head[1]
                frontier = Frontier.from_bytes(head[0], bytes(head[2]))
                for p in batch:
                    position += 1
                    recorded_at = format_timestamp(datetime.now(UTC))
                    row_hash = access_hash(prev_hash, position, recorded_at, p.actor_id, p.actor_role, p.stream_id,
                                           p.what, p.purpose)  # fmt: skip
                    rows.append({"position": position, "recorded_at": recorded_at, "actor_id": p.actor_id,
                                 "actor_role": p.actor_role, "stream_id": p.stream_id, "what": p.what,
                                 "purpose": p.purpose, "prev_hash": prev_hash, "hash": row_hash})  # fmt: skip
                    records.append(AccessRecord(position, parse_timestamp(recorded_at), p.actor_id, p.actor_role,
                                                p.stream_id, p.what, p.purpose, prev_hash, row_hash))  # fmt: skip
                    prev_hash = row_hash
                nodes = grow(frontier, ACCESS_TREE, (row["hash"] for row in rows))
                shown = [(row["position"], case_id)
                         for row, p in zip(rows, batch, strict=True) for case_id in dict.fromkeys(p.shown)]  # fmt: skip
                statements.append.write(cursor, rows, nodes, shown, {"new_size": frontier.size, "new_hash": prev_hash,
                                                                     "new_frontier": frontier.to_bytes()})  # fmt: skip
                connection.commit()
            except BaseException:
                try:
                    connection.rollback()
                except Exception:  # noqa: BLE001 - the write's own error is the one to raise
                    connection.invalidate()
                raise
            finally:
                connection.close()
        except BaseException as error:  # noqa: BLE001 - every caller in the batch raises it
            # The driver's own error as SQLAlchemy's (a lost database: a 503 for each caller, not a 500)
            raised = as_sqlalchemy_error(engine, error) if isinstance(error, Exception) else error
            if raised is not error:
                raised.__cause__ = error
            for p in batch:
                p.error = raised
            return
        # Only after the commit: now these reads may be shown.
        for p, record in zip(batch, records, strict=True):
            p.record = record

    def for_case(
        self, stream_id: str, *, include_log_wide: bool = True, limit: int | None = None, before: int | None = None
    ) -> list[AccessRecord]:
        """Who has read this case, oldest first: reads of the case itself, the list
        views that showed it, and (``include_log_wide``) reads of the whole log
        other than list views (an export of everything includes the case).

        ``limit``: only the newest ``limit`` reads (before position ``before``, when
        given), still oldest first: the page a person opens. A case read every day
        for years has thousands of reads; a page costs the same whatever the count,
        because each part is an indexed range read newest first that stops at
        ``limit`` rows. Without ``limit`` (an export, the auditor's CLI) every read."""
        if limit is not None and limit < 1:
            raise ValueError("limit must be at least 1")
        c = access_log.c
        newest_first = limit is not None

        def page(query, position):
            if before is not None:
                query = query.where(position < before)
            return query.order_by(position.desc()).limit(limit) if newest_first else query

        with self._engines.read.connect() as conn:
            own = conn.execute(page(select(*c).where(c.stream_id == stream_id), c.position)).all()
            shown = access_log_cases.c
            listed_positions = page(select(shown.access_position).where(shown.stream_id == stream_id),
                                    shown.access_position).subquery()  # fmt: skip
            listed = conn.execute(
                select(*c).join(listed_positions, c.position == listed_positions.c.access_position)
            ).all()
            wide: list = []
            if include_log_wide:  # reads of the whole log: NULL case, and not a list view (a partial index)
                if conn.dialect.name == "sqlite":
                    # SQLite's planner would take the plain stream_id index, where every list view is NULL too
                    names = ", ".join(col.name for col in access_log.c)
                    sql = f"SELECT {names} FROM access_log INDEXED BY ix_access_log_whole_log_reads WHERE {_WHOLE_LOG_READS}"
                    if before is not None:
                        sql += f" AND position < {int(before)}"
                    if limit is not None:  # newest first
                        sql += f" ORDER BY position DESC LIMIT {int(limit)}"
                    wide.extend(conn.exec_driver_sql(sql))
                else:
                    wide.extend(conn.execute(page(select(*c).where(text(_WHOLE_LOG_READS)), c.position)))
        rows = {row.position: row for row in (*own, *listed, *wide)}
        positions = sorted(rows)
        if limit is not None:  # newest first
            positions = positions[-limit:]
        return [_record(rows[position]) for position in positions]

    def shown_in(self, position: int) -> list[str]:
        """The cases the list view at ``position`` showed."""
        with self._engines.read.connect() as conn:
            return list(conn.execute(select(access_log_cases.c.stream_id)
                                     .where(access_log_cases.c.access_position == position)).scalars())  # fmt: skip

    def all(self) -> Iterator[AccessRecord]:
        with self._engines.read.connect() as conn:
            for row in conn.execute(select(*access_log.c).order_by(access_log.c.position)):
                yield _record(row)

    def _verify_shown(self) -> tuple[int, str] | None:
        """Every list view's shown cases still match the digest its hashed ``what`` carries."""
        with self._engines.read.connect() as conn:
            conn = conn.execution_options(**self._engines.snapshot_options)
            with conn.begin():
                lists = conn.execute(select(access_log.c.position, access_log.c.what)
                                     .where(access_log.c.stream_id.is_(None), access_log.c.what.like(SHOWN_PREFIX + "%"))
                                     .order_by(access_log.c.position)).all()  # fmt: skip
                shown: dict[int, list[str]] = {}
                for position, case_id in conn.execute(select(access_log_cases.c.access_position,
                                                             access_log_cases.c.stream_id)):  # fmt: skip
                    shown.setdefault(position, []).append(case_id)
        listed = {position for position, _ in lists}
        for position, what in lists:
            if what.rsplit(":", 1)[-1] != shown_digest(shown.get(position, [])):
                return position, "the cases this list view showed do not match its recorded digest"
        stray = sorted(set(shown) - listed)
        if stray:
            return stray[0], "cases recorded as shown by a read that is no list view"
        return None

    def verify(self, roots: dict[int, bytes] | None = None, batch_size: int = 10_000) -> AccessVerifyReport:
        """Walk the access log: no gap, no changed row, every link intact, the rows ending
        where its head says, its stored Merkle tree matching the rows, and (``roots``,
        from signed tree heads: size -> root) the tree still holding what was signed."""
        expected, prev, checked = 1, GENESIS_HASH, 0
        tree = TreeWalk(ACCESS_TREE, roots)

        def fail(fault: str, position: int, detail: str) -> AccessVerifyReport:
            return AccessVerifyReport(False, checked, position, detail, fault)

        with self._engines.read.connect() as conn:
            conn = conn.execution_options(**self._engines.snapshot_options)
            with conn.begin():
                after = 0
                while True:
                    rows = conn.execute(
                        select(*access_log.c)
                        .where(access_log.c.position > after)
                        .order_by(access_log.c.position)
                        .limit(batch_size)
                    ).all()
                    if not rows:
                        break
                    fault, expected, prev, passed = check_access_rows(rows, expected, prev)
                    checked += passed
                    if fault is not None:
                        return fail(*fault)
                    fault = tree.feed(conn, [row[-1] for row in rows])
                    if fault is not None:
                        return fail(*fault)
                    after = rows[-1][0]
                try:
                    state = read_state(conn, ACCESS_TREE)
                except TreeMissing as missing:
                    return fail("head_mismatch", checked + 1, str(missing))
        fault = tree.finish(state, prev)
        if fault is not None:
            return fail(*fault)
        shown_fault = self._verify_shown()
        if shown_fault is not None:
            return fail("changed_shown", *shown_fault)
        return AccessVerifyReport(True, checked, tree_root=tree.root().hex(), head_hash=prev)


def check_access_rows(rows, expected: int, prev: str) -> tuple[tuple[str, int, str] | None, int, str, int]:
    """Check access-log rows (all columns, in position order) that should start at position
    ``expected`` and link to ``prev``: the fault (kind, position, detail) or None, the next
    expected position, the last good hash, and how many rows passed."""
    checked = 0
    for row in rows:
        (position, recorded_at, actor_id, actor_role, stream_id, what, purpose, prev_hash, row_hash) = row
        if position != expected:
            return (
                ("gap", expected, f"position {expected} is missing; the next read is at {position}"),
                expected,
                prev,
                checked,
            )
        if prev_hash != prev:
            return ("broken_chain", position, "prev_hash does not link to the read before"), expected, prev, checked
        if access_hash(prev_hash, position, recorded_at, actor_id, actor_role, stream_id, what, purpose) != row_hash:
            return ("changed_header", position, "a field does not match the stored hash"), expected, prev, checked
        expected, prev, checked = expected + 1, row_hash, checked + 1
    return None, expected, prev, checked


def _record(row) -> AccessRecord:
    (position, recorded_at, actor_id, actor_role, stream_id, what, purpose, prev_hash, row_hash) = row
    return AccessRecord(
        position, parse_timestamp(recorded_at), actor_id, actor_role, stream_id, what, purpose, prev_hash, row_hash
    )
