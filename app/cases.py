"""The caseworker's side of a case: open it, act on it, look at it.

Every edge (CLI, HTTP API, demo) goes through this one client so that the
rules of talking to a CaseWorkflow live in one place.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import structlog
from pydantic import BaseModel, ValidationError
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from app.command_signing import CommandSigner
from app.errors import CommandRejected
from app.settings import Settings
from domain.appeal import AppealState, LodgeAppeal, RegisterAppeal, appeal_command_adapter, appeal_id
from domain.case.deadlines import PhaseDeadlines
from domain.case.decider import CaseState, command_adapter, decide, initial_state
from domain.case.need import RegisterNeed
from domain.errors import DomainError
from domain.phases import Phase
from workflows.appeal import AppealWorkflow
from workflows.appeal_messages import AppealActRequest, AppealActResult, AppealInput, AppealOutcome
from workflows.case import MOVING_ON, CaseWorkflow
from workflows.case_messages import (
    ActRequest,
    ActResult,
    CarriedCase,
    CaseInput,
    CaseOutcome,
    OpenRequest,
    RunBound,
)
from workflows.changes import CURRENT_CODE
from workflows.search_attributes import CASE_PHASE, CASE_SEARCH_ATTRIBUTES, MUNICIPALITY

ANSWER_POLL_TIMEOUT = timedelta(seconds=10)
APPEAL_START_POLLS = 50
#: How long a client trusts what it read of the namespace's search attributes.
SEARCH_ATTRIBUTES_FRESH = 300.0
ANSWER_POLLS = 30
#: An opening waits for the case's answer this many polls: a caller at a form is told after
#: about twenty seconds that no worker answered (the case may still record the registration).
OPEN_POLLS = 2
#: A command refused because the case's run is continuing as new is sent again
#: (nothing was recorded), up to this many times, this long apart.
MOVING_ON_RETRIES = 100
MOVING_ON_PAUSE = 0.05
STATE_QUERY_TIMEOUT = timedelta(seconds=2)
STATE_QUERY_TRIES = 3
#: How often ``outcome`` looks whether the case has closed.
OUTCOME_POLL = 0.1

log = structlog.get_logger(__name__)


#: The years a date or moment in a command may fall in: a birth, a plan's target,
#: a meeting; a year 3000 or 9999 is a typing mistake, not a plan.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200


def _moments(value: Any, path: str):
    """Every date and datetime in a parsed command, with the path of its field."""
    if isinstance(value, (datetime, date)):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _moments(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _moments(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _moments(item, f"{path}.{key}" if path else str(key))


def check_moments(command) -> None:
    """Refuses a naive datetime (no time zone: which hour is meant?) and a date outside
    the years a case can concern, naming the field."""
    for path, moment in _moments(command, ""):
        if path == "at":
            continue  # stamped by the workflow's clock
        if isinstance(moment, datetime) and (moment.tzinfo is None or moment.utcoffset() is None):
            raise CommandRejected(
                f"{path}: give a time zone (e.g. 2026-03-01T10:00:00+01:00)", rule="input.invalid", field=path
            )
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise CommandRejected(
                f"{path}: the year must be between {EARLIEST_YEAR} and {LATEST_YEAR}", rule="input.invalid", field=path
            )


def parse_command(data: dict[str, Any]):
    """A command from JSON-like data, or CommandRejected naming each bad field."""
    try:
        command = command_adapter.validate_python(data)
    except ValidationError as error:
        tag = data.get("type") if isinstance(data, dict) else None

        def field(loc) -> str:
            parts = [str(p) for p in loc]
            return ".".join(parts[1:] if parts and parts[0] == tag else parts)  # the field, not the union's tag

        problems = "; ".join(f"{field(e['loc']) or 'command'}: {e['msg']}" for e in error.errors())
        first = error.errors()[0]["loc"] if error.errors() else ()
        raise CommandRejected(problems, rule="input.invalid", field=field(first) or None) from None
    check_moments(command)
    return command


def parse_appeal_command(data: dict[str, Any]):
    """An appeal command (lodge, register, reconsider, withdraw, Ankestyrelsen's outcome) from JSON-like data."""
    try:
        command = appeal_command_adapter.validate_python(data)
    except ValidationError as error:
        tag = data.get("type") if isinstance(data, dict) else None
        locs = [[str(p) for p in e["loc"]] for e in error.errors()]
        names = [".".join(loc[1:] if loc and loc[0] == tag else loc) for loc in locs]
        problems = "; ".join(f"{name or 'command'}: {e['msg']}" for name, e in zip(names, error.errors(), strict=True))
        raise CommandRejected(problems, rule="input.invalid", field=(names[0] or None) if names else None) from None
    check_moments(command)
    return command


def rejected_from(error: WorkflowUpdateFailedError) -> CommandRejected:
    cause = error.cause
    if isinstance(cause, ApplicationError):
        details = cause.details[0] if cause.details else {}
        details = details if isinstance(details, dict) else {}
        return CommandRejected(
            cause.message, rule=details.get("rule"), field=details.get("field"), kind=cause.type or ""
        )
    return CommandRejected(str(cause or error))


def _read_start_failure(start: WithStartWorkflowOperation) -> None:
    """Reads the failure an update-with-start left on its start operation. The SDK keeps a
    start that failed (a duplicate id, a cancelled call) as the exception of the operation's
    handle; the same failure reaches the caller through the update, and a handle nobody
    awaits would be reported by asyncio as an exception never retrieved (at shutdown too).
    The SDK offers the handle only as an awaitable, so its future is read here."""
    handle = start._workflow_handle
    if handle.done() and not handle.cancelled():
        handle.exception()


class CaseClient:
    def __init__(
        self,
        client: Client,
        settings: Settings,
        deadlines: PhaseDeadlines | None = None,
        signer: CommandSigner | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.deadlines = deadlines or settings.deadlines
        if signer is None:
            from app.keys import command_signer  # this front door's command-signing key

            signer = command_signer(settings)
        #: Signs every command this client sends (``workflows.issuers``); workers refuse unsigned ones.
        self.signer = signer
        self._indexed: tuple[float, frozenset[str]] | None = None

    async def indexed(self) -> frozenset[str]:
        """The search attributes of ``CASE_SEARCH_ATTRIBUTES`` the namespace has registered (the
        worker registers them at start). A case is started with, and sets, only these: an
        unregistered one would fail its start or every workflow task. Read at most every
        ``SEARCH_ATTRIBUTES_FRESH`` seconds; when it cannot be read, ``CasePhase`` alone."""
        now = asyncio.get_running_loop().time()
        if self._indexed is not None and now - self._indexed[0] < SEARCH_ATTRIBUTES_FRESH:
            return self._indexed[1]
        from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

        ours = {key.name for key in CASE_SEARCH_ATTRIBUTES}
        try:
            listed = await self.client.operator_service.list_search_attributes(
                ListSearchAttributesRequest(namespace=self.client.namespace), timeout=timedelta(seconds=5)
            )
        except RPCError as error:
            if error.status is RPCStatusCode.UNIMPLEMENTED:  # the time-skipping test server: registered blindly
                names = frozenset(ours)
            else:
                return frozenset({CASE_PHASE.name})
        else:
            names = frozenset(ours & set(listed.custom_attributes))
        self._indexed = (now, names)
        return names

    async def open_case(
        self, command: RegisterNeed, deadlines: PhaseDeadlines | None = None, bound: RunBound | None = None,
        request_id: str | None = None,
    ) -> ActResult:  # fmt: skip
        """Opens the case: starts its workflow with the registration as the ``open`` update
        (update-with-start), and answers as ``act`` does once the case has recorded it.

        The registration is decided here first, so one the rules refuse starts no workflow
        and leaves its case id free for the corrected registration; the workflow decides it
        again in the update's validator (with the signature, on its own clock), and a refusal
        there comes back at once, the same way. A case id already used is refused, never
        merged into that case (``case.duplicate_id``).

        An opening whose answer was lost (a worker killed, a dropped connection) may have
        started the case while its registration was never recorded: the start is durable at
        once, an update only once a worker has taken it. So a retry sends the same ``open``
        update (the same id, the same signature) to the started case: Temporal answers it
        once, with the first answer if there was one, and the case records a registration
        only while it has none. Within one call this is automatic; across calls it takes the
        caller's ``request_id`` (the API's ``Idempotency-Key``): the same id again is the
        same opening, so a retry gets the case's answer instead of ``case.duplicate_id``.
        Without one, a second call is a second opening and is refused as a duplicate."""
        try:
            decide(initial_state(), command.model_copy(update={"at": datetime.now(UTC)}))
        except DomainError as error:
            raise CommandRejected(error.message, rule=error.rule, field=error.field) from None
        indexed = await self.indexed()
        while True:
            try:
                return await self._start(command, deadlines, bound, indexed, request_id)
            except RPCError as error:
                # A search attribute the namespace does not have (it could not be listed, or was
                # removed since): open the case without any rather than not at all.
                if (
                    not indexed
                    or error.status is not RPCStatusCode.INVALID_ARGUMENT
                    or "search attribute" not in error.message.lower()
                ):
                    raise
                log.warning("opening the case without search attributes; register them (see the worker's log)",
                            case_id=command.case_id, reason=error.message)  # fmt: skip
                indexed = frozenset()
                self._indexed = (asyncio.get_running_loop().time(), indexed)

    @staticmethod
    def _duplicate(case_id: str) -> CommandRejected:
        return CommandRejected(f"a case with id {case_id!r} already exists", rule="case.duplicate_id", field="case_id")

    async def _start(self, command: RegisterNeed, deadlines: PhaseDeadlines | None, bound: RunBound | None,
                     indexed: frozenset[str], request_id: str | None = None) -> ActResult:  # fmt: skip
        case_id = command.case_id
        case_input = CaseInput(
            registration=command, deadlines=deadlines or self.deadlines, code_version=CURRENT_CODE,
            bound=bound or RunBound(), search_attributes=tuple(sorted(indexed)),
            timer_spread=self.settings.deadline_spread,
        )  # fmt: skip
        shown = [
            SearchAttributePair(CASE_PHASE, Phase.NEED.value),
            SearchAttributePair(MUNICIPALITY, self.settings.municipality),
        ]
        # The signature covers the whole opening (the registration with the start input), made
        # for this update's id; the registration itself goes in the update, not in the start input.
        update_id = f"open/{case_id}/{request_id or uuid.uuid4()}"
        signature = self.signer.sign("case.open", case_id, case_input, request_id=update_id)
        request = OpenRequest(registration=command, signature=signature)

        workflow = self.client.get_workflow_handle_for(CaseWorkflow.run, case_id)
        # Whether a case already started may be this opening's: a retry within this call, or a
        # caller's retry with its request id. Then "already started" is not yet a duplicate.
        may_be_ours = request_id is not None

        async def start_with_update():
            # A start operation is used once (the SDK's rule): a new one for each attempt.
            start = WithStartWorkflowOperation(
                CaseWorkflow.run,
                case_input.model_copy(update={"registration": None}),
                id=case_id,
                task_queue=self.settings.task_queue,
                # a second opening under the same id is refused, whether that case runs or has ended
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=TypedSearchAttributes([pair for pair in shown if pair.key.name in indexed]),
            )
            try:
                return await self.client.start_update_with_start_workflow(
                    CaseWorkflow.open,
                    request,
                    start_workflow_operation=start,
                    id=update_id,
                    wait_for_stage=WorkflowUpdateStage.COMPLETED,
                    rpc_timeout=ANSWER_POLL_TIMEOUT,
                )
            finally:
                _read_start_failure(start)

        async def update_alone():
            try:
                return await workflow.start_update(
                    CaseWorkflow.open, request, id=update_id, wait_for_stage=WorkflowUpdateStage.COMPLETED,
                    rpc_timeout=ANSWER_POLL_TIMEOUT,
                )  # fmt: skip
            except RPCError as error:  # the case's run has ended: its id stays used
                if error.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
                    raise self._duplicate(case_id) from None
                raise

        async def send():
            nonlocal may_be_ours
            ours, may_be_ours = may_be_ours, True  # a start sent, answered or not, may have started the case
            try:
                return await start_with_update()
            except WorkflowAlreadyStartedError:
                pass
            except RPCError as error:  # a server that gives no details (the time-skipping one) says only this
                if error.status is not RPCStatusCode.ALREADY_EXISTS:
                    raise
            if not ours:
                raise self._duplicate(case_id)
            return await update_alone()

        try:
            return await self._answer(
                send, lambda: workflow.get_update_handle_for(CaseWorkflow.open, update_id), polls=OPEN_POLLS,
                no_answer=f"case {case_id} was started but has not answered whether it took the registration; "
                "is a worker running? "
                + (f"Open it again with request id {request_id} to get its answer" if request_id is not None
                   else "It may still record it: look for the case before opening it again"),
                send_again=True,
            )  # fmt: skip
        except CommandRejected as refused:
            if refused.rule == "case.already_open":  # the started case holds another opening's registration
                raise self._duplicate(case_id) from None
            raise

    async def act(
        self, case_id: str, command, expected_version: int | None = None, request_id: str | None = None
    ) -> ActResult:
        """Gives the case a command and waits for its answer. A case whose run is
        continuing as new refuses a command before accepting it (nothing recorded);
        it is sent again, with the same id, and reaches the next run."""
        update_id = request_id or str(uuid.uuid4())
        for attempt in range(MOVING_ON_RETRIES):
            try:
                return await self._act_once(case_id, command, expected_version, update_id)
            except CommandRejected as rejected:
                if rejected.kind != MOVING_ON or attempt == MOVING_ON_RETRIES - 1:
                    raise
            await asyncio.sleep(MOVING_ON_PAUSE)
        raise AssertionError("unreachable")

    async def _act_once(self, case_id: str, command, expected_version: int | None, update_id: str) -> ActResult:
        """Sends the command once and waits for its answer.

        ``request_id`` makes a retried call safe: Temporal runs an update id
        once, and a caller that lost the answer gets the same one again."""
        workflow = self.client.get_workflow_handle_for(CaseWorkflow.run, case_id)
        request = ActRequest(command=command, expected_version=expected_version)
        request = request.model_copy(update={"signature": self.signer.sign("case.act", case_id, request, update_id)})

        async def send():
            return await workflow.start_update(
                CaseWorkflow.act,
                request,
                id=update_id,
                # One round trip for the usual case: the answer comes with the call.
                wait_for_stage=WorkflowUpdateStage.COMPLETED,
                rpc_timeout=ANSWER_POLL_TIMEOUT,
            )

        return await self._answer(
            send, lambda: workflow.get_update_handle_for(CaseWorkflow.act, update_id),
            no_answer=f"no answer from case {case_id} in time; the command may still be carried out "
            f"(send it again with request id {update_id} to get its answer)",
            send_again=True,
        )  # fmt: skip

    @staticmethod
    async def _answer(send, handle_of, *, no_answer: str, polls: int = ANSWER_POLLS,
                      send_again: bool = False) -> ActResult:  # fmt: skip
        """Sends an update and waits for the case's answer in bounded polls, since one long
        poll can be lost (a server restart, a dropped connection) while the update completes.
        An update whose sending timed out is sent again (``send_again``: Temporal accepts an
        update id once) or else awaited by its id; a refusal comes back as CommandRejected."""
        try:
            handle = None
            for attempt in range(polls):
                try:
                    if handle is None:
                        handle = await send() if attempt == 0 or send_again else handle_of()
                    return await handle.result(rpc_timeout=ANSWER_POLL_TIMEOUT)
                except WorkflowUpdateRPCTimeoutOrCancelledError as error:
                    # The SDK reports a poll's deadline this way, not as an RPCError;
                    # a cancellation by our own caller has no RPCError behind it, and
                    # stays a cancellation (asyncio then ends the task quietly, e.g. on Ctrl-C).
                    if isinstance(error.__cause__, asyncio.CancelledError):
                        raise asyncio.CancelledError() from error
                    if not isinstance(error.__cause__, RPCError):
                        raise
                except RPCError as error:
                    if error.status not in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
                        raise
                if handle is not None:
                    handle = handle_of()
            raise CommandRejected(no_answer, rule="case.no_answer", kind="Timeout")
        except WorkflowUpdateFailedError as error:
            raise rejected_from(error) from None

    async def act_on_appeal(self, case_id: str, command, decision_number: int = 1) -> AppealActResult:
        """Gives the appeal of a case's decision a command (lodge, reconsider) and waits for its answer.

        The appeal workflow starts just after the decision; a command that comes
        first waits briefly for it."""
        target = appeal_id(case_id, decision_number)
        handle = self.client.get_workflow_handle_for(AppealWorkflow.run, target)
        update_id = str(uuid.uuid4())
        request = AppealActRequest(command=command)
        request = request.model_copy(update={"signature": self.signer.sign("appeal.act", target, request, update_id)})
        resumed = False
        for attempt in range(APPEAL_START_POLLS):
            try:
                return await handle.execute_update(AppealWorkflow.act, request, id=update_id)
            except WorkflowUpdateFailedError as error:
                raise rejected_from(error) from None
            except RPCError as error:
                if error.status is RPCStatusCode.NOT_FOUND and not resumed and await self._ended(target):
                    await self._resume_appeal(target, command)
                    resumed = True
                    continue
                if error.status is not RPCStatusCode.NOT_FOUND or attempt == APPEAL_START_POLLS - 1:
                    raise CommandRejected(
                        f"decision {decision_number} of case {case_id} has no appeal to act on",
                        rule="appeal.not_found",
                        kind="NotFound",
                    ) from None
                await asyncio.sleep(0.1)
        raise AssertionError("unreachable")

    async def _ended(self, target: str) -> bool:
        """Whether the appeal's workflow has run and ended (not: not started yet)."""
        try:
            description = await self.client.get_workflow_handle(target).describe()
        except RPCError:
            return False
        return description.close_time is not None

    async def _resume_appeal(self, target: str, command) -> None:
        """An appeal whose window closed unused has ended its workflow; a late appeal
        is still received (Rsl § 67 sets no outer limit), so the appeal is started
        again with the input it had: the new run finds the appeal in the event log.
        Any other command to an ended appeal is refused, naming how it ended."""
        handle = self.client.get_workflow_handle_for(AppealWorkflow.run, target)
        try:
            ended: AppealOutcome = await handle.result(follow_runs=False)
        except WorkflowFailureError:
            status = (await handle.describe()).status
            raise CommandRejected(
                f"this appeal's workflow ended without an outcome ({status.name.lower() if status else 'unknown'}); "
                "tell the system's operator",
                rule="appeal.ended",
                kind="DomainError",
            ) from None
        if not isinstance(command, (LodgeAppeal, RegisterAppeal)) or ended.kind.value != "window_closed_unused":
            raise CommandRejected(
                f"this appeal has ended ({ended.status.value}); '{command.type}' can no longer be given",
                rule="appeal.ended",
                kind="DomainError",
            )
        history = await handle.fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        [first] = await self.client.data_converter.decode(started.input.payloads, [AppealInput])
        await self._revive_case(first.case_id, first.decision_number)
        try:
            await self.client.start_workflow(
                AppealWorkflow.run,
                # a new run runs today's code: its appends reconcile with the log it resumes from
                first.model_copy(
                    update={"resume": True, "code_version": CURRENT_CODE, "timer_spread": self.settings.deadline_spread}
                ),
                id=target,
                task_queue=started.task_queue.name,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            pass  # another caller resumed it first

    async def _revive_case(self, case_id: str, decision_number: int) -> None:
        """Closed is not the end: a case's workflow completes once it is closed and no
        appeal is open, but a late appeal can still be lodged (Rsl § 67 sets no outer
        limit) and change the decision. Before that appeal starts again, a completed
        case is started again from the state its last run ended with (a query of the
        closed run), waiting for this appeal, so the appeal's outcome reaches it and a
        changed decision reopens it. The start is signed like an opening: the workflow
        refuses a revival no front door signed."""
        handle = self.client.get_workflow_handle_for(CaseWorkflow.run, case_id)
        description = await handle.describe()
        if description.status is WorkflowExecutionStatus.RUNNING:
            return
        if description.status is not WorkflowExecutionStatus.COMPLETED:
            raise CommandRejected(
                f"case {case_id}'s workflow ended without closing the case "
                f"({description.status.name.lower() if description.status else 'unknown'}); tell the system's operator",
                rule="case.not_revivable",
                kind="DomainError",
            )
        state = await handle.query(CaseWorkflow.state)
        history = await handle.fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        [last] = await self.client.data_converter.decode(started.input.payloads, [CaseInput])
        runs = last.carried.runs + 1 if last.carried is not None else 2
        revived = CaseInput(
            registration=None,
            deadlines=last.deadlines,
            code_version=CURRENT_CODE,
            bound=last.bound,
            search_attributes=last.search_attributes,
            timer_spread=self.settings.deadline_spread,  # a run of today's code spreads its timers as today's cases do
            carried=CarriedCase(state=state, open_appeals=(decision_number,), runs=runs),
        )
        request_id = f"revive/{case_id}/{decision_number}/{runs}"
        revived = revived.model_copy(
            update={"signature": self.signer.sign("case.revive", case_id, revived, request_id)}
        )
        try:
            await self.client.start_workflow(
                CaseWorkflow.run,
                revived,
                id=case_id,
                task_queue=started.task_queue.name,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            pass  # another caller revived it first
        log.info("closed case revived for a late appeal", case_id=case_id, decision_number=decision_number, run=runs)

    async def appeal_state(self, case_id: str, decision_number: int = 1) -> AppealState:
        handle = self.client.get_workflow_handle_for(AppealWorkflow.run, appeal_id(case_id, decision_number))
        return await handle.query(AppealWorkflow.state)

    async def state(self, case_id: str) -> CaseState:
        """The case's state. A query that reaches a run in the instant it continues
        as new can go unanswered; it is asked again (the next run answers)."""
        handle = self.client.get_workflow_handle_for(CaseWorkflow.run, case_id)
        for attempt in range(STATE_QUERY_TRIES):
            try:
                return await handle.query(CaseWorkflow.state, rpc_timeout=STATE_QUERY_TIMEOUT)
            except RPCError as error:
                if (
                    error.status not in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)
                    or attempt == STATE_QUERY_TRIES - 1
                ):
                    raise
        raise AssertionError("unreachable")

    async def outcome(self, case_id: str) -> CaseOutcome:
        """Waits until the case is closed, and answers how it ended.

        A closed case's workflow keeps running while an appeal can still change
        one of its decisions (it may then reopen), so this waits for the closing,
        not for the workflow's end; a workflow that failed raises as its result does."""
        handle = self.client.get_workflow_handle_for(CaseWorkflow.run, case_id)
        while True:
            status = (await handle.describe()).status
            if status is not WorkflowExecutionStatus.RUNNING:
                return await handle.result()  # completed, or raises how it failed
            try:
                state = await self.state(case_id)
            except (WorkflowQueryFailedError, RPCError):
                # a run failing or moving on as we ask: look at its status again
                await asyncio.sleep(OUTCOME_POLL)
                continue
            if state.phase is Phase.CLOSED:
                return CaseOutcome(
                    case_id=state.case_id or case_id,
                    version=state.version,
                    phase=state.phase,
                    closed_reason=state.closed_reason,
                )
            await asyncio.sleep(OUTCOME_POLL)
