"""The report: a Rich table on the terminal and the same figures as JSON."""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.common import Result


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(results: list[Result], title: str) -> Table:
    out = Table(title=title, title_justify="left")
    out.add_column("measure")
    out.add_column("figure", justify="right")
    out.add_column("baseline", justify="right")
    out.add_column("ratio", justify="right")
    out.add_column("target")
    out.add_column("met?", justify="center")
    for r in results:
        met = {True: "[green]yes[/green]", False: "[bold red]no[/bold red]", None: "[yellow]n/a[/yellow]"}[r.met]
        figure = f"{_number(r.figure)} {r.unit}" if r.figure is not None else "-"
        baseline = f"{_number(r.baseline)} {r.baseline_unit}" if r.baseline is not None else "-"
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
        out.add_row(r.name, figure, baseline, ratio, r.target, met)
    return out


def notes(results: list[Result]) -> list[str]:
    return [f"{r.name}: {r.notes}" for r in results if r.notes]


def write_json(path: Path, results: list[Result], meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "run": {
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "machine": f"{platform.system()} {platform.machine()}",
            **meta,
        },
        "ratio_means": "performance relative to the baseline in the same run: 1.0 = as good, below 1 = slower or bigger",
        "results": [r.as_dict() for r in results],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def print_report(console: Console, results: list[Result], title: str) -> None:
    console.print(table(results, title))
    for line in notes(results):
        console.print(f"  {line}", style="dim", highlight=False)
    missed = [r.name for r in results if r.met is False]
    # A measure that failed has no figure: neither met nor missed, and never "every target met".
    failed = [r.name for r in results if r.figure is None and (r.notes or "").startswith("error:")]
    if missed:
        console.print(f"[bold red]{len(missed)} target(s) missed:[/bold red] " + "; ".join(missed))
    if failed:
        console.print(f"[bold red]{len(failed)} measure(s) failed, not measured:[/bold red] " + "; ".join(failed))
    if not missed and not failed:
        console.print("[green]every measured target met[/green]")
