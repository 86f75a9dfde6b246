"""``samskab report``: learning across cases, from the event log alone.

A table on the terminal, and on request CSV, JSON and PNG charts. The report
holds counts, codes and scores only: no names, no case numbers, no free text.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from activities.eventlog import open_event_store
from activities.reports import ALL, PILOT_TYPE, TARGET_GROUP, CaseFacts, LearningReport, report_from_facts
from app.keys import open_key_store
from app.settings import get_settings
from app.terminal import console
from domain.value_domains import DOMAINS
from projections import queries
from projections.setup import build_projector

_HEADINGS = {ALL: "Alle", TARGET_GROUP: "Pr. målgruppe", PILOT_TYPE: "Pr. pilottype"}


def report_from_read_models(store, keys, settings) -> LearningReport:
    """The learning report from the per-case facts the read side keeps, brought up to
    the log's head first (safe beside a worker that projects too)."""
    build_projector(store, keys, settings.deadlines).catch_up()
    facts, position = queries.report_facts(store.engines)
    return report_from_facts([CaseFacts.from_json(f) for f in facts], last_position=position)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _change(before: list[float], after: list[float]) -> str:
    if not after:
        return "-"
    mean = lambda values: sum(values) / len(values)  # noqa: E731
    return f"{_num(mean(before)) if before else '?'} -> {_num(mean(after))}"


def report_table(report: LearningReport, *, title: str = "Læring på tværs af sager (fra hændelsesloggen)") -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("gruppe")
    table.add_column("sager", justify="right")
    table.add_column("piloter\nstart/slut/stop", justify="right")
    table.add_column("evalueret\n(m. baseline)", justify="right")
    for _domain, label in zip(DOMAINS, ("produktivitet", "effekter", "demokrati", "service-\noplevelse"), strict=True):
        table.add_column(label, justify="right")
    table.add_column("WEMWBS\nfør -> efter", justify="right")
    table.add_column("SB-6\nfør -> efter", justify="right")
    dimension = None
    for row in report.groups:
        if row.dimension != dimension:
            if dimension is not None:
                table.add_section()
            dimension = row.dimension
        table.add_row(
            row.group if row.dimension == ALL else f"  {row.group}",
            str(row.cases),
            f"{row.pilots_started}/{row.pilots_completed}/{row.early_stops}",
            f"{row.evaluated} ({row.with_baseline})",
            *(_num(row.domain(name).mean) for name in DOMAINS),
            _change(row.wemwbs_before, row.wemwbs_after),
            _change(row.self_determination_before, row.self_determination_after),
        )
    table.caption = (
        "Værdidomæner: gennemsnit 0-100 (50 = uændret). WEMWBS 14-70, SB-6 6-30. "
        + (
            f"{report.legacy_evaluations} ældre evaluering(er) uden målinger er talt med som sager. "
            if report.legacy_evaluations
            else ""
        )
        + (
            f"{report.unreadable_events} hændelse(r) i et ældre format kunne ikke læses."
            if report.unreadable_events
            else ""
        )
    )
    return table


def write_csv(report: LearningReport, path: Path) -> None:
    rows = report.csv_rows()
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_json(report: LearningReport, path: Path) -> None:
    path.write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")


def report_command(
    ctx: typer.Context,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Also write the table as CSV to this file")] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the report, with distributions, as JSON")
    ] = None,
    charts: Annotated[Path | None, typer.Option("--charts", help="Also write PNG charts into this directory")] = None,
) -> None:
    """Learning across cases: value domains per target group and pilot type, from the event log alone.

    `samskab report kl-gateway ...` makes the daily FFB delivery report instead."""
    if ctx.invoked_subcommand:
        return
    if charts:  # before the report is built: say at once that the extra is missing
        from app.extras import require_module

        require_module("matplotlib", "charts", "samskab report --charts")
    settings = get_settings()
    store = open_event_store(settings.database_url, upgrade=not settings.production)
    try:
        report = report_from_read_models(store, open_key_store(store, settings), settings)
    finally:
        store.dispose()
    console.print(report_table(report))
    if csv_file:
        write_csv(report, csv_file)
        console.print(f"CSV: {csv_file}")
    if json_file:
        write_json(report, json_file)
        console.print(f"JSON: {json_file}")
    if charts:
        from app.report_charts import write_charts

        for path in write_charts(report, charts):
            console.print(f"Chart: {path}")
