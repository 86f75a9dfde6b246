"""``samskab demo``: the embedded stack, three citizens through all five phases,
their audit trails and the verified event log. Exits 0 only if every case
closed, each case rebuilt from the log equals its workflow, and the chain verifies."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.table import Table

from activities.eventlog import open_event_store
from activities.readmodels import rebuild_case
from activities.reports import build_report
from app.cases import CaseClient, CommandRejected, parse_appeal_command, parse_command
from app.demo_audit import audit_epilogue, record_demo_read
from app.demo_citizens import THIS_CASE, DemoCitizen, demo_citizens
from app.demo_forum import run_forum
from app.devstack import temporal_server
from app.forums import ForumClient
from app.keys import open_key_store
from app.report_cli import report_from_read_models, report_table
from app.settings import Settings
from app.temporal import connect, ensure_search_attributes
from app.views import case_panel, trail_table, verify_panel
from domain.appeal import LodgeAppeal, Reconsider
from domain.catalogue import type_of
from domain.phases import Phase
from projections.queries import case_summary
from projections.setup import build_projector
from worker import build_worker

# Short enough to see a deadline pass during the demo.
DEMO_VISITATION_DEADLINE = timedelta(seconds=2)
# Appeal windows (Rsl §§ 66-67) short enough for an appeal to reach Ankestyrelsen in seconds.
DEMO_APPEAL_WINDOWS = {
    "appeal_window": timedelta(seconds=2),
    "reconsideration": timedelta(seconds=10),
}
# Mikkel's BPA application: a published processing deadline (Rsl § 3, stk. 2) the demo sees pass.
DEMO_PROCESSING = {"processing": {"SEL § 96": timedelta(seconds=2)}, "processing_reminder": timedelta(seconds=1)}
#: The demo steps that go to a decision's appeal, not to the case.
APPEAL_COMMANDS = frozenset(type_of(c) for c in (LodgeAppeal, Reconsider))


async def drive(cases: CaseClient, citizen: DemoCitizen, case_id: str, console: Console) -> None:
    deadlines = cases.deadlines.model_copy(update=DEMO_APPEAL_WINDOWS)
    if citizen.linger_in_visitation:
        deadlines = deadlines.model_copy(update={"visitation": DEMO_VISITATION_DEADLINE, **DEMO_PROCESSING})
    await cases.open_case(parse_command(citizen.registration(case_id)), deadlines=deadlines)
    console.print(f"[cyan]{citizen.name}[/cyan]: case {case_id} opened ({citizen.need})")
    pending_refusal = citizen.refused_attempt
    for step in citizen.steps:
        if pending_refusal and pending_refusal[0] == step["type"]:
            _, attempt, rule = pending_refusal
            pending_refusal = None
            if attempt.get("case_id") == THIS_CASE:
                attempt = {**attempt, "case_id": case_id}
            try:
                await cases.act(case_id, parse_command(attempt))
            except CommandRejected as refused:
                console.print(
                    f"[cyan]{citizen.name}[/cyan]: [yellow]refused as it should be[/yellow]: {refused.message}"
                )
                if refused.rule != rule:
                    raise AssertionError(f"expected rule {rule}, got {refused.rule}") from None
            else:
                raise AssertionError(f"{attempt['type']} should have been refused")
        if step["type"] == "make_decision" and citizen.linger_in_visitation:
            console.print(f"[cyan]{citizen.name}[/cyan]: the decision takes longer than the published deadline ...")
            await asyncio.sleep(citizen.linger_in_visitation)
        if step.get("case_id") == THIS_CASE:
            step = {**step, "case_id": case_id}
        if step["type"] in APPEAL_COMMANDS:
            appealed = await cases.act_on_appeal(case_id, parse_appeal_command(step))
            console.print(
                f"[cyan]{citizen.name}[/cyan]: {step['type']} -> {', '.join(appealed.events)} (appeal {appealed.status.value})"
            )
            continue
        result = await cases.act(case_id, parse_command(step))
        console.print(
            f"[cyan]{citizen.name}[/cyan]: {step['type']} -> {', '.join(result.events)} (phase {result.phase.value})"
        )


async def run_demo(settings: Settings, console: Console) -> bool:
    # The demo narrates each step itself; the workflows' own phase log lines would repeat it.
    logging.getLogger("temporalio.workflow").setLevel(logging.WARNING)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_event_store(settings.database_url, upgrade=not settings.production)
    run = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    citizens = demo_citizens()
    case_ids = {c.key: f"demo-{run}-{c.key}" for c in citizens}
    console.rule("samskab demo")
    async with temporal_server(settings, console.print) as address:
        console.print(f"Event log: {settings.database_url}")
        client = await connect(settings, address)
        await ensure_search_attributes(client)
        # the demo's deadlines pass in seconds: its timers fire on them, not a spread later
        cases = CaseClient(client, settings.model_copy(update={"deadline_spread": timedelta(0)}))
        async with build_worker(client, settings, store):
            await asyncio.gather(*(drive(cases, c, case_ids[c.key], console) for c in citizens))
            forum = await run_forum(ForumClient(client, settings), console)
            outcomes = [await cases.outcome(case_ids[c.key]) for c in citizens]
            states = [await cases.state(case_ids[c.key]) for c in citizens]
    rebuilt_equal = {}
    for citizen, state in zip(citizens, states, strict=True):
        console.rule(citizen.name)
        console.print(case_panel(state))
        record_demo_read(store, case_ids[citizen.key], "trail and rebuilt case")
        console.print(trail_table(case_ids[citizen.key], store.read_stream(case_ids[citizen.key])))
        rebuilt_equal[citizen.key] = (
            rebuild_case(store, case_ids[citizen.key], open_key_store(store, settings)) == state
        )
    console.rule("Learning across cases")
    keys = open_key_store(store, settings)
    # The read side's report (per-case facts kept by the projector) must equal one folded from the whole log.
    from_read_models = report_from_read_models(store, keys, settings)
    folded = build_report(store, keys)
    report_agrees = [g.to_json() for g in from_read_models.groups] == [g.to_json() for g in folded.groups]
    console.print(report_table(from_read_models, title="Læring på tværs af sager (fra læsemodellen)"))
    console.print(f"Read model report = report folded from the whole log: {'yes' if report_agrees else 'NO'}")
    console.rule("Work list (read model)")
    build_projector(store, keys, settings.deadlines).catch_up()
    rows = [case_summary(store.engines, case_id, now=datetime.now(UTC)) for case_id in case_ids.values()]
    list_agrees = all(row is not None and row["phase"] == "closed" for row in rows)
    console.print(f"The demo's cases in the work list, closed: {'yes' if list_agrees else 'NO'}")
    report = store.verify()
    audited = audit_epilogue(store, settings, console)
    store.dispose()

    console.rule("Summary")
    summary = Table()
    for column in ("citizen", "case", "phase", "events", "rebuilt from log = workflow state"):
        summary.add_column(column)
    for citizen, outcome in zip(citizens, outcomes, strict=True):
        summary.add_row(
            citizen.name,
            outcome.case_id,
            outcome.phase.value,
            str(outcome.version),
            "yes" if rebuilt_equal[citizen.key] else "NO",
        )
    console.print(summary)
    console.print(verify_panel(report))
    ok = (bool(forum.proposals) and all(o.phase is Phase.CLOSED for o in outcomes) and all(rebuilt_equal.values())
          and report.ok and audited and report_agrees and list_agrees)  # fmt: skip
    console.print(
        "[bold green]Demo complete: every case closed and the event log verified.[/bold green]"
        if ok
        else "[bold red]Demo FAILED[/bold red]"
    )
    return ok
