"""Measure 5: chain verification speed over the large log.

Baseline: the raw driver reading the same columns in the same batches and
hashing the same bytes (sha256 of the payload text and of the header), with
none of the chain's checks.
"""

from __future__ import annotations

import hashlib
import time

from bench.backends import Database
from bench.common import Result

TARGET = 100_000
BATCH = 10_000
_HEADER = "hash, prev_hash, position, stream_id, stream_version, event_id, event_type, schema_version, occurred_at, recorded_at, actor_id, actor_role, legal_basis, payload_hash, payload"


def _baseline(db: Database) -> tuple[int, float]:
    conn = db.raw()
    p = db.placeholder
    sql = f"SELECT {_HEADER} FROM events WHERE position > {p} ORDER BY position LIMIT {p}"
    sha = hashlib.sha256
    count = 0
    start = time.perf_counter()
    try:
        after = 0
        while rows := conn.execute(sql, (after, BATCH)).fetchall():
            for row in rows:
                sha(row[14].encode()).hexdigest()
                sha(repr(row[1:14]).encode()).hexdigest()
            count += len(rows)
            after = rows[-1][2]
        if db.kind == "postgresql":
            conn.commit()
    finally:
        conn.close()
    return count, time.perf_counter() - start


def run(db: Database, log_size: int) -> Result:
    store = db.store()
    try:
        start = time.perf_counter()
        report = store.verify(batch_size=BATCH)
        elapsed = time.perf_counter() - start
    finally:
        store.dispose()
    if not report.ok:
        raise RuntimeError(f"the benchmark log does not verify: {report}")
    count, base_elapsed = _baseline(db)
    figure = report.checked / elapsed
    baseline = count / base_elapsed
    return Result(
        name=f"5. verify chain @{log_size:,}, {db.kind}",
        figure=figure,
        unit="events/s",
        baseline=baseline,
        baseline_unit="events/s raw read + 2x sha256",
        ratio=figure / baseline,
        target=f">= {TARGET:,} events/s",
        met=figure >= TARGET,
        notes=f"{report.checked:,} events in {elapsed:.1f}s",
    )
