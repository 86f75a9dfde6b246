"""``samskab kl-gateway``: one citizen's FFB delivery report for KL Gateway, a
check of any delivery report file, and the daily delivery's Temporal schedule.

    samskab kl-gateway --citizen CASE_ID --day 2026-03-02 --purpose WHY [--out FILE]  (token or --local-admin)
    samskab kl-gateway --validate FILE
    samskab kl-gateway --schedule
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from activities.eventlog import open_event_store
from activities.kl_gateway.activities import case_report
from activities.kl_gateway.projection import report_bytes
from activities.kl_gateway.settings import GatewaySettings
from activities.kl_gateway.validation import validate_delivery_report
from app.identity import AsOption, LocalAdminOption, TokenOption, authenticate, authorize_read
from app.keys import open_key_store
from app.settings import get_settings
from app.terminal import console, err
from domain.access import Action
from domain.ffb_report_rules import Violation
from workflows.daily_delivery import DailyDeliveryInput, DailyDeliveryWorkflow

SCHEDULE_ID = "kl-gateway-daily"
WORKFLOW_ID = "kl-gateway-daily-delivery"


def daily_schedule(task_queue: str, hour: int = 2, max_attempts: int = 5) -> Schedule:
    """Every day at ``hour``:00 UTC; a run still going makes the next one skip (it catches up itself)."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            DailyDeliveryWorkflow.run,
            DailyDeliveryInput(max_attempts=max_attempts),
            id=WORKFLOW_ID,
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(hour=[ScheduleRange(hour)], minute=[ScheduleRange(0)], second=[ScheduleRange(0)])
            ]
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=1)),
    )


async def ensure_daily_schedule(client: Client, task_queue: str, hour: int = 2, max_attempts: int = 5) -> str:
    """Creates the daily delivery schedule, or brings an existing one up to date; returns its id."""
    schedule = daily_schedule(task_queue, hour, max_attempts)
    try:
        await client.create_schedule(SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(SCHEDULE_ID).update(replace)
    return SCHEDULE_ID


def print_violations(violations: list[Violation], console: Console) -> None:
    for v in violations:
        where = ", ".join(w for w in (v.resource, v.path) if w)
        where = f" [dim]{where}[/dim]" if where else ""
        console.print(f"[bold red]{v.rule}[/bold red]{where}: {v.message}", highlight=False)


def kl_gateway_command(
    citizen: Annotated[str | None, typer.Option("--citizen", help="The citizen's case id")] = None,
    day: Annotated[str | None, typer.Option("--day", help="The day the report covers, YYYY-MM-DD")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the report to this file instead of printing it")
    ] = None,
    validate: Annotated[
        Path | None, typer.Option("--validate", help="Validate a delivery report file (ours or anyone's)")
    ] = None,
    schedule: Annotated[
        bool, typer.Option("--schedule", help="Create or update the daily delivery schedule in Temporal")
    ] = False,
    purpose: Annotated[
        str | None,
        typer.Option(
            "--purpose",
            help="With --citizen: why you read the citizen's report "
            "(it holds their CPR number and conditions; recorded in the access log)",
        ),
    ] = None,
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """FFB delivery reports for KL Gateway: build one, validate a file, or schedule the daily delivery."""
    if validate is not None:
        try:
            report = json.loads(validate.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            err.print(f"[bold red]error:[/bold red] cannot read {validate}: {error}")
            raise typer.Exit(2) from None
        violations = validate_delivery_report(report)
        if violations:
            print_violations(violations, err)
            err.print(f"{validate}: [bold red]invalid[/bold red], {len(violations)} problem(s)")
            raise typer.Exit(1)
        console.print(f"{validate}: valid ({len(report.get('entry', []))} resources)")
        return
    if schedule:
        from app.temporal import connect

        settings = get_settings()
        gateway = GatewaySettings()

        async def main() -> str:
            client = await connect(settings)
            return await ensure_daily_schedule(client, settings.task_queue, gateway.schedule_hour, gateway.max_attempts)

        schedule_id = asyncio.run(main())
        console.print(f"Schedule [b]{schedule_id}[/b]: daily at {gateway.schedule_hour:02d}:00 UTC")
        return
    if not citizen or not day:
        err.print("[bold red]error:[/bold red] give --citizen and --day, or --validate FILE, or --schedule")
        raise typer.Exit(2)
    try:
        the_day = date.fromisoformat(day)
    except ValueError:
        err.print(f"[bold red]error:[/bold red] --day {day!r} is not a date (YYYY-MM-DD)")
        raise typer.Exit(2) from None
    settings = get_settings()
    caller = authenticate(token, as_, local_admin, settings)
    store = open_event_store(settings.database_url, upgrade=not settings.production)
    try:
        # the report shows the citizen's CPR number and conditions: a read of the case like any other
        authorize_read(
            store,
            caller,
            Action.READ_CASE,
            citizen,
            purpose,
            f"kl-gateway report day={the_day.isoformat()} (samskab report kl-gateway)",
            settings,
        )
        ctx = GatewaySettings().context(settings.municipality)
        report, _ = case_report(store, open_key_store(store, settings), citizen, the_day, ctx)
    finally:
        store.dispose()
    if report is None:
        err.print(f"Case {citizen}: nothing to report for {the_day.isoformat()}")
        raise typer.Exit(0)
    violations = validate_delivery_report(report)
    if out is not None:
        out.write_bytes(report_bytes(report))
        err.print(f"Report written to {out} ({len(report['entry'])} resources)")
    else:
        sys.stdout.write(report_bytes(report).decode("utf-8"))
    if violations:
        print_violations(violations, err)
        raise typer.Exit(1)
