"""The appeal, whole, on the time-skipping server: the window counted from the
letter's receipt and closing unused (which ends the workflow), a late appeal
still received and forwarded with its reason, a caseworker's registration,
withdrawal, Ankestyrelsen's four outcomes, and the ``appeal_outcome`` signal
the case is told by.

The case here is a small recording workflow under the case's id (a real
workflow on the real test server), so the appeal's side of the interface is
tested on its own; the CaseWorkflow's handling of the signal is tested with it."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
import pytest_asyncio
from pydantic import BaseModel
from temporalio import workflow
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from app.cases import CaseClient, CommandRejected, parse_appeal_command
from app.command_signing import CommandSigner
from app.keys import command_signer, open_key_store
from app.settings import Settings
from domain.appeal import AppealOutcomeKind, AppealStatus, appeal_id
from domain.appeal_window import DANISH_TIME, appeal_window_ends, end_of_day, next_working_day
from eventlog import EventStore
from eventlog.outbox import Outbox
from tests import scenario
from workflows.appeal import AppealWorkflow
from workflows.appeal_messages import (
    APPEAL_OUTCOME_SIGNAL,
    LETTER_DELIVERED_SIGNAL,
    AppealInput,
    AppealOutcome,
    LetterReceipt,
)
from workflows.changes import CURRENT_CODE
from workflows.issuers import CommandSignature

CW, TL, CITIZEN = scenario.CASEWORKER, scenario.TEAM_LEAD, scenario.CITIZEN


@workflow.defn(name="AppealOutcomeRecorder", sandboxed=False)
class OutcomeRecorder:
    """Stands in for the case: records every ``appeal_outcome`` signal it is sent."""

    def __init__(self) -> None:
        self._outcomes: list[AppealOutcome] = []

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.signal(name=APPEAL_OUTCOME_SIGNAL)
    def outcome(self, outcome: AppealOutcome) -> None:
        self._outcomes.append(outcome)

    @workflow.query
    def outcomes(self) -> list[AppealOutcome]:
        return self._outcomes


@pytest_asyncio.fixture
async def case(env, settings, worker):
    """A recording stand-in for the case, on its own task queue; terminated afterwards."""
    queue = f"recorder-{uuid.uuid4().hex[:6]}"
    case_id = f"case-{uuid.uuid4().hex[:10]}"
    async with Worker(env.client, task_queue=queue, workflows=[OutcomeRecorder]):
        handle = await env.client.start_workflow(OutcomeRecorder.run, id=case_id, task_queue=queue)
        yield handle
        # once nothing else is pending the test server skips to the recorder's own timeout
        if (await handle.describe()).close_time is None:
            await handle.terminate("test finished")


@dataclass
class SkippedClock:
    """The test server's time as last read (reading it is async, signing is not)."""

    now: datetime | None = None


@dataclass(frozen=True)
class SkippedClockSigner(CommandSigner):
    """Signs at the test server's time: a command given after months of skipped
    time is issued then, as it would be, not at the machine's clock."""

    clock: SkippedClock = field(default_factory=SkippedClock)

    def sign(
        self, kind: str, target: str, request: BaseModel, request_id: str, now: datetime | None = None
    ) -> CommandSignature:
        return super().sign(kind, target, request, request_id, now=now or self.clock.now)


class SkippedClockCases(CaseClient):
    """A case client whose commands are signed at the test server's time."""

    def __init__(self, env: WorkflowEnvironment, settings: Settings) -> None:
        self.env, self.clock = env, SkippedClock()
        signer = SkippedClockSigner(command_signer(settings).private_key, self.clock)
        super().__init__(env.client, settings, signer=signer)


@pytest.fixture
def cases(env, settings, worker) -> SkippedClockCases:
    return SkippedClockCases(env, settings)


