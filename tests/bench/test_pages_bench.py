"""Measure 10 runs end to end on a small log: every page it times answers 200 (it raises
otherwise), each beside its API baseline, with the figures in milliseconds."""

from __future__ import annotations

from app.pages.routes import STAFF_TABS
from bench import pages


def test_the_pages_measure_times_every_page_beside_its_api_read():
    results = pages.run([20], requests=3)
    names = [r.name for r in results]
    assert len(names) == len(set(names)) == 3 + len(STAFF_TABS) + 5
    for tab, _ in STAFF_TABS:
        assert f"10. page /sager/{{id}}?fane={tab}" in names
    for r in results:
        assert r.figure is not None and r.figure > 0 and r.baseline is not None and r.baseline > 0, r
        assert r.unit.startswith("ms p99") and "GET " in r.baseline_unit and r.met == (r.figure <= pages.TARGET_MS)
