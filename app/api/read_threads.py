"""The few threads that serve the API's and the pages' case reads.

A case read is CPU work under the interpreter lock plus short database calls. Twenty
threads at once only fight over the lock (context switches and futex calls cost more
than the reads); a few threads (``api_read_threads``) keep it busy, and further requests
wait for one as asyncio tasks, not threads.

A read is handed over through the standard library's thread pool (a C queue) rather
than anyio's worker threads, whose Python queue and condition cost the event loop a
sixth of a citizen's page (measured with py-spy under twenty connections). The
caller's context goes with it, so its log lines carry the request's ids. A caller
cancelled while its read runs stops waiting; the read finishes in its thread and what
it read is never shown, so it is never recorded either (``Backend.one_page``).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

T = TypeVar("T")


class ReadThreads:
    def __init__(self, size: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="case-read")

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)`` in a read thread, in the caller's context; its result or exception."""
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self._pool, partial(context.run, function, *args))

    def close(self) -> None:
        """Lets the threads go once the reads they hold are done (the server is stopping)."""
        self._pool.shutdown(wait=False)
