"""A worker in a process of its own, so its memory can be measured alone.

``python -m bench.worker_proc --kind case|bare ...``: prints ``READY`` once
polling, then answers ``rss`` on stdin with its resident set size in KiB
(after a garbage collection), followed by the C allocator's in-use and free
KiB (-1 where not known), and stops on ``quit`` or end of input.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from concurrent.futures import ThreadPoolExecutor

from bench.common import rss_kb
from bench.malloc_stats import malloc_stats


async def main(args: argparse.Namespace) -> None:
    from temporalio.worker import Worker

    from app.settings import Settings
    from app.temporal import connect

    settings = Settings(
        task_queue=args.task_queue,
        database_url=args.database_url,
        temporal_namespace=args.namespace,
        temporal_address=args.address,
        data_dir=args.data_dir,
    )
    client = await connect(settings, args.address)
    store = None
    if args.kind == "case":
        from activities.eventlog import open_event_store
        from worker import build_worker

        store = open_event_store(settings.database_url, upgrade=not settings.production)
        worker = build_worker(client, settings, store, max_cached_workflows=args.max_cached)
    else:
        from bench.bare import BareWorkflow
        from worker import WORKFLOW_RUNNER

        worker = Worker(
            client,
            task_queue=args.task_queue,
            workflows=[BareWorkflow],
            activity_executor=ThreadPoolExecutor(1),
            max_cached_workflows=args.max_cached,
            workflow_runner=WORKFLOW_RUNNER,
        )
    loop = asyncio.get_running_loop()
    async with worker:
        print("READY", flush=True)
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            command = line.strip()
            if command == "rss":
                gc.collect()
                heap = malloc_stats()
                in_use, free = (heap.in_use_kb, heap.free_kb) if heap else (-1, -1)
                print(f"RSS {rss_kb()} {in_use} {free}", flush=True)
            elif command in ("quit", ""):
                break
    if store is not None:
        store.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=["case", "bare"], required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", required=True, help="the same data folder as the client's (keys)")
    parser.add_argument("--max-cached", type=int, default=1000)
    asyncio.run(main(parser.parse_args()))
