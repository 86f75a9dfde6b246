"""``samskab appeal``: the appeal of a decision (klage, retssikkerhedslovens §§ 66-67).

``lodge`` (the citizen), ``register`` (a caseworker, for an appeal received by
phone, letter, e-mail or in person), ``reconsider``, ``withdraw`` (the citizen,
or a caseworker on the citizen's word), ``outcome`` (Ankestyrelsen's decision,
from its letter) and ``show``. The permission matrix decides who may give which
(``domain.access``), the appeal's decider whether the appeal can take it now.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from activities import readmodels
from activities.eventlog import open_event_store
from app.audit_cli import PurposeOption
from app.cases import CaseClient, CommandRejected, parse_appeal_command
from app.identity import AsOption, LocalAdminOption, TokenOption, authenticate, authorize_read, case_state
from app.keys import open_key_store
from app.settings import get_settings
from app.temporal import connect
from app.terminal import console, err
from domain.access import Action, may, visible_event
from domain.appeal import (
    AnkestyrelsenOutcome,
    AppealChannel,
    ReconsiderationOutcome,
    appeal_id,
    appeal_view,
    fold_appeal,
)

appeal_app = typer.Typer(help="The appeal of a decision: lodge, register, reconsider, withdraw, Ankestyrelsen's outcome.",
                         no_args_is_help=True)  # fmt: skip

CaseId = Annotated[str, typer.Argument(help="The case number")]
DecisionOption = Annotated[
    int | None, typer.Option("--decision", min=1, help="The decision's number (default: the latest)")
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/bold red] {message}")
    return typer.Exit(code)


def _act(case_id: str, decision: int | None, data: dict[str, Any], token, as_, local_admin) -> None:
    """Authorises the command on the case as it stands, then gives it to the decision's appeal."""
    settings = get_settings()
    caller = authenticate(token, as_, local_admin, settings)
    store = open_event_store(settings.database_url)
    try:
        state = case_state(store, case_id, settings)
    finally:
        store.dispose()
    allowed = may(caller.who, Action.ACT, state=state, at=datetime.now(UTC), command_type=data["type"],
                  municipality=settings.municipality)  # fmt: skip
    if not allowed:
        raise _fail(f"refused: {allowed.reason} [dim](rule: access.denied)[/dim]", 3)
    number = decision or state.visitation.decisions
    if not 1 <= number <= state.visitation.decisions:
        raise _fail(
            f"case {case_id} has no decision {number} [dim](field: --decision, rule: appeal.not_found)[/dim]", 2
        )
    try:
        command = parse_appeal_command({**data, "actor": caller.actor})
    except CommandRejected as refused:
        raise _fail(f"{refused.message} [dim](field: {refused.field}, rule: {refused.rule})[/dim]", 2) from None

    async def main():
        return await CaseClient(await connect(settings), settings).act_on_appeal(case_id, command, number)

    try:
        result = asyncio.run(main())
    except CommandRejected as refused:
        raise _fail(
            f"refused: {refused.message} [dim](field: {refused.field}, rule: {refused.rule})[/dim]", 3
        ) from None
    console.print(f"Appeal {result.appeal_id}: {', '.join(result.events)} -> {result.status.value}")


