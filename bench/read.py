"""Measure 4: read one case's stream from a large log, p50 and p99.

Baseline: the raw driver's SELECT of the same columns for the same stream,
fetched as tuples. Both are timed on the same randomly chosen streams, in turn.
"""

from __future__ import annotations

import random
import time

from bench.backends import COLUMN_LIST, Database
from bench.common import Result, percentile

TARGET_P99_MS = 2.0


def run(db: Database, streams: list[str], reads: int, log_size: int, progress=None) -> Result:
    rng = random.Random(9)
    picks = [rng.choice(streams) for _ in range(reads)]
    store = db.store()
    raw = db.raw()
    p = db.placeholder
    sql = f"SELECT {COLUMN_LIST} FROM events WHERE stream_id = {p} AND stream_version > {p} ORDER BY stream_version"
    store_ms, raw_ms = [], []
    fetched = 0
    task = progress.add_task(f"reading streams ({db.kind})", total=reads) if progress else None
    try:
        for warm in picks[:50]:  # fill the pool and the page cache the same way for both
            store.read_stream(warm)
            raw.execute(sql, (warm, 0)).fetchall()
        for i, stream in enumerate(picks):
            start = time.perf_counter()
            events = store.read_stream(stream)
            store_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            rows = raw.execute(sql, (stream, 0)).fetchall()
            if db.kind == "postgresql":
                raw.commit()
            raw_ms.append((time.perf_counter() - start) * 1000)
            assert len(rows) == len(events) > 0
            fetched += len(events)
            if progress and i % 100 == 0:
                progress.update(task, completed=i)
        if progress:
            progress.update(task, completed=reads)
    finally:
        store.dispose()
        raw.close()
    p50, p99 = percentile(store_ms, 50), percentile(store_ms, 99)
    b50, b99 = percentile(raw_ms, 50), percentile(raw_ms, 99)
    return Result(
        name=f"4. read one stream @{log_size:,}, {db.kind}",
        figure=p99,
        unit=f"ms p99 (p50 {p50:.3f})",
        baseline=b99,
        baseline_unit=f"ms p99 raw SELECT (p50 {b50:.3f})",
        ratio=b99 / p99,
        target=f"p99 <= {TARGET_P99_MS:g} ms",
        met=p99 <= TARGET_P99_MS,
        notes=f"{reads} reads of random streams ({fetched / reads:.1f} events each on average)",
        extra={"p50_ms": p50, "p99_ms": p99, "baseline_p50_ms": b50, "baseline_p99_ms": b99},
    )