async def start_appeal(env, settings, case_id: str, decided_at: datetime, **input) -> WorkflowHandle:
    return await env.client.start_workflow(
        AppealWorkflow.run,
        AppealInput(case_id=case_id, decision_number=1, outcome="partly_granted", decided_at=decided_at,
                    caseworker_id=CW["id"], team_lead_id=TL["id"], code_version=CURRENT_CODE, **input),
        id=appeal_id(case_id, 1),
        task_queue=settings.task_queue,
    )  # fmt: skip


def outbox(settings, stream_id: str) -> list:
    box = Outbox(settings.database_url, keys=open_key_store(EventStore.from_url(settings.database_url), settings))
    try:
        return box.for_case(stream_id)
    finally:
        box.dispose()


async def signals(case: WorkflowHandle, count: int) -> list[AppealOutcome]:
    for _ in range(100):
        received = await case.query(OutcomeRecorder.outcomes)
        if len(received) >= count:
            return received
        await asyncio.sleep(0.05)
    raise AssertionError(f"the case was told {len(received)} times, not {count}")


async def state_is(cases: CaseClient, case_id: str, status: AppealStatus):
    for _ in range(100):
        try:
            state = await cases.appeal_state(case_id)
            if state.status is status:
                return state
        except Exception:  # noqa: BLE001 - the appeal's first task may not have run yet
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"the appeal never reached {status.value}")


async def finished(env, handle: WorkflowHandle) -> AppealOutcome:
    """The appeal's result without skipping time: the test server would otherwise
    jump to the next pending timer of anything else (the recorder's own timeout)."""
    with env.auto_time_skipping_disabled():
        return await handle.result()


async def sleep_until(env, moment: datetime) -> None:
    await env.sleep(moment - await env.get_current_time())


async def act(cases: SkippedClockCases, case_id: str, data: dict):
    cases.clock.now = await cases.env.get_current_time()
    return await cases.act_on_appeal(case_id, parse_appeal_command(data))


async def forwarded(env, settings, cases, case, late_reason: str | None = None):
    now = await env.get_current_time()
    await start_appeal(env, settings, case.id, now)
    await state_is(cases, case.id, AppealStatus.WINDOW_OPEN)
    await act(
        cases,
        case.id,
        {**scenario.lodge_appeal("For få timer"), **({"late_reason": late_reason} if late_reason else {})},
    )
    await act(cases, case.id, scenario.reconsider("upheld"))
    return await state_is(cases, case.id, AppealStatus.SENT_TO_ANKESTYRELSEN)


async def test_a_window_that_closes_unused_ends_the_workflow_and_tells_the_case(env, settings, cases, case):
    decided = await env.get_current_time()
    handle = await start_appeal(env, settings, case.id, decided)
    ends = appeal_window_ends(decided)
    await sleep_until(env, ends - timedelta(minutes=1))
    assert (await cases.appeal_state(case.id)).status is AppealStatus.WINDOW_OPEN  # open to the day's end

    await env.sleep(timedelta(minutes=2))
    result = await finished(env, handle)
    assert result.kind is AppealOutcomeKind.WINDOW_CLOSED_UNUSED and result.status is AppealStatus.WINDOW_CLOSED
    [told] = await signals(case, 1)
    assert told == result
    history = await handle.fetch_history()
    assert len(history.events) < 40  # no wait for a year: a timer, its firing and the closing


async def test_a_late_appeal_is_received_after_the_workflow_ended_and_forwarded_with_its_reason(
    env, settings, cases, case
):
    decided = await env.get_current_time()
    handle = await start_appeal(env, settings, case.id, decided)
    await env.sleep(timedelta(weeks=60))  # far past the window; the law sets no outer limit
    assert (await finished(env, handle)).kind is AppealOutcomeKind.WINDOW_CLOSED_UNUSED

    answer = await act(cases, case.id, {**scenario.lodge_appeal("For få timer"), "late_reason": "Jeg var indlagt"})
    assert answer.status is AppealStatus.AWAITING_RECONSIDERATION
    state = await cases.appeal_state(case.id)
    assert state.late and state.late_reason == "Jeg var indlagt"
    assert "late_appeal" in [m.kind for m in outbox(settings, handle.id)]

    await act(cases, case.id, scenario.reconsider("upheld"))
    await state_is(cases, case.id, AppealStatus.SENT_TO_ANKESTYRELSEN)
    letter = next(m for m in outbox(settings, handle.id) if m.recipient == "Ankestyrelsen")
    assert "efter klagefristen" in letter.body and "Jeg var indlagt" in letter.body
    assert f"{appeal_window_ends(decided).astimezone(DANISH_TIME) - timedelta(seconds=1):%d.%m.%Y}" in letter.body


