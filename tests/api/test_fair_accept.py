"""The API's processes share a burst of keep-alive connections evenly (``app.api.fair_accept``).

Measured before: of 20 connections opened together, one of two processes took 13, 14 or
17 and kept them, and its requests waited two to five times as long as the other's."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.api import fair_accept
from tests.api.test_api_processes import serve_two_processes, wait_until_serving

CONNECTIONS = 20

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="counts sockets through /proc (Linux)")


def _established_inodes(port: int) -> set[str]:
    """The socket inodes of the server's side of established TCP connections on ``port``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port, state, inode = int(fields[1].rsplit(":", 1)[1], 16), fields[3], fields[9]
            if local_port == port and state == "01":
                inodes.add(inode)
    return inodes


def _held_by(pid: int, inodes: set[str]) -> int:
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            held += 1
    return held


def _workers_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def _wait_until_both_post(worker: int, connections: int) -> None:
    """Until both processes serve and post that they hold ``connections`` each (the first to
    answer /health may be serving alone for seconds)."""
    environment = dict(
        entry.split("=", 1) for entry in Path(f"/proc/{worker}/environ").read_text().split("\0") if "=" in entry
    )
    board = Path(environment[fair_accept.BOARD_VARIABLE])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        posted = [count for (count,) in struct.iter_unpack("<I", board.read_bytes()) if count]
        if posted == [connections + 1] * 2:
            return
        time.sleep(0.1)
    pytest.fail(f"the two processes did not both post {connections} connections on the board")


def test_two_api_processes_take_half_of_a_burst_of_connections_each(tmp_path):
    process, port, log = serve_two_processes(tmp_path)
    clients: list[socket.socket] = []
    try:
        wait_until_serving(process, port, log)
        workers: list[int] = []
        deadline = time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline:  # uvicorn's processes, both started
            workers = [w for w in _workers_of(process.pid) if "spawn" in Path(f"/proc/{w}/cmdline").read_text()]
            time.sleep(0.1)
        assert len(workers) == 2, "uvicorn did not start two processes"
        # All at once, as a pool of keep-alive connections is opened: the kernel completes
        # each into the listening socket's queue as the processes accept them. Twice: the
        # first warms both processes up (a process's first connection takes it tens of ms).
        for _ in range(2):
            for client in clients:
                client.close()
            _wait_until_both_post(workers[0], connections=0)
            clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(CONNECTIONS)]
            for client in clients:
                client.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
            for client in clients:
                assert client.recv(65536).startswith(b"HTTP/1.1 200")
        inodes = _established_inodes(port)
        held = sorted(_held_by(worker, inodes) for worker in workers)
        assert sum(held) == CONNECTIONS
        assert held[1] - held[0] <= 2, f"the processes hold {held[0]} and {held[1]} of {CONNECTIONS} connections"
    finally:
        for client in clients:
            client.close()
        process.terminate()
        process.wait(15)


CLAIM = """
import sys, time
from pathlib import Path
from app.api.fair_accept import ConnectionBoard
board = ConnectionBoard(Path(sys.argv[1]))
board.post(int(sys.argv[2]))
print(board.slot, board.fewest_elsewhere(), flush=True)
sys.stdin.readline()
"""


def _claimant(board: Path, connections: int) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-c", CLAIM, str(board), str(connections)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])  # fmt: skip
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def test_each_process_has_a_slot_of_its_own_and_a_gone_process_s_slot_is_cleared(tmp_path):
    board = tmp_path / "board"
    fair_accept.new_board(board)
    first, said = _claimant(board, 7)
    assert said == "0 None"  # the first slot; nobody else yet
    second, said = _claimant(board, 3)
    assert said == "1 7"  # a slot of its own; the first holds 7
    first.kill()  # gone without clearing its slot
    first.wait()
    third, said = _claimant(board, 5)
    assert said == "0 3"  # the gone process's slot, cleared and taken; its 7 no longer counted
    for process in (second, third):
        process.communicate("\n")
