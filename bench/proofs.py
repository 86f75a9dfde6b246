"""Measure 8: the Merkle trees and their proofs (issue 20).

8a. Append with the Merkle update against today's append (the chain alone), one
    event per transaction, the two stores on databases of their own, taking
    turns in blocks of a case so a noisy neighbour slows both alike. The
    baseline is ``ChainOnlyStore``: the same store with the tree update left
    out (``_grow_tree`` returns None, so ``write`` sends the statements it sent
    before the trees); it still reads the frontier with the head.
8b. One inclusion proof at a large tree size, from a synthetic tree: the
    leaves are sha256 of their index, the complete-subtree roots of every leaf
    are computed and inserted as the append would write them (in the event's
    row), and ``events`` holds rows (with the right chain hash) only for the
    leaves that complete a subtree and those the proofs read. Each proof is checked against the tree's root. Baseline: a raw
    primary-key read of one row, same database.
8c. One 20-event case's export (with inclusion proofs of its events and reads)
    from the large log, and its size.
8d. ``verify_since`` a head 10,000 events back on the large log. Baseline:
    the full ``verify`` of the same log.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.backends import Database, postgres_database, sqlite_database
from bench.common import Result, Stopwatch, event_templates, fresh_case, median, percentile, unavailable

APPEND_TARGET = 0.9
PROOF_TARGET_MS = 5.0
EXPORT_TARGET_BYTES = 100_000
SINCE_TARGET_MS = 100.0
SINCE_BACK = 10_000


def _chain_only_store(db: Database):
    from eventlog import EventStore

    class ChainOnlyStore(EventStore):
        """Today's append, for the baseline: the chain without the Merkle update."""

        def _grow_tree(self, head_position, frontier, rows):
            return None

    store = ChainOnlyStore.from_url(db.url, connect_args=db.connect_args)
    store.create_schema()
    return store


def run_append(kind: str, events: int, progress=None) -> Result:
    from bench.common import postgres_available

    name = f"8a. append with Merkle update, {kind}"
    if kind == "postgresql" and (why := postgres_available()):
        return unavailable(name, why)
    templates = event_templates()
    with tempfile.TemporaryDirectory(prefix="bench-merkle-") as tmp:
        tmp_path = Path(tmp)
        with (
            sqlite_database(tmp_path / "merkle.db") if kind == "sqlite" else postgres_database("bench_merkle") as db,
            sqlite_database(tmp_path / "chain.db") if kind == "sqlite" else postgres_database("bench_chain") as base,
        ):
            merkle, chain = db.store(), _chain_only_store(base)
            merkle_time, chain_time = Stopwatch(), Stopwatch()
            task = progress.add_task(f"append with Merkle update ({kind})", total=events) if progress else None
            done = 0
            try:
                for index in itertools.count():
                    if done >= events:
                        break
                    case = fresh_case(templates[index % len(templates)])[: events - done]
                    twin = fresh_case(case)
                    order = ((merkle, merkle_time, case), (chain, chain_time, twin))
                    for store, watch, script in order if index % 2 else reversed(order):
                        with watch.running():
                            for version, event in enumerate(script):
                                store.append(f"bench-merkle-{index:07d}", version, [event])
                    done += len(case)
                    if progress:
                        progress.update(task, completed=done)
                pages = ""
                if kind == "sqlite":
                    frames = [_wal_frames_per_append(store, tmp_path / f"{label}.db", templates[0], label)
                              for store, label in ((merkle, "merkle"), (chain, "chain"))]  # fmt: skip
                    pages = f"; WAL frames per append {frames[0]:.2f} (chain only {frames[1]:.2f})"
                report = merkle.verify()
                if not report.ok:
                    raise RuntimeError(f"the Merkle store's log does not verify: {report}")
            finally:
                merkle.dispose()
                chain.dispose()
    figure, baseline = done / merkle_time.elapsed, done / chain_time.elapsed
    return Result(
        name=name, figure=figure, unit="events/s", baseline=baseline, baseline_unit="events/s chain only (today's append)",
        ratio=figure / baseline, target=f">= {APPEND_TARGET}x today's append", met=figure / baseline >= APPEND_TARGET,
        notes=f"{done} events, one per transaction, durable commits, turns per case{pages}",
    )  # fmt: skip


