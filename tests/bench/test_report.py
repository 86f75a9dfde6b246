"""The benchmark's summary line tells a failed measure from a met target."""

from __future__ import annotations

from rich.console import Console

from bench.common import Result
from bench.report import print_report


def summary(results: list[Result]) -> str:
    console = Console(record=True, width=200)
    print_report(console, results, "t")
    return console.export_text()


def test_a_failed_measure_is_named_and_never_every_target_met():
    met = Result(name="a", figure=1.0, unit="ms", met=True)
    failed = Result(name="10. pages", figure=None, unit="", met=None, notes="error: SchemaMismatch: newer")
    text = summary([met, failed])
    assert "1 measure(s) failed, not measured: 10. pages" in text
    assert "every measured target met" not in text
    assert "every measured target met" in summary([met])
