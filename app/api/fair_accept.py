"""The API's processes share new connections by how many each holds.

With several processes (``SAMSKAB_API_WORKERS``) all wait on one listening socket, and
asyncio's loop, woken by it, accepts every connection waiting there at once. When a client
opens its pool of keep-alive connections together (a load balancer, the back-office
client, a load test), the process that woke first took most of them and kept them: of 20
connections, splits of 13/7, 14/6 and 17/3 were measured. A process has one core's worth
of Python, so the requests on the crowded one waited two to five times as long as on the
other, and it set the slowest answers of all.

Here each process accepts one connection at a time and posts how many it holds on a
board the processes share (a small file mapped into each, one slot a process, its claim
an ``fcntl`` lock that dies with it). A process that holds more than another steps back
for a moment (``STEP_BACK_S``) so that the other, woken by the same socket, takes the
connection; if nobody has taken it by then, it takes it itself: a slow or stale slot
delays a connection by a millisecond, never refuses one."""

from __future__ import annotations

import asyncio
import mmap
import os
import struct
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not a POSIX system: the processes take connections as asyncio does
    fcntl = None  # type: ignore[assignment]

#: The environment variable naming the board's file; ``samskab serve`` sets it for its processes.
BOARD_VARIABLE = "SAMSKAB_CONNECTION_BOARD"
#: Processes the board has room for (more than any machine's cores).
SLOTS = 256
#: How long a process that holds more connections than another leaves a new one to the other.
STEP_BACK_S = 0.001
#: How often a process posts its count between accepts (connections also close).
POST_EVERY_S = 0.05
_SLOT = struct.Struct("<I")


#: Whether this system has ``fcntl``'s locks, which the board's slots are claimed with.
CAN_CLAIM = fcntl is not None


def new_board(path: Path) -> None:
    """The board's file, every slot free."""
    path.write_bytes(bytes(SLOTS * _SLOT.size))


class ConnectionBoard:
    """This process's slot on the board and a view of the others'. A slot holds the count of
    connections plus one (0: no process serving there); it is this process's while it holds
    the slot's lock, and a slot whose lock is free when a process starts is cleared (its
    process is gone)."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR)
        self._map = mmap.mmap(self._fd, SLOTS * _SLOT.size)
        self.slot = self._claim()

    def _claim(self) -> int:
        claimed = None
        for slot in range(SLOTS):
            offset = slot * _SLOT.size
            try:
                fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB, _SLOT.size, offset)
            except OSError:
                continue  # a live process's slot
            _SLOT.pack_into(self._map, offset, 0)  # free: its process, if any, has ended
            if claimed is None:
                claimed = slot
            else:
                fcntl.lockf(self._fd, fcntl.LOCK_UN, _SLOT.size, offset)
        if claimed is None:
            raise RuntimeError(f"the connection board has no free slot of {SLOTS}")
        return claimed

    def post(self, connections: int) -> None:
        _SLOT.pack_into(self._map, self.slot * _SLOT.size, connections + 1)

    def fewest_elsewhere(self) -> int | None:
        """The fewest connections another process holds (None: no other process)."""
        counts = [
            count - 1 for slot, (count,) in enumerate(_SLOT.iter_unpack(self._map)) if count and slot != self.slot
        ]
        return min(counts, default=None)

    def close(self) -> None:
        _SLOT.pack_into(self._map, self.slot * _SLOT.size, 0)
        self._map.close()
        os.close(self._fd)  # releases the slot's lock


class FairAcceptLoop(asyncio.SelectorEventLoop):
    """asyncio's selector loop accepting one waiting connection each time the listening socket
    is ready, and, with a board (``BOARD_VARIABLE``), leaving it for a moment to a process
    that holds fewer. Without a board (one process) it accepts as asyncio does."""

    def __init__(self) -> None:
        super().__init__()
        path = os.environ.get(BOARD_VARIABLE)
        self._board = ConnectionBoard(Path(path)) if path else None
        self._servers: set[Any] = set()

    def _connections(self) -> int:
        return sum(server._active_count for server in self._servers)

    def _post(self) -> None:
        if self._board is not None and not self.is_closed():
            self._board.post(self._connections())
            self.call_later(POST_EVERY_S, self._post)

    def _start_serving(self, protocol_factory: Any, sock: Any, sslcontext: Any = None, server: Any = None,
                       *rest: Any) -> None:  # fmt: skip
        """Listens on ``sock`` (asyncio's), and, the first time, posts on the board: from now on
        this process takes connections (while it loads the app, the others take them all)."""
        super()._start_serving(protocol_factory, sock, sslcontext, server, *rest)  # type: ignore[misc]
        if server is not None and server not in self._servers:
            self._servers.add(server)
            if len(self._servers) == 1:
                self._post()

    def _accept_connection(self, protocol_factory: Any, sock: Any, sslcontext: Any = None, server: Any = None,
                           backlog: int = 100, *rest: Any) -> None:  # fmt: skip
        """Called by asyncio each time the listening socket is ready: one connection taken, or
        left for a moment to a process that holds fewer."""
        board = self._board
        if board is None:
            super()._accept_connection(protocol_factory, sock, sslcontext, server, backlog, *rest)  # type: ignore[misc]
            return
        mine = self._connections()
        board.post(mine)
        fewest = board.fewest_elsewhere()
        if fewest is not None and fewest < mine:
            self.remove_reader(sock.fileno())
            self.call_later(STEP_BACK_S, self._return, protocol_factory, sock, sslcontext, server, backlog, *rest)
            return
        super()._accept_connection(protocol_factory, sock, sslcontext, server, 1, *rest)  # type: ignore[misc]

    def _return(self, protocol_factory: Any, sock: Any, sslcontext: Any, server: Any, backlog: int,
                *rest: Any) -> None:  # fmt: skip
        """After stepping back: listening again, and the connection taken if it still waits
        (nobody else took it; asyncio's own handling of an accept that fails stays as it is);
        nothing if the server has closed meanwhile."""
        if sock.fileno() == -1 or (server is not None and not server.is_serving()):
            return
        self._start_serving(protocol_factory, sock, sslcontext, server, backlog, *rest)
        super()._accept_connection(protocol_factory, sock, sslcontext, server, 1, *rest)  # type: ignore[misc]

    def close(self) -> None:
        if self._board is not None:
            self._board.close()
            self._board = None
        super().close()
