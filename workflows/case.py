"""CaseWorkflow: one citizen's case, from need to evaluation, as a durable workflow.

Every human command arrives as the ``act`` update. Its validator runs the
domain's ``decide`` on the current state, so a refused command goes back to
the caller with the domain's message and never enters history. Accepted
events are written to the event log through an activity (with ids from
``workflow.uuid4()``, so a retry writes nothing twice) and only then folded
into the state: the state never runs ahead of the log.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.messages import AppendReceipt, AppendRequest, RecordedEvent
    from domain.case import CaseState, decide, evolve, fold, initial_state
    from domain.deadlines import RecordMissedDeadline
    from domain.errors import DomainError
    from domain.messages import SYSTEM_ACTOR, Command, Event, Role
    from domain.need import RegisterNeed
    from domain.phases import Phase
    from workflows.case_messages import ActRequest, ActResult, CaseInput, CaseOutcome

CASE_PHASE = SearchAttributeKey.for_keyword("CasePhase")

APPEND_TIMEOUT = timedelta(seconds=30)
# The event log may be down for a while (a database restart); the append is
# idempotent, so keep trying rather than lose the decision.
APPEND_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    non_retryable_error_types=["ConcurrencyConflict", "IdempotencyMismatch"],
)


def refusal(error: DomainError) -> ApplicationError:
    """A domain refusal as Temporal carries it to the caller: the message, plus the rule and field."""
    return ApplicationError(
        error.message,
        {"rule": error.rule, "field": error.field},
        type="DomainError",
        non_retryable=True,
    )


@workflow.defn
class CaseWorkflow:
    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        self._state: CaseState = initial_state()
        self._deadlines = input.deadlines
        self._lock = asyncio.Lock()
        # What the case will be once run() has recorded the registration, so an
        # update that arrives before that is still validated, not waved through.
        self._opening: CaseState | None = None
        try:
            self._opening = fold(self._decide(input.registration))
        except ApplicationError:
            pass  # run() refuses the registration and fails the case

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        async with self._lock:
            events = self._decide(input.registration)
            await self._record(events)
        while self._state.phase is not Phase.CLOSED:
            await self._until_phase_ends()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return CaseOutcome(
            case_id=self._state.case_id or workflow.info().workflow_id,
            version=self._state.version,
            phase=self._state.phase,
            closed_reason=self._state.closed_reason,
        )

    @workflow.query
    def state(self) -> CaseState:
        return self._state

    @workflow.update
    async def act(self, request: ActRequest) -> ActResult:
        # An update can arrive before run() has registered the need.
        await workflow.wait_condition(lambda: self._state.phase is not Phase.NEW)
        async with self._lock:
            self._check_version(request)
            events = self._decide(request.command)
            return await self._record(events)

    @act.validator
    def validate_act(self, request: ActRequest) -> None:
        command = request.command
        if isinstance(command, RegisterNeed):
            raise ApplicationError(
                "the case is already open; a need is registered by opening a new case",
                {"rule": "case.already_open", "field": "type"},
                type="DomainError",
            )
        if command.actor.role is Role.SYSTEM:
            raise ApplicationError(
                "the system role acts only from inside the workflow",
                {"rule": "case.role_not_allowed", "field": "actor.role"},
                type="DomainError",
            )
        state = self._opening if self._state.phase is Phase.NEW and self._opening else self._state
        self._check_version(request, state)
        self._decide(command, state)

    def _check_version(self, request: ActRequest, state: CaseState | None = None) -> None:
        version = (state or self._state).version
        if request.expected_version is not None and request.expected_version != version:
            raise ApplicationError(
                f"the case has changed since you looked: you saw version {request.expected_version}, "
                f"it is now at version {version}; reload the case and try again",
                {"rule": "case.stale_version", "field": "expected_version"},
                type="StaleVersion",
            )

    def _decide(self, command: Command, state: CaseState | None = None) -> list[Event]:
        stamped = command.model_copy(update={"at": workflow.now()})
        try:
            return decide(state or self._state, stamped)
        except DomainError as error:
            raise refusal(error) from None

    async def _record(self, events: list[Event]) -> ActResult:
        case_id = self._state.case_id or workflow.info().workflow_id
        phase_before = self._state.phase
        receipt: AppendReceipt = await workflow.execute_activity(
            "append_case_events",
            AppendRequest(
                case_id=case_id,
                expected_version=self._state.version,
                events=[RecordedEvent(event_id=str(workflow.uuid4()), event=event) for event in events],
            ),
            result_type=AppendReceipt,
            start_to_close_timeout=APPEND_TIMEOUT,
            retry_policy=APPEND_RETRY,
        )
        for event in events:
            self._state = evolve(self._state, event)
        if self._state.phase is not phase_before:
            workflow.upsert_search_attributes([CASE_PHASE.value_set(self._state.phase.value)])
            workflow.logger.info("case %s entered phase %s", case_id, self._state.phase.value)
        return ActResult(
            case_id=case_id,
            version=self._state.version,
            phase=self._state.phase,
            events=[event.type for event in events],
            positions=receipt.positions,
        )

    async def _until_phase_ends(self) -> None:
        """Waits for the phase to change; if its deadline passes first, records the miss once."""
        phase = self._state.phase
        limit = self._deadlines.for_phase(phase.value)
        ended = lambda: self._state.phase is not phase  # noqa: E731
        if limit is None or self._state.phase_since is None:
            await workflow.wait_condition(ended)
            return
        due = self._state.phase_since + limit
        remaining = max(due - workflow.now(), timedelta(0))
        try:
            await workflow.wait_condition(ended, timeout=remaining)
            return
        except asyncio.TimeoutError:
            pass
        async with self._lock:
            if self._state.phase is phase:
                events = self._decide(RecordMissedDeadline(actor=SYSTEM_ACTOR, phase=phase.value, due_at=due))
                await self._record(events)
        await workflow.wait_condition(ended)
