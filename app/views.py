"""How cases and the audit trail look on a terminal (Rich)."""

from __future__ import annotations

import json

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from domain.case.decider import CaseState
from eventlog import StoredEvent, VerifyReport


def trail_table(case_id: str, events: list[StoredEvent]) -> Table:
    table = Table(title=f"Audit trail for case {case_id}", title_justify="left", expand=False)
    table.add_column("pos", justify="right")
    table.add_column("ver", justify="right")
    table.add_column("occurred (UTC)")
    table.add_column("event")
    table.add_column("actor")
    table.add_column("legal basis")
    table.add_column("hash", style="dim")
    for e in events:
        table.add_row(
            str(e.position),
            str(e.stream_version),
            e.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
            e.event_type,
            f"{e.actor_id} ({e.actor_role})",
            e.legal_basis or "",
            e.hash[:12],
        )
    return table


def verify_panel(report: VerifyReport) -> Panel:
    style = "green" if report.ok else "bold red"
    title = "Event log verified" if report.ok else "Event log FAILED verification"
    return Panel(str(report), title=title, border_style=style, expand=False)


def case_panel(state: CaseState) -> Panel:
    lines = [
        f"[b]Phase:[/b] {state.phase.value} ({state.phase.label}), version {state.version}",
    ]
    if state.citizen:
        lines.append(f"[b]Citizen:[/b] {state.citizen.name}")
    if state.need:
        lines.append(f"[b]Need:[/b] {state.need.description} (reported by {state.need.reported_by.value})")
    if state.caseworker_id:
        lines.append(f"[b]Caseworker:[/b] {state.caseworker_id}")
    if state.assessment:
        for c in state.assessment.conditions:
            words = f' - "{c.citizen_words}"' if c.citizen_words else ""
            lines.append(f"  {c.condition.display}: {c.function_level.display}{words}")
        for g in state.assessment.goals:
            lines.append(f'  Goal ({g.goal_type.display}): "{g.in_own_words}"')
    if state.decision:
        services = ", ".join(f"{s.service.display} ({s.legal_basis})" for s in state.decision.services) or "none"
        lines.append(f"[b]Decision:[/b] {state.decision.outcome.value}; services: {services}")
    if state.team:
        members = ", ".join(
            f"{m.name} ({m.kind.value}, {m.organisation}: {m.status.value})" for m in state.team.values()
        )
        lines.append(f"[b]Team:[/b] {members}; approved by citizen: {'yes' if state.team_approved else 'no'}")
    if state.team_proposal:
        roles = "; ".join(f"{r.kind.value if r.kind else 'borger'}: {r.organisation}" for r in state.team_proposal)
        lines.append(f"[b]Proposed team:[/b] {roles}")
    for consent in state.consents.values():
        status = "revoked" if consent.revoked_at else f"until {consent.valid_until:%d.%m.%Y}"
        categories = ", ".join(c.value for c in consent.categories)
        lines.append(f"[b]Consent:[/b] {consent.person_id} may see {categories} ({status})")
    if state.plan:
        lines.append(f"[b]Action plan:[/b] {state.plan.purpose}")
    for meeting in state.meetings.values():
        held = f"held, {len(meeting.attended)} present incl. the citizen" if meeting.held else "planned"
        lines.append(f"[b]Joint meeting {meeting.meeting_no}:[/b] {meeting.agenda} ({held})")
    if state.observations_recorded:
        lines.append(f"[b]Observations:[/b] {state.observations_recorded}")
    if state.evaluation:
        ev = state.evaluation
        before = lambda value: "no baseline" if value is None else str(value)  # noqa: E731
        lines.append(
            f"[b]Evaluation:[/b] WEMWBS {before(ev.wemwbs_before)}->{ev.wemwbs.score}, "
            f"SB-6 self-determination {before(ev.self_determination_before)}->{ev.self_determination.score}; "
            f"{ev.follow_up.status.display}, pilot: {ev.follow_up.pilot.value}"
        )
        scores = ", ".join(
            f"{name} {'-' if v is None else f'{v:.0f}'}" for name, v in ev.value_domains.scores().items()
        )
        lines.append(f"  Value domains (0-100): {scores}")
        if ev.citizen_statement:
            lines.append(f'  Citizen: "{ev.citizen_statement}"')
    for missed in state.missed_deadlines:
        lines.append(f"[red]Deadline missed in {missed.phase} (due {missed.due_at:%Y-%m-%d %H:%M})[/red]")
    if state.closed_reason:
        lines.append(f"[b]Closed:[/b] {state.closed_reason}")
    return Panel(Group(*lines), title=f"Case {state.case_id}", expand=False)


def print_json(console: Console, data: object) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))