@appeal_app.command("lodge")
def appeal_lodge(
    case_id: CaseId,
    complaint: Annotated[str, typer.Option(help="The complaint, in your own words")],
    late_reason: Annotated[str | None, typer.Option(help="Why the appeal comes after the window, if it does")] = None,
    decision: DecisionOption = None,
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Appeal a decision (the citizen; retssikkerhedslovens § 67). A late appeal is received too."""
    data = {"type": "lodge_appeal", "complaint": complaint, **({"late_reason": late_reason} if late_reason else {})}
    _act(case_id, decision, data, token, as_, local_admin)


@appeal_app.command("register")
def appeal_register(
    case_id: CaseId,
    channel: Annotated[str, typer.Option(help="phone, letter, email or in_person")],
    received_on: Annotated[
        str, typer.Option(help="The day the appeal was received, YYYY-MM-DD: it decides timeliness")
    ],
    complaint: Annotated[str, typer.Option(help="The complaint as the citizen gave it")],
    late_reason: Annotated[str | None, typer.Option(help="Why the appeal came after the window, if it did")] = None,
    decision: DecisionOption = None,
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Register an appeal received by phone, letter, e-mail or in person (a caseworker)."""
    data = {"type": "register_appeal", "channel": channel, "received_on": received_on, "complaint": complaint,
            **({"late_reason": late_reason} if late_reason else {})}  # fmt: skip
    _act(case_id, decision, data, token, as_, local_admin)


@appeal_app.command("reconsider")
def appeal_reconsider(
    case_id: CaseId,
    outcome: Annotated[ReconsiderationOutcome, typer.Option(help="upheld (goes to Ankestyrelsen) or changed")],
    reasons: Annotated[str, typer.Option(help="The reconsideration's reasons")],
    decision: DecisionOption = None,
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Reconsider the appealed decision (genvurdering, retssikkerhedslovens § 66)."""
    _act(
        case_id, decision, {"type": "reconsider", "outcome": outcome.value, "reasons": reasons}, token, as_, local_admin
    )


@appeal_app.command("withdraw")
def appeal_withdraw(
    case_id: CaseId,
    channel: Annotated[
        AppealChannel | None,
        typer.Option(help="For a caseworker: how the citizen said so (phone, letter, email, in_person)"),
    ] = None,
    note: Annotated[str | None, typer.Option(help="A note")] = None,
    decision: DecisionOption = None,
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Withdraw the appeal (the citizen, or a caseworker on the citizen's word)."""
    data: dict[str, Any] = {"type": "withdraw_appeal"}
    if channel is not None:
        data["channel"] = channel.value
    if note:
        data["note"] = note
    _act(case_id, decision, data, token, as_, local_admin)


@appeal_app.command("outcome")
def appeal_outcome(
    case_id: CaseId,
    outcome: Annotated[
        AnkestyrelsenOutcome, typer.Option(help="upheld, changed, sent_back (hjemvist) or dismissed (afvist)")
    ],
    decided_on: Annotated[str, typer.Option(help="The date of Ankestyrelsen's decision, YYYY-MM-DD")],
    reasons: Annotated[str, typer.Option(help="Ankestyrelsen's reasons, in short")],
    decision: DecisionOption = None,
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Record Ankestyrelsen's decision from its letter (a caseworker)."""
    data = {"type": "record_appeal_outcome", "outcome": outcome.value, "decided_on": decided_on, "reasons": reasons}
    _act(case_id, decision, data, token, as_, local_admin)


def _day(value: str | None) -> str:
    return date.fromisoformat(value).strftime("%d.%m.%Y") if value else "–"


@appeal_app.command("show")
def appeal_show(
    case_id: CaseId,
    purpose: PurposeOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print the appeals as JSON")] = False,
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Every decision's appeal, from the event log: status, the window's last day, lateness, outcome (the read is logged)."""
    settings = get_settings()
    caller = authenticate(token, as_, local_admin, settings)
    store = open_event_store(settings.database_url)
    try:
        state = case_state(store, case_id, settings)
        decision = authorize_read(store, caller, Action.READ_CASE, case_id, purpose, "appeals (samskab appeal show)",
                                  settings, state=state)  # fmt: skip
        if not visible_event(decision, "decision_made"):
            raise _fail(
                "refused: you may not see this case's decisions, nor their appeals [dim](rule: access.denied)[/dim]", 3
            )
        keys = open_key_store(store, settings)
        appeals = []
        for number in range(1, state.visitation.decisions + 1):
            stored = store.read_stream(appeal_id(case_id, number))
            if stored:
                appeals.append(
                    appeal_view(fold_appeal(readmodels.as_folded(readmodels.to_domain_event(s, keys) for s in stored)))
                )
    finally:
        store.dispose()
    if as_json:
        console.print_json(json.dumps({"case_id": case_id, "appeals": appeals}, ensure_ascii=False))
        return
    table = Table(title=f"Klager i sag {case_id}", title_justify="left")
    for column in ("afgørelse", "status", "sidste klagedag", "modtaget", "for sent", "udfald"):
        table.add_column(column)
    for a in appeals:
        table.add_row(str(a["decision_number"]), a["status"], _day(a["last_day"]),
                      f"{_day(a['received_on'])} ({a['channel']})" if a["received_on"] else "–",
                      "ja" if a["late"] else "nej", a["outcome_kind"] or "–")  # fmt: skip
    console.print(table if appeals else f"Case {case_id} has no appeal yet.")