async def test_a_timely_appeal_is_forwarded_without_a_word_of_lateness(env, settings, cases, case):
    await forwarded(env, settings, cases, case, late_reason="not late at all")
    letter = next(m for m in outbox(settings, appeal_id(case.id, 1)) if m.recipient == "Ankestyrelsen")
    assert "inden for klagefristen" in letter.body and "efter klagefristen" not in letter.body
    assert "not late at all" not in letter.body


async def test_a_window_ending_on_a_weekend_stays_open_to_the_next_working_day(env, settings, cases, case):
    now = await env.get_current_time()
    # a decision whose 28th day is a Saturday
    decided = next(
        d
        for d in (now - timedelta(days=k) for k in range(7))
        if (d.astimezone(DANISH_TIME).date() + timedelta(days=28)).weekday() == 5
    )
    saturday = decided.astimezone(DANISH_TIME).date() + timedelta(days=28)
    monday_or_later = next_working_day(saturday)
    await start_appeal(env, settings, case.id, decided)
    await sleep_until(env, end_of_day(saturday) + timedelta(hours=12))  # Sunday noon
    assert (await cases.appeal_state(case.id)).status is AppealStatus.WINDOW_OPEN
    await sleep_until(env, end_of_day(monday_or_later) - timedelta(minutes=5))
    answer = await act(cases, case.id, scenario.lodge_appeal())
    assert answer.status is AppealStatus.AWAITING_RECONSIDERATION and not (await cases.appeal_state(case.id)).late


async def test_a_friday_receipt_counts_the_window_from_the_letter_not_the_decision(env, settings, cases, case):
    now = await env.get_current_time()
    decided = now - timedelta(days=10)
    friday = next(d for d in (now - timedelta(days=k) for k in range(7)) if d.astimezone(DANISH_TIME).weekday() == 4)
    handle = await start_appeal(env, settings, case.id, decided)
    await state_is(cases, case.id, AppealStatus.WINDOW_OPEN)
    await handle.signal(LETTER_DELIVERED_SIGNAL, LetterReceipt(available_at=friday))
    last_day = next_working_day(friday.astimezone(DANISH_TIME).date() + timedelta(days=28))
    for _ in range(100):
        state = await cases.appeal_state(case.id)
        if state.letter_available_at is not None:
            break
        await asyncio.sleep(0.05)
    assert state.last_day == last_day and state.window_ends_at == end_of_day(last_day)
    await sleep_until(env, end_of_day(last_day) - timedelta(minutes=10))
    assert (await cases.appeal_state(case.id)).status is AppealStatus.WINDOW_OPEN  # the decision's window has passed
    await env.sleep(timedelta(minutes=20))
    assert (await finished(env, handle)).kind is AppealOutcomeKind.WINDOW_CLOSED_UNUSED