def _wal_frames_per_append(store, path: Path, template: list, label: str, appends: int = 200) -> float:
    """Pages an SQLite append writes (WAL frames per one-event commit), after the timed run:
    a figure the machine's noise does not touch. Checkpoints are held off meanwhile, so the
    WAL only grows."""
    held = store._append_connections.take()
    try:
        held.driver.execute("PRAGMA wal_autocheckpoint=0")
        held.driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # an empty WAL, which then only grows
        page_size = held.driver.execute("PRAGMA page_size").fetchone()[0]
    finally:
        store._append_connections.give_back(held)
    wal = Path(f"{path}-wal")
    before, done = wal.stat().st_size, 0
    for index in itertools.count():
        if done >= appends:
            break
        for version, event in enumerate(fresh_case(template)):
            store.append(f"bench-pages-{label}-{index:05d}", version, [event])
            done += 1
    return (wal.stat().st_size - before) / (page_size + 24) / done  # a frame: 24-byte header and a page


def _synthetic_tree(path: Path, leaves: int, samples: list[int], progress=None) -> bytes:
    """An SQLite log of ``leaves`` leaves whose tree is real but whose rows exist only where the tree or the proofs read them."""
    from eventlog.merkle import Frontier, row_leaf

    db = Database("sqlite", f"sqlite:///{path}", {}, sqlite_path=path)
    db.store().dispose()  # the tables
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    wanted: set[int] = set()
    for index in samples:
        wanted.update((index, index ^ 1))
    frontier = Frontier()
    sha = hashlib.sha256
    task = progress.add_task(f"synthetic tree of {leaves:,} leaves", total=leaves) if progress else None
    rows = []
    insert = (
        "INSERT INTO events (position, stream_id, stream_version, event_id, event_type, schema_version, occurred_at, "
        "recorded_at, actor_id, actor_role, payload, payload_hash, prev_hash, hash, merkle_nodes) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    conn.execute("BEGIN")
    for index in range(leaves):
        chain_hash = sha(index.to_bytes(8, "big")).hexdigest()
        completed = frontier.append(row_leaf(chain_hash))
        # A row where the tree keeps subtree roots (the append writes them into the
        # event's row) or where a proof reads a leaf.
        if completed or index in wanted:
            rows.append((index + 1, f"synthetic-{index}", 1, f"id-{index}", "synthetic", 1, "", "", "", "", "{}",
                         "0" * 64, "0" * 64, chain_hash, b"".join(completed) if completed else None))  # fmt: skip
        if len(rows) >= 50_000:
            conn.executemany(insert, rows)
            rows.clear()
            if progress:
                progress.update(task, completed=index + 1)
    conn.executemany(insert, rows)
    conn.execute("UPDATE log_head SET position = ?, hash = ?, frontier = ?", (leaves, chain_hash, frontier.to_bytes()))
    conn.execute("COMMIT")
    conn.close()
    return frontier.root()


def run_inclusion(leaves: int, samples: int, progress=None) -> Result:
    from sqlalchemy import create_engine, text

    from eventlog.merkle import row_leaf, verify_inclusion
    from eventlog.merkle_store import NodeReader
    from eventlog.schema import EVENTS_TREE

    rng = random.Random(20)
    chosen = [rng.randrange(leaves) for _ in range(samples)]
    with tempfile.TemporaryDirectory(prefix="bench-proofs-") as tmp:
        path = Path(tmp) / "tree.db"
        started = time.perf_counter()
        root = _synthetic_tree(path, leaves, chosen, progress)
        built_s = time.perf_counter() - started
        engine = create_engine(f"sqlite:///{path}")
        timings, raw = [], []
        lengths = []
        try:
            with engine.connect() as conn:
                reader = NodeReader(conn, EVENTS_TREE)
                for index in chosen:
                    t0 = time.perf_counter()
                    proof = reader.inclusion_proof(index, leaves)
                    timings.append(time.perf_counter() - t0)
                    (row_hash,) = conn.execute(
                        text("SELECT hash FROM events WHERE position = :p"), {"p": index + 1}
                    ).one()
                    verify_inclusion(index, leaves, row_leaf(row_hash), proof, root)
                    lengths.append(len(proof))
                    t0 = time.perf_counter()
                    conn.execute(text("SELECT hash FROM events WHERE position = :p"), {"p": index + 1}).one()
                    raw.append(time.perf_counter() - t0)
        finally:
            engine.dispose()
        size_mb = path.stat().st_size / 1e6
    p99 = percentile(timings, 99) * 1000
    return Result(
        name=f"8b. inclusion proof @{leaves:,} leaves, sqlite",
        figure=p99, unit="ms p99", baseline=percentile(raw, 99) * 1000, baseline_unit="ms p99 one raw row read",
        ratio=percentile(raw, 99) * 1000 / p99, target=f"<= {PROOF_TARGET_MS} ms", met=p99 <= PROOF_TARGET_MS,
        notes=(f"p50 {median(timings) * 1000:.2f} ms, {samples} random leaves, {max(lengths)} hashes "
               f"({max(lengths) * 32} bytes) per proof, every proof verified; synthetic tree built in {built_s:.0f}s, "
               f"{size_mb:.0f} MB"),
    )  # fmt: skip


def run_log_measures(log_path: Path, log_events: int, progress=None) -> list[Result]:
    """8c and 8d on a copy of the large SQLite log (the trees are grown over it when it is opened)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from eventlog.access_log import AccessLog
    from eventlog.export import export_log, verify_export
    from eventlog.tree_heads import sign_current, verify_since

    key = Ed25519PrivateKey.generate()
    templates = event_templates()
    with tempfile.TemporaryDirectory(prefix="bench-proofs-log-") as tmp:
        copy = Path(tmp) / "log.db"
        shutil.copyfile(log_path, copy)
        with sqlite_database(copy) as db:
            store = db.store()  # grows both trees over the copied rows
            try:
                case = fresh_case((templates[0] * 2)[:20])
                store.append("bench-export-case", 0, case)
                access = AccessLog(store.engines)
                for i in range(5):
                    access.record(actor_id=f"cw-{i}", actor_role="caseworker", stream_id="bench-export-case",
                                  what="events", purpose="bench")  # fmt: skip
                t0 = time.perf_counter()
                full = store.verify()
                full_s = time.perf_counter() - t0
                head, _ = sign_current(store, key)
                assert head is not None
                added = 0
                index = 0
                while added < SINCE_BACK:
                    more = fresh_case(templates[index % len(templates)])[: SINCE_BACK - added]
                    store.append(f"bench-since-{index:06d}", 0, more)
                    added += len(more)
                    index += 1
                t0 = time.perf_counter()
                checks = verify_since(store, head, [key.public_key()])
                since_ms = (time.perf_counter() - t0) * 1000
                assert all(c.ok for c in checks), checks
                out = Path(tmp) / "case.jsonl"
                sign_current(store, key, since=head)
                t0 = time.perf_counter()
                summary = export_log(store, out, key, case_id="bench-export-case")
                export_ms = (time.perf_counter() - t0) * 1000
                t0 = time.perf_counter()
                report = verify_export(out, [key.public_key()])
                check_ms = (time.perf_counter() - t0) * 1000
                assert report.ok, report
            finally:
                store.dispose()
    size = summary.bytes
    return [
        Result(
            name=f"8c. 20-event case export @{full.checked:,} events, sqlite", figure=size, unit="bytes",
            target=f"<= {EXPORT_TARGET_BYTES:,} bytes", met=size <= EXPORT_TARGET_BYTES,
            notes=(f"{summary.events} events and {summary.reads} reads with proofs; written in {export_ms:.0f} ms "
                   f"(verifying the {SINCE_BACK:,}+ rows since the last head included), checked offline in {check_ms:.0f} ms"),
        ),
        Result(
            name=f"8d. verify --since a head {SINCE_BACK:,} events back @{full.checked + SINCE_BACK:,}, sqlite",
            figure=since_ms, unit="ms", baseline=full_s * 1000, baseline_unit="ms full verify (before the 10,000)",
            ratio=full_s * 1000 / since_ms, target=f"<= {SINCE_TARGET_MS:.0f} ms", met=since_ms <= SINCE_TARGET_MS,
            notes=f"both logs; consistency proof of {checks[0].proof_length} hashes; {checks[0].checked} new events checked",
        ),
    ]  # fmt: skip
