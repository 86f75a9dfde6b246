"""The HTTP timeline measure's wrk path: its report parser on real wrk output, and
(when wrk is installed) the Lua script driving a small local server."""

from __future__ import annotations

import shutil
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from bench.http_timeline import HEADERS, WrkRun, _run_wrk, parse_wrk_output

#: wrk 4.1.0 (Debian) with the bench's script, against the API on the 100,000-event log.
WITH_SCRIPT = 'Running 8s test @ http://127.0.0.1:18731\n  2 threads and 20 connections\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency   151.08ms   46.96ms 408.59ms   73.35%\n    Req/Sec    67.69     24.56   128.00     67.97%\n  Latency Distribution\n     50%  141.87ms\n     75%  179.15ms\n     90%  208.49ms\n     99%  337.83ms\n  1062 requests in 8.09s, 10.28MB read\nRequests/sec:    131.29\nTransfer/sec:      1.27MB\nSAMSKAB_WRK {"requests":1062,"duration_us":8088677,"p50_us":141872,"p99_us":337835,"max_us":408591,"statuses":{"200":1062},"errors":{"connect":0,"read":0,"write":0,"status":0,"timeout":0}}\n'

#: The same, every request with a token the API refuses (401).
REFUSED = 'Running 2s test @ http://127.0.0.1:18731\n  2 threads and 20 connections\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency    12.34ms   10.25ms  77.67ms   87.78%\n    Req/Sec     0.95k   418.75     1.52k    60.00%\n  Latency Distribution\n     50%    7.71ms\n     75%   13.90ms\n     90%   25.22ms\n     99%   55.35ms\n  3780 requests in 2.01s, 1.02MB read\n  Non-2xx or 3xx responses: 3780\nRequests/sec:   1878.79\nTransfer/sec:    517.40KB\nSAMSKAB_WRK {"requests":3780,"duration_us":2011928,"p50_us":7711,"p99_us":55350,"max_us":77665,"statuses":{"401":3780},"errors":{"connect":0,"read":0,"write":0,"status":3780,"timeout":0}}\n'

#: wrk without a script (only its own text: no per-status counts).
PLAIN = "Running 2s test @ http://127.0.0.1:18731/cases/x/timeline\n  2 threads and 20 connections\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency    10.72ms    6.54ms  46.78ms   85.45%\n    Req/Sec     0.99k   418.16     1.60k    57.50%\n  Latency Distribution\n     50%    7.64ms\n     75%   12.84ms\n     90%   19.92ms\n     99%   33.19ms\n  3942 requests in 2.01s, 1.06MB read\n  Non-2xx or 3xx responses: 3942\nRequests/sec:   1961.26\nTransfer/sec:    540.11KB\n"


def test_a_run_with_the_script_gives_exact_percentiles_and_every_status():
    run = parse_wrk_output(WITH_SCRIPT)
    assert run.seconds == pytest.approx(8.09)  # the rest exactly
    assert replace(run, seconds=8.09) == WrkRun(requests=1062, seconds=8.09, p50_ms=141.872, p99_ms=337.835,
                                                statuses={200: 1062}, non_2xx_3xx=0, socket_errors={})  # fmt: skip
    assert run.failed == 0


def test_refused_requests_are_counted_as_failed():
    run = parse_wrk_output(REFUSED)
    assert run.statuses == {401: 3780}
    assert run.non_2xx_3xx == 3780
    assert run.failed == 3780
    assert (run.p50_ms, run.p99_ms) == (7.711, 55.35)


def test_without_the_script_wrks_own_text_is_used():
    run = parse_wrk_output(PLAIN)
    assert run.requests == 3942
    assert (run.p50_ms, run.p99_ms) == (7.64, 33.19)
    assert run.statuses == {}
    assert run.failed == 3942  # every response was outside 2xx/3xx


def test_socket_errors_count_as_failed():
    # The line as wrk prints it when a socket fails (wrk.c: "  Socket errors: connect %d, ...").
    text = WITH_SCRIPT.replace(
        "Requests/sec:", "  Socket errors: connect 0, read 2, write 0, timeout 3\nRequests/sec:", 1
    )
    text = text.replace('"read":0,"write":0,"status":0,"timeout":0', '"read":2,"write":0,"status":0,"timeout":3')
    run = parse_wrk_output(text)
    assert run.socket_errors == {"read": 2, "timeout": 3}
    assert run.failed == 5


def test_units_of_wrks_text_are_read():
    text = PLAIN.replace("99%   33.19ms", "99%    1.20s").replace("50%    7.64ms", "50%  640.00us")
    run = parse_wrk_output(text)
    assert (run.p50_ms, run.p99_ms) == (pytest.approx(0.64), pytest.approx(1200.0))


def test_text_that_is_not_a_finished_report_is_refused():
    with pytest.raises(ValueError, match="not a finished wrk report"):
        parse_wrk_output("unable to connect to 127.0.0.1:9 Connection refused\n")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self):  # the http.server API names it
        self.seen.append((self.path, self.headers.get("X-Purpose")))
        status = 200 if self.path.endswith("/ok/timeline") or "/case-" in self.path else 404
        body = b"[]"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (make wrk)")
def test_the_script_walks_the_picks_and_counts_statuses(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        picks = ["case-1", "case-2", "case-3", "missing"]
        wrk = shutil.which("wrk")
        assert wrk is not None  # the test is skipped without it
        run, version = _run_wrk(wrk, f"http://127.0.0.1:{server.server_port}", picks,
                                "/cases/{case_id}/timeline", {"Authorization": "Bearer t"}, 1, tmp_path)  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert version.startswith("wrk")
    assert run.requests > 0
    assert sum(run.statuses.values()) == run.requests
    assert set(run.statuses) <= {200, 404}
    assert run.statuses.get(404, 0) > 0 and run.failed >= run.statuses[404]
    paths = {path for path, _ in _Handler.seen}
    assert paths == {f"/cases/{case_id}/timeline" for case_id in picks}
    assert {purpose for _, purpose in _Handler.seen} == {HEADERS["X-Purpose"]}
