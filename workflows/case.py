"""CaseWorkflow: one citizen's case, from need to evaluation, as a durable workflow.

Every human command arrives as the ``act`` update. Its validator runs the
domain's ``decide`` on the current state, so a refused command goes back to
the caller with the domain's message and never enters history. Accepted
events are written to the event log through a local activity (with ids from
the update's id or ``workflow.uuid4()``, so a retry writes nothing twice) and
only then folded into the state: the state never runs ahead of the log. What
is folded is what the log answers it holds (see ``record_case_events``).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy
from temporalio.exceptions import ApplicationError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from domain.case import CaseState, decide, evolve, fold, initial_state
    from domain.deadlines import RecordMissedDeadline
    from domain.errors import DomainError
    from domain.messages import SYSTEM_ACTOR, Command, Event, Role
    from domain.need import RegisterNeed
    from domain.phases import Phase
    from domain.pilot import MeetingScheduled, PilotStarted, RecordCheckIn
    from domain.team import ExpireInvitation, InvitationStatus, RemindInvitation, TeamMemberInvited
    from workflows.case_messages import ActRequest, ActResult, CaseInput, CaseOutcome
    from domain.appeal import AppealStatus, ReopenDecision, appeal_id
    from domain.deadlines import ApplicationReceived, ReceiveApplication, RecordMissedProcessingDeadline
    from domain.hearing import HearingStarted, RecordHearingDeadlinePassed
    from domain.representatives import representatives_in_force
    from domain.visitation import DecisionMade
    from workflows.appeal_messages import AppealInput, AppealOutcome

with workflow.unsafe.imports_passed_through():
    from domain.case_summary import upcoming_deadlines
    from workflows.changes import CASE_SEARCH_ATTRIBUTES, DECISION_LETTER_AND_APPEAL, PHASE_SHOWN_AT_START, taken
    from workflows.search_attributes import CASE_PHASE, CASEWORKER, NEXT_DEADLINE, TARGET_GROUP
    from workflows.recording import record_case_events, send_notification
    from workflows.issuers import verify_in_workflow


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
        self._deadlines = input.deadlines.shared()
        self._code = input.code_version
        # The search attributes this case may set: the ones registered when it was opened
        # (setting one the namespace lacks would fail every workflow task), or, in cases of
        # older code, only CasePhase as before.
        self._indexed = frozenset(input.search_attributes) if taken(CASE_SEARCH_ATTRIBUTES, self._code) else None
        self._shown: dict[str, object] = {}
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task] = []
        # What the case will be once run() has recorded the registration, so an
        # update that arrives before that is still validated, not waved through.
        self._opening: CaseState | None = None
        try:
            self._opening = fold(self._decide(input.registration))
        except ApplicationError:
            pass  # run() refuses the registration and fails the case

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        issuer = input.signature.key_id if input.signature is not None else None
        if not workflow.unsafe.is_replaying():
            # Verified when the case first runs, against when Temporal accepted its
            # start; a replay (keys may have rotated since) repeats what passed then.
            issuer = verify_in_workflow("case.open", input, update=False, at=workflow.info().start_time)
        async with self._lock:
            await self._carry_out(input.registration, request_id="registration", issuer=issuer)
        self._opening = None  # only needed until the registration is recorded
        input.let_go_of_registration()  # nor is the registration: a case may wait for months
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
        update = workflow.current_update_info()
        async with self._lock:
            self._check_version(request)
            issuer = request.signature.key_id if request.signature is not None else None
            return await self._carry_out(request.command, request_id=update.id if update else None, issuer=issuer)

    @act.validator
    def validate_act(self, request: ActRequest) -> None:
        verify_in_workflow("case.act", request)  # first: an unverified caller learns nothing of the case
        command = request.command
        if isinstance(command, RegisterNeed):
            raise ApplicationError(
                "the case is already open; a need is registered by opening a new case",
                {"rule": "case.already_open", "field": "type"},
                type="DomainError",
            )
        if command.actor.role is Role.SYSTEM or command.issued_by_system:
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
        stamp: dict = {"at": workflow.now()}
        if isinstance(command, ReceiveApplication):
            stamp["published"] = self._deadlines  # the municipality's published processing deadlines
        stamped = command.model_copy(update=stamp)
        try:
            return decide(state or self._state, stamped)
        except DomainError as error:
            raise refusal(error) from None

    async def _carry_out(self, command: Command, request_id: str | None, issuer: str | None = None) -> ActResult:
        """Decides the command and records its events. If the log holds events
        this workflow had not folded (a worker died after writing them), folds
        those first and decides again on the state they make; each round folds
        at least one event, so this ends."""
        while True:
            result = await self._record(self._decide(command), request_id, issuer)
            if result is not None:
                return result

    async def _record(self, events: list[Event], request_id: str | None, issuer: str | None = None) -> ActResult | None:
        """Appends and folds the events; None when the log was ahead and the command must be decided again."""
        case_id = self._state.case_id or workflow.info().workflow_id
        phase_before = self._state.phase
        receipt = await record_case_events(
            case_id, self._state.version, events, request_id, code_version=self._code, issuer=issuer
        )
        recorded = events if receipt.stored is None else [stored.event for stored in receipt.stored]
        if receipt.log_was_ahead:
            workflow.logger.warning(
                "case %s: the log held %d events after version %d that the workflow had not folded; folding them",
                case_id, len(recorded), self._state.version,
            )
        for event in recorded:
            self._state = evolve(self._state, event)
        self._react(recorded)
        self._react_to_visitation(recorded)
        if self._state.phase is not phase_before:
            if not self._phase_shown() and (self._indexed is None or CASE_PHASE.name in self._indexed):
                workflow.upsert_search_attributes([CASE_PHASE.value_set(self._state.phase.value)])
            workflow.logger.info("case %s entered phase %s", case_id, self._state.phase.value)
        self._show_in_visibility()
        if receipt.log_was_ahead:
            return None
        return ActResult(
            case_id=case_id,
            version=self._state.version,
            phase=self._state.phase,
            events=[event.type for event in recorded],
            positions=receipt.positions,
        )

    def _phase_shown(self) -> bool:
        """Whether ``CasePhase`` already shows the phase: a case is started showing its
        first one, and an upsert costs the server a write to its visibility store."""
        shown = workflow.info().typed_search_attributes.get(CASE_PHASE)
        return shown == self._state.phase.value and taken(PHASE_SHOWN_AT_START, self._code)

    def _show_in_visibility(self) -> None:
        """Sets the caseworker, the next deadline and the target group as search attributes when
        they changed (one upsert for all that changed), so an operator can find cases with
        ``temporal workflow list --query``. Only in cases of code version 3 or later, and only
        the attributes registered when the case was opened."""
        if not self._indexed:
            return
        deadlines = upcoming_deadlines(self._state, self._deadlines)
        assessment = self._state.assessment
        values = {
            CASEWORKER: self._state.caseworker_id,
            NEXT_DEADLINE: deadlines[0].due_at if deadlines else None,
            TARGET_GROUP: assessment.target_group.code if assessment is not None else None,
        }
        updates = []
        for key, value in values.items():
            if key.name not in self._indexed or self._shown.get(key.name) == value:
                continue
            if value is None and key.name not in self._shown:
                continue  # never set: nothing to clear
            self._shown[key.name] = value
            updates.append(key.value_unset() if value is None else key.value_set(value))
        if updates:
            workflow.upsert_search_attributes(updates)

    # -- what recorded events set in motion -------------------------------------

    def _react(self, events: list[Event]) -> None:
        """Starts the letters and timers that events call for. Runs as tasks so the
        update that recorded the events answers its caller at once."""
        for event in events:
            if isinstance(event, TeamMemberInvited):
                self._background(self._follow_invitation(event))
            elif isinstance(event, PilotStarted):
                self._background(self._check_in_on_pilot())
            elif isinstance(event, MeetingScheduled):
                for person in event.participants:
                    self._background(
                        self._notify(person, "meeting", f"Fællesmøde {event.planned_for:%d.%m.%Y %H:%M}", event.agenda)
                    )

    # -- visitation: processing deadline, hearing, appeal ------------------------

    def _react_to_visitation(self, events: list[Event]) -> None:
        """Timers for the processing deadline (Rsl § 3, stk. 2) and the hearing
        deadline (FVL § 19); the decision letter; an appeal workflow per decision."""
        for event in events:
            if isinstance(event, ApplicationReceived) and event.due_at is not None:
                self._background(self._watch_processing_deadline(event))
            elif isinstance(event, HearingStarted):
                self._background(self._watch_hearing(event))
            elif isinstance(event, DecisionMade) and taken(DECISION_LETTER_AND_APPEAL, self._code):
                # cases decided before this change get neither (their histories must replay)
                self._background(self._notify("citizen", "decision", "Afgørelse i din sag", event.letter))
                self._background(self._follow_appeal(event))

    async def _holds_before(self, condition, deadline) -> bool:
        """True if ``condition`` holds before ``deadline``; False when the deadline passes first."""
        remaining = deadline - workflow.now()
        if remaining.total_seconds() <= 0:
            return condition()
        try:
            await workflow.wait_condition(condition, timeout=remaining)
        except asyncio.TimeoutError:
            return condition()
        return True

    async def _watch_processing_deadline(self, application: ApplicationReceived) -> None:
        """Reminds the caseworker before the deadline; when it passes without a decision,
        records the miss, sends the citizen the notice and escalates to the team lead."""
        decided = lambda: self._state.visitation.decisions > 0 or self._state.phase is Phase.CLOSED  # noqa: E731
        caseworker = self._state.caseworker_id or "caseworker"
        due = application.due_at
        remind_at = due - self._deadlines.processing_reminder
        if remind_at > workflow.now() and not await self._holds_before(decided, remind_at):
            await self._notify(
                caseworker,
                "reminder",
                f"Sagsbehandlingsfristen udløber {due:%d.%m.%Y}",
                f"Afgørelsen om {', '.join(application.applied_for)} skal træffes senest {due:%d.%m.%Y} "
                "(retssikkerhedslovens § 3, stk. 2).",
            )
        if await self._holds_before(decided, due):
            return
        expected_by = workflow.now() + self._deadlines.notice_extension
        if await self._carry_out_for_system(RecordMissedProcessingDeadline(actor=SYSTEM_ACTOR, expected_by=expected_by)):
            missed = self._state.visitation.processing_missed
            await self._notify("citizen", "deadline_notice", "Din sag tager længere tid end kommunens frist", missed.notice)
            await self._notify(
                "team_lead",
                "escalation",
                f"Sagsbehandlingsfristen er overskredet i sag {self._state.case_id}",
                f"Fristen udløb {due:%d.%m.%Y}; borgeren er lovet en afgørelse senest {expected_by:%d.%m.%Y}. "
                f"Sagsbehandler: {caseworker}.",
            )

    async def _watch_hearing(self, started: HearingStarted) -> None:
        """Sends the hearing letter; when the citizen's deadline passes unanswered, records it."""
        await self._notify("citizen", "hearing", "Partshøring før afgørelse", started.letter)

        def settled() -> bool:
            hearing = self._state.visitation.hearing
            return hearing is None or hearing.number != started.number or not hearing.is_open()

        if await self._holds_before(settled, started.due_at):
            return
        if await self._carry_out_for_system(RecordHearingDeadlinePassed(actor=SYSTEM_ACTOR)):
            await self._notify(
                self._state.caseworker_id or "caseworker",
                "hearing_deadline",
                "Høringsfristen er udløbet",
                f"Borgeren har ikke svaret inden {started.due_at:%d.%m.%Y}; afgørelsen kan træffes på det foreliggende grundlag.",
            )

    async def _follow_appeal(self, decision: DecisionMade) -> None:
        """Runs the decision's appeal as a child workflow; a decision changed on
        reconsideration reopens the case for a new decision."""
        case_id = self._state.case_id or workflow.info().workflow_id
        try:
            outcome: AppealOutcome = await workflow.execute_child_workflow(
                "AppealWorkflow",
                AppealInput(
                    case_id=case_id,
                    decision_number=decision.number,
                    outcome=decision.outcome.value,
                    decided_at=decision.occurred_at,
                    caseworker_id=self._state.caseworker_id or "caseworker",
                    deadlines=self._deadlines,
                    code_version=self._code,
                ),
                id=appeal_id(case_id, decision.number),
                result_type=AppealOutcome,
                # the citizen's right to appeal outlives the case's own workflow
                parent_close_policy=ParentClosePolicy.ABANDON,
            )
            if outcome.status is AppealStatus.DECISION_CHANGED and await self._carry_out_for_system(
                ReopenDecision(actor=SYSTEM_ACTOR, appeal_id=outcome.appeal_id, reasons=outcome.reasons)
            ):
                await self._notify(
                    self._state.caseworker_id or "caseworker",
                    "decision_reopened",
                    f"Ny afgørelse i sag {case_id}",
                    f"Genvurderingen ændrede afgørelsen: {outcome.reasons}. Træf den nye afgørelse.",
                )
        except ChildWorkflowError as error:
            workflow.logger.warning("the appeal of decision %s in case %s failed: %s", decision.number, case_id, error)

    def _background(self, work) -> None:
        # Held so a running task is not garbage collected; finished ones are let
        # go, or a case that waits for months would keep every letter's task.
        self._tasks = [task for task in self._tasks if not task.done()]
        self._tasks.append(asyncio.create_task(work))

    async def _notify(self, recipient: str, kind: str, subject: str, body: str) -> None:
        stream = self._state.case_id or workflow.info().workflow_id
        await send_notification(stream, recipient, kind, subject, body, code_version=self._code)
        if recipient == "citizen":
            # FVL § 8: the letters go to the citizen's partsrepræsentant or værge too
            # (a case without representatives sends exactly what it sent before)
            for representative in representatives_in_force(self._state, workflow.now().date()):
                await send_notification(stream, representative.person_id, kind, subject, body, code_version=self._code)

    async def _carry_out_for_system(self, command: Command) -> bool:
        """A command the workflow gives itself when a timer fires; False if the case
        moved on meanwhile (an answer came in the same instant), which is fine."""
        async with self._lock:
            try:
                await self._carry_out(command, request_id=None)
            except ApplicationError:
                return False
            return True

    async def _follow_invitation(self, invited: TeamMemberInvited) -> None:
        """Sends the invitation, reminds halfway to the reply deadline, and lets it
        expire at the deadline so a replacement may be invited."""
        person = invited.invitee
        half = self._deadlines.invitation_reply / 2
        due = invited.occurred_at + self._deadlines.invitation_reply
        await self._notify(
            person.person_id,
            "invitation",
            "Invitation til et hold med borgeren",
            f"{invited.actor.id} inviterer dig som {person.kind.value} ({person.organisation}). "
            f"Svar senest {due:%d.%m.%Y}.",
        )
        still_open = lambda: self._invitation_open(person.person_id, invited)  # noqa: E731
        for step in ("remind", "expire"):
            try:
                await workflow.wait_condition(lambda: not still_open(), timeout=half)
                return
            except asyncio.TimeoutError:
                pass
            if step == "remind":
                if await self._carry_out_for_system(RemindInvitation(actor=SYSTEM_ACTOR, person_id=person.person_id)):
                    await self._notify(person.person_id, "reminder", "Påmindelse: invitation", f"Svar senest {due:%d.%m.%Y}.")
            elif await self._carry_out_for_system(ExpireInvitation(actor=SYSTEM_ACTOR, person_id=person.person_id)):
                await self._notify(
                    self._state.caseworker_id or "caseworker",
                    "invitation_expired",
                    f"{person.name} har ikke svaret",
                    "Invitationen er udløbet; du kan invitere en anden i stedet.",
                )

    def _invitation_open(self, person_id: str, invited: TeamMemberInvited) -> bool:
        member = self._state.team.get(person_id)
        # The same invitation, not a later one to the same person.
        return (
            member is not None
            and member.status is InvitationStatus.INVITED
            and member.invited_at == invited.occurred_at
        )

    async def _check_in_on_pilot(self) -> None:
        """Records a check-in every interval while the pilot runs, and tells the caseworker."""
        while self._state.phase is Phase.PILOT:
            try:
                await workflow.wait_condition(
                    lambda: self._state.phase is not Phase.PILOT, timeout=self._deadlines.pilot_check_in
                )
                return
            except asyncio.TimeoutError:
                pass
            number = self._state.check_ins + 1
            if await self._carry_out_for_system(RecordCheckIn(actor=SYSTEM_ACTOR, number=number)):
                await self._notify(
                    self._state.caseworker_id or "caseworker",
                    "check_in",
                    f"Opfølgning nr. {number} på piloten",
                    "Tid til at følge op på handleplanen med borgeren og holdet.",
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
                await self._carry_out(RecordMissedDeadline(actor=SYSTEM_ACTOR, phase=phase.value, due_at=due), request_id=None)
        await workflow.wait_condition(ended)
