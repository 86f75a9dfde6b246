"""The read threads (``app.api.read_threads``): a read runs in one of a few threads, in the
caller's context, and its result or exception comes back to the caller."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time

import pytest

from app.api.read_threads import ReadThreads

REQUEST: contextvars.ContextVar[str | None] = contextvars.ContextVar("REQUEST", default=None)


def test_a_read_runs_in_a_read_thread_in_the_callers_context_and_gives_back_its_answer():
    threads = ReadThreads(2)

    def read(x: int) -> tuple[int, str | None, str]:
        return x * 2, REQUEST.get(), threading.current_thread().name

    async def main():
        REQUEST.set("req-1")
        return await threads.run(read, 21)

    try:
        assert asyncio.run(main())[:2] == (42, "req-1")
        assert asyncio.run(main())[2].startswith("case-read")
    finally:
        threads.close()


def test_a_read_that_fails_raises_in_the_caller():
    threads = ReadThreads(1)

    def read() -> None:
        raise LookupError("case K-1 not found")

    try:
        with pytest.raises(LookupError, match="K-1"):
            asyncio.run(threads.run(read))
    finally:
        threads.close()


def test_no_more_reads_run_at_once_than_there_are_threads_and_the_rest_wait():
    threads = ReadThreads(3)
    running, most = 0, 0
    lock = threading.Lock()

    def read() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1

    async def main() -> None:
        await asyncio.gather(*(threads.run(read) for _ in range(12)))

    try:
        asyncio.run(main())
    finally:
        threads.close()
    assert most == 3