async def test_a_caseworker_registers_a_phoned_appeal_by_the_day_it_was_received(env, settings, cases, case):
    decided = await env.get_current_time()
    handle = await start_appeal(env, settings, case.id, decided)
    last_day = (appeal_window_ends(decided) - timedelta(seconds=1)).astimezone(DANISH_TIME).date()
    await env.sleep(timedelta(weeks=6))
    await finished(env, handle)  # the window closed unused before the caseworker got to it

    register = {"type": "register_appeal", "actor": CW, "channel": "phone", "complaint": "Ringede: for få timer"}
    with pytest.raises(CommandRejected) as refused:
        await act(cases, case.id, {**register, "received_on": (decided + timedelta(weeks=10)).date().isoformat()})
    assert refused.value.field == "received_on"
    await act(cases, case.id, {**register, "received_on": last_day.isoformat()})
    state = await cases.appeal_state(case.id)
    assert state.channel == "phone" and state.received_on == last_day and not state.late  # in time by the day received
    assert [m.kind for m in outbox(settings, handle.id)].count("late_appeal") == 0


@pytest.mark.parametrize(
    ("outcome", "kind", "new_decision"),
    [("upheld", AppealOutcomeKind.ANKESTYRELSEN_UPHELD, False), ("changed", AppealOutcomeKind.ANKESTYRELSEN_CHANGED, True),
     ("sent_back", AppealOutcomeKind.ANKESTYRELSEN_SENT_BACK, True), ("dismissed", AppealOutcomeKind.ANKESTYRELSEN_DISMISSED, False)],
)  # fmt: skip
async def test_ankestyrelsens_outcome_ends_the_appeal_and_tells_the_case(
    env, settings, cases, case, outcome, kind, new_decision
):
    await forwarded(env, settings, cases, case)
    handle = env.client.get_workflow_handle_for(AppealWorkflow.run, appeal_id(case.id, 1))
    await env.sleep(timedelta(weeks=30))  # Ankestyrelsen takes its time; the appeal waits idle
    assert (await cases.appeal_state(case.id)).status is AppealStatus.SENT_TO_ANKESTYRELSEN
    decided_on = (await env.get_current_time()).astimezone(DANISH_TIME).date()
    await act(cases, case.id, {"type": "record_appeal_outcome", "actor": CW, "outcome": outcome,
                               "decided_on": decided_on.isoformat(), "reasons": "Ankestyrelsens begrundelse"})  # fmt: skip
    result = await finished(env, handle)
    assert result.kind is kind and result.asks_for_new_decision is new_decision and result.decided_on == decided_on
    assert result.reasons == "Ankestyrelsens begrundelse"
    [told] = await signals(case, 1)
    assert told == result
    assert "appeal_decided" in [m.kind for m in outbox(settings, handle.id) if m.recipient == "citizen"]
    assert len((await handle.fetch_history()).events) < 80


async def test_an_outcome_for_an_appeal_not_sent_on_is_refused_naming_its_status(env, settings, cases, case):
    await start_appeal(env, settings, case.id, await env.get_current_time())
    await state_is(cases, case.id, AppealStatus.WINDOW_OPEN)
    with pytest.raises(CommandRejected) as refused:
        await act(cases, case.id, {"type": "record_appeal_outcome", "actor": CW, "outcome": "changed",
                                   "decided_on": "2026-01-01", "reasons": "x"})  # fmt: skip
    assert refused.value.rule == "appeal.not_sent_on" and "window_open" in refused.value.message


@pytest.mark.parametrize(
    "actor", [{"id": "samskab", "role": "system"}, CW], ids=["the system role", "a person giving the system's command"]
)
async def test_the_appeals_own_commands_are_refused_from_a_caller(env, settings, cases, case, actor):
    """Only the appeal's workflow closes its window: a caller who tries is refused by the appeal's own rule."""
    await start_appeal(env, settings, case.id, await env.get_current_time())
    await state_is(cases, case.id, AppealStatus.WINDOW_OPEN)
    with pytest.raises(CommandRejected) as refused:
        await act(cases, case.id, {"type": "close_appeal_window", "actor": actor})
    assert (refused.value.rule, refused.value.field) == ("appeal.role_not_allowed", "actor.role")
    assert (await cases.appeal_state(case.id)).status is AppealStatus.WINDOW_OPEN  # nothing was recorded


async def test_a_reconsideration_that_changes_the_decision_tells_the_case(env, settings, cases, case):
    handle = await start_appeal(env, settings, case.id, await env.get_current_time())
    await state_is(cases, case.id, AppealStatus.WINDOW_OPEN)
    await act(cases, case.id, scenario.lodge_appeal())
    await act(cases, case.id, scenario.reconsider("changed", "Nye oplysninger"))
    result = await finished(env, handle)
    assert result.kind is AppealOutcomeKind.RECONSIDERATION_CHANGED and result.asks_for_new_decision
    assert (await signals(case, 1))[0].reasons == "Nye oplysninger"


async def test_the_citizen_withdraws_before_reconsideration(env, settings, cases, case):
    handle = await start_appeal(env, settings, case.id, await env.get_current_time())
    await state_is(cases, case.id, AppealStatus.WINDOW_OPEN)
    with pytest.raises(CommandRejected) as refused:
        await act(cases, case.id, {"type": "withdraw_appeal", "actor": CITIZEN})
    assert refused.value.rule == "appeal.not_withdrawable" and "window_open" in refused.value.message
    await act(cases, case.id, scenario.lodge_appeal())
    await act(cases, case.id, {"type": "withdraw_appeal", "actor": CITIZEN})
    result = await finished(env, handle)
    assert result.kind is AppealOutcomeKind.WITHDRAWN and not result.asks_for_new_decision
    assert (await signals(case, 1))[0].kind is AppealOutcomeKind.WITHDRAWN
    assert [m.recipient for m in outbox(settings, handle.id) if m.kind == "appeal_withdrawn"] == [CW["id"]]


async def test_a_caseworker_records_a_withdrawal_at_ankestyrelsen_and_ankestyrelsen_is_told(env, settings, cases, case):
    await forwarded(env, settings, cases, case)
    handle = env.client.get_workflow_handle_for(AppealWorkflow.run, appeal_id(case.id, 1))
    await act(cases, case.id, {"type": "withdraw_appeal", "actor": CW, "channel": "phone", "note": "Borgeren ringede"})
    result = await finished(env, handle)
    assert result.kind is AppealOutcomeKind.WITHDRAWN and result.reasons == "Borgeren ringede"
    assert "Ankestyrelsen" in [m.recipient for m in outbox(settings, handle.id) if m.kind == "appeal_withdrawn"]
    with pytest.raises(CommandRejected) as refused:  # a withdrawal of an appeal that has ended
        await act(cases, case.id, {"type": "withdraw_appeal", "actor": CITIZEN})
    assert refused.value.rule == "appeal.ended" and "withdrawn" in refused.value.message


async def test_a_case_that_cannot_be_told_is_escalated_to_people(env, settings, cases):
    case_id = f"case-{uuid.uuid4().hex[:10]}"  # no workflow under this id
    handle = await start_appeal(env, settings, case_id, await env.get_current_time())
    await state_is(cases, case_id, AppealStatus.WINDOW_OPEN)
    await act(cases, case_id, scenario.lodge_appeal())
    await act(cases, case_id, scenario.reconsider("changed", "Nye oplysninger"))
    assert (await finished(env, handle)).kind is AppealOutcomeKind.RECONSIDERATION_CHANGED
    escalated = [m.recipient for m in outbox(settings, handle.id) if m.kind == "escalation"]
    assert sorted(escalated) == sorted([CW["id"], TL["id"]])


async def test_an_appeal_whose_workflow_was_ended_by_hand_refuses_commands_clearly(env, settings, cases, case):
    handle = await start_appeal(env, settings, case.id, await env.get_current_time())
    await state_is(cases, case.id, AppealStatus.WINDOW_OPEN)
    await handle.terminate("by the operator")
    with pytest.raises(CommandRejected) as refused:
        await act(cases, case.id, scenario.lodge_appeal())
    assert refused.value.rule == "appeal.ended" and "terminated" in refused.value.message
