"""CaseWorkflow: one citizen's case, from need to evaluation, as a durable workflow.

A case is opened by update-with-start: its start and the ``open`` update
that carries the registration go to Temporal together, and the update's
validator verifies the front door's signature and runs the domain's ``decide``
on the registration, so the caller learns at once whether the case took it
(and at which position of the log it is recorded). A run started without a
registration it accepts waits ``REGISTRATION_WAIT`` for one and then fails,
recording nothing (``case.not_opened``).

Every later human command arrives as the ``act`` update. Its validator runs the
domain's ``decide`` on the current state, so a refused command goes back to
the caller with the domain's message and never enters history. Accepted
events are written to the event log through a local activity (with ids from
the update's id or ``workflow.uuid4()``, so a retry writes nothing twice) and
only then folded into the state: the state never runs ahead of the log. What
is folded is what the log answers it holds (see ``record_case_events``).

A bounded history. A case may run for decades, so one run never grows without
limit: the workflow continues as new when a run has accepted ``RunBound.updates``
commands (1,000 by default) or holds ``RunBound.events`` history events (1,000:
a cold replay of a full run stays under two seconds),
when Temporal suggests it, and at the boundaries of a cycle (a decision about the
help, a follow-up recorded). It carries its folded state, not its events
(``CarriedCase``: the state, whose version is the log position, the appeals
still open and the outcomes already acted on), waits first for every handler
and every letter in flight, and the new run arms its timers again from the
state. A command that arrives while the run is about to continue is refused
before it is accepted (``CaseMovingOn``, nothing recorded) and the client sends
it again to the new run (``app.cases.CaseClient.act``), so no command fails on
the bound.

Closed is not the end. Each decision's appeal runs as a child workflow that
outlives the run (parent close policy ABANDON) and is not awaited across runs;
the appeal tells the case its outcome by the ``appeal_outcome`` signal. An
outcome that changes the decision (reconsideration changed it, Ankestyrelsen
changed it or sent it back) reopens the decision, also in a closed case, which
goes back to visitation for the new decision. A closed case's workflow stays
running, idle, while any appeal can still change a decision, and completes
only when none can.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ApplicationError, ChildWorkflowError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from domain.appeal import ReopenDecision, appeal_id
    from domain.case.deadlines import (
        ApplicationReceived,
        ReceiveApplication,
        RecordMissedDeadline,
        spread_offset,
    )
    from domain.case.decider import CaseState, decide, evolve, fold, initial_state
    from domain.case.decision import DecisionMade
    from domain.case.follow_up import FollowUpRecorded, HelpChoice, HelpDecided, RecordFollowUpDue, next_follow_up_at
    from domain.case.hearing import HearingStarted, RecordHearingDeadlinePassed
    from domain.case.meetings import MeetingScheduled
    from domain.case.need import RegisterNeed
    from domain.case.pilot import PilotStarted, RecordCheckIn
    from domain.case.processing_notice import (
        ExpectedDatePassed,
        ProcessingDeadlinePassed,
        ProcessingDelayNotified,
        RecordExpectedDatePassed,
        RecordProcessingDeadlinePassed,
    )
    from domain.case.representatives import representatives_in_force
    from domain.case.revisitation import ApplicationStatus
    from domain.case.team import ExpireInvitation, InvitationStatus, RemindInvitation, TeamMemberInvited
    from domain.messages import SYSTEM_ACTOR, Command, Event
    from domain.phases import Phase
    from workflows.appeal_messages import AppealInput, AppealOutcome
    from workflows.case_messages import ActRequest, ActResult, CarriedCase, CaseInput, CaseOutcome, OpenRequest

with workflow.unsafe.imports_passed_through():
    from activities.messages import PilotProposal
    from domain.case_summary import upcoming_deadlines
    from workflows.issuers import verify_in_workflow
    from workflows.recording import record_case_events, send_notification
    from workflows.search_attributes import CASE_PHASE, CASEWORKER, NEXT_DEADLINE, TARGET_GROUP
    from workflows.shell import (
        carry_out,
        decided,
        folded,
        for_system,
        holds_before,
        recorded_events,
        refuse_the_systems,
    )


#: The error type of a command refused because the run is about to continue as new.
MOVING_ON = "CaseMovingOn"
#: How long a case's first run waits for a registration it accepts. The ``open`` update comes
#: with the start (update-with-start), in the run's first workflow task; the wait only covers a
#: client that sends it again after losing the server's answer. A run started any other way
#: (a start alone, or an opening whose registration was refused) fails after it, recording
#: nothing, rather than waiting for ever; five minutes is also how long a front door's
#: signature stays valid by default (``workflows.issuers.DEFAULT_MAX_AGE``).
REGISTRATION_WAIT = timedelta(minutes=5)


@workflow.defn
class CaseWorkflow:
    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        carried = input.carried
        self._state: CaseState = carried.state if carried is not None else initial_state()
        self._deadlines = input.deadlines.shared()
        self._code = input.code_version
        self._bound = input.bound
        # Every timer many cases share (a phase deadline, the processing deadline, a hearing, a
        # follow-up, an invitation, a check-in, and the timers of the appeals it starts) fires
        # this case's own share of the spread after its moment, fixed from its id, so the cases
        # of one day do not all wake in the same instant; what is recorded carries the real time.
        self._timer_spread = input.timer_spread
        self._later = spread_offset(workflow.info().workflow_id, input.timer_spread)
        # The search attributes this case may set: the ones registered when it was opened
        # (setting one the namespace lacks would fail every workflow task). What a continued
        # run shows came with it.
        self._indexed = frozenset(input.search_attributes)
        shown = workflow.info().typed_search_attributes
        self._shown: dict[str, object] = {key.name: shown.get(key) for key in (CASEWORKER, NEXT_DEADLINE, TARGET_GROUP)
                                          if shown.get(key) is not None}  # fmt: skip
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task] = []
        # Bookkeeping carried across runs (CarriedCase), and this run's own.
        self._open_appeals: set[int] = set(carried.open_appeals) if carried is not None else set()
        self._outcomes_seen: set[str] = set(carried.outcomes_seen) if carried is not None else set()
        self._runs = carried.runs if carried is not None else 1
        self._updates = 0  # commands this run has accepted
        self._sending = 0  # letters and system commands in flight
        self._cycle_ended = False  # a cycle's boundary passed: continue as new
        self._continuing = False
        self._recent: list[Event] = []  # the events the last command recorded
        self._appeal_handles: list = []  # the appeals this run started
        self._input = input  # what the ``open`` update's signature covers, with its registration
        self._registering = False  # an ``open`` update was accepted
        self._registered = False  # ... and its handler has finished (recorded, or failed)
        # What the case will be once the ``open`` update has recorded the registration, so an
        # ``act`` that arrives before that is still validated, not waved through.
        self._opening: CaseState | None = None

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        if input.carried is None:
            await self._until_opened()
        else:
            if workflow.info().continued_run_id is None and not workflow.unsafe.is_replaying():
                # Not this case's own continue-as-new but a new start that carries a state: a
                # closed case revived for a late appeal. Only a front door may do that, signed.
                verify_in_workflow("case.revive", input, update=False, at=workflow.info().start_time)
            # a run that continues the case (verified when it was opened, or revived): arm its timers again
            self._rearm()
        while not self._moving_on():
            if self._state.phase is Phase.CLOSED:
                if not self._open_appeals:
                    # no appeal can change a decision any more: the case is done,
                    # unless a handler still running reopens it
                    await workflow.wait_condition(workflow.all_handlers_finished)
                    if self._state.phase is Phase.CLOSED and not self._open_appeals:
                        await self._appeals_of_this_run_ended()
                        break
                    continue
                await workflow.wait_condition(
                    lambda: self._state.phase is not Phase.CLOSED or not self._open_appeals or self._moving_on()
                )
            else:
                await self._until_phase_ends()
        if self._moving_on():
            await self._continue_as_new(input)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return CaseOutcome(
            case_id=self._state.case_id or workflow.info().workflow_id,
            version=self._state.version,
            phase=self._state.phase,
            closed_reason=self._state.closed_reason,
        )

    async def _until_opened(self) -> None:
        """Waits until the ``open`` update has recorded the registration; fails the run,
        with nothing recorded, when none is accepted in ``REGISTRATION_WAIT`` or the accepted
        one could not be recorded (a non-retryable failure: the run must end, not retry)."""
        if not self._registering:  # the ``open`` sent with the start is handled before run(): no timer then
            try:
                await workflow.wait_condition(lambda: self._registering, timeout=REGISTRATION_WAIT)
            except TimeoutError:
                raise ApplicationError(
                    f"no registration was accepted within {REGISTRATION_WAIT} of the case's start, so the case was "
                    "not opened and nothing was recorded; a case is opened by its 'open' update, sent with its start",
                    {"rule": "case.not_opened", "field": None},
                    type="CaseNotOpened",
                    non_retryable=True,
                ) from None
        await workflow.wait_condition(lambda: self._registered)
        self._opening = None  # only needed until the registration is recorded
        if self._state.phase is Phase.NEW:
            raise ApplicationError(
                "the accepted registration could not be recorded, so the case was not opened",
                {"rule": "case.not_opened", "field": None},
                type="CaseNotOpened",
                non_retryable=True,
            )

    @workflow.update
    async def open(self, request: OpenRequest) -> ActResult:
        """Records the case's registration (sent with the start: update-with-start) and answers
        as ``act`` does: the version and the position of the registration in the log."""
        self._registering = True
        self._updates += 1  # an update like any other toward the run's bound
        try:
            self._opening = fold(self._decide(request.registration))
            issuer = request.signature.key_id if request.signature is not None else None
            async with self._lock:
                return await self._carry_out(request.registration, request_id="registration", issuer=issuer)
        finally:
            self._registered = True
            self._note_bound()

    @open.validator
    def validate_open(self, request: OpenRequest) -> None:
        # First, as for ``act``: an unverified caller learns nothing of the case. The signature
        # covers the registration with the start input (``CaseInput.opening``), for this update id.
        verify_in_workflow("case.open", self._input.opening(request))
        if self._registering or self._input.carried is not None or self._state.phase is not Phase.NEW:
            raise ApplicationError(
                "the case is already open; a need is registered by opening a new case",
                {"rule": "case.already_open", "field": "type"},
                type="DomainError",
            )
        refuse_the_systems(request.registration, "case.role_not_allowed")
        self._decide(request.registration)

    @workflow.query
    def state(self) -> CaseState:
        return self._state

    @workflow.signal(name="appeal_outcome")
    async def appeal_outcome(self, outcome: AppealOutcome) -> None:
        """An appeal's last word (``workflows/appeal.py`` sends it): the appeal leaves the
        case's open appeals, and an outcome that changes the decision reopens it."""
        await self._on_appeal_outcome(outcome)

    # -- a bounded history --------------------------------------------------------

    def _moving_on(self) -> bool:
        """Whether this run is done and the case goes on in a new run (see the module's docstring).

        Only what changed in an activation of this workflow counts, so that the
        run's loop wakes in the same activation: a bound is looked at as each
        command is answered (``_note_bound``), not when a command is refused."""
        return self._continuing or self._cycle_ended

    def _note_bound(self) -> None:
        """After an accepted command: if the run has reached its bound, it moves on."""
        if self._continuing:
            return
        info = workflow.info()
        if (
            self._updates >= self._bound.updates
            or info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self._bound.events
        ):
            self._continuing = True

    async def _continue_as_new(self, input: CaseInput) -> None:
        self._continuing = True  # from here every new command is refused, to be sent again to the next run
        await workflow.wait_condition(
            lambda: workflow.all_handlers_finished() and self._sending == 0 and not self._lock.locked()
        )
        workflow.logger.info(
            "case %s continues as new after run %d (%d commands, %d history events)",
            self._state.case_id,
            self._runs,
            self._updates,
            workflow.info().get_current_history_length(),
        )
        workflow.continue_as_new(
            CaseInput(
                registration=None,
                deadlines=self._deadlines,
                code_version=self._code,
                bound=self._bound,
                search_attributes=input.search_attributes,
                timer_spread=input.timer_spread,
                carried=CarriedCase(
                    state=self._state,
                    open_appeals=tuple(sorted(self._open_appeals)),
                    outcomes_seen=tuple(sorted(self._outcomes_seen)),
                    runs=self._runs + 1,
                ),
            )
        )

    def _rearm(self) -> None:
        """Arms the timers a continued case had, from its state: invitations awaiting
        an answer, the pilot's check-ins, the processing and hearing deadlines, the
        next follow-up. Letters already sent are not sent again."""
        state = self._state
        for member in state.open_invitations():
            self._background(self._follow_invitation(member, member.invited_at, letter=False))
        if state.phase is Phase.PILOT:
            self._background(self._check_in_on_pilot())
        record = state.visitation
        application = record.application
        if (
            application is not None
            and application.due_at is not None
            and not self._application_settled(application.received_at)
        ):
            self._background(self._watch_processing_deadline(application))
        if (
            record.hearing is not None and record.hearing.is_open()
        ):  # a passed deadline not yet recorded is recorded now
            self._background(self._watch_hearing(record.hearing.number, record.hearing.due_at, letter=None))
        if state.phase is Phase.FOLLOW_UP:
            self._background(self._follow_ups())

    @workflow.update
    async def act(self, request: ActRequest) -> ActResult:
        # An update can arrive before run() has registered the need.
        await workflow.wait_condition(lambda: self._state.phase is not Phase.NEW)
        update = workflow.current_update_info()
        self._updates += 1
        async with self._lock:
            self._check_version(request)
            issuer = request.signature.key_id if request.signature is not None else None
            try:
                return await self._carry_out(request.command, request_id=update.id if update else None, issuer=issuer)
            finally:
                self._note_bound()

    @act.validator
    def validate_act(self, request: ActRequest) -> None:
        verify_in_workflow("case.act", request)  # first: an unverified caller learns nothing of the case
        if self._moving_on():
            # Refused before it is accepted (nothing recorded, no trace in history): the
            # client sends it again, and it reaches the next run.
            raise ApplicationError(
                "the case is moving to a new run of its workflow; send the command again",
                {"rule": "case.continuing_as_new", "field": None},
                type=MOVING_ON,
            )
        command = request.command
        if isinstance(command, RegisterNeed):
            raise ApplicationError(
                "the case is already open; a need is registered by opening a new case",
                {"rule": "case.already_open", "field": "type"},
                type="DomainError",
            )
        refuse_the_systems(command, "case.role_not_allowed")
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
        stamp: dict = {}
        if isinstance(command, ReceiveApplication):
            stamp["published"] = self._deadlines  # the municipality's published processing deadlines
        return decided(decide, state or self._state, command, **stamp)

    async def _carry_out(self, command: Command, request_id: str | None, issuer: str | None = None) -> ActResult:
        """Decides the command and records its events, again while the log was ahead (``shell.carry_out``)."""
        return await carry_out(lambda: self._decide(command), lambda events: self._record(events, request_id, issuer))

    async def _record(self, events: list[Event], request_id: str | None, issuer: str | None = None) -> ActResult | None:
        """Appends and folds the events; None when the log was ahead and the command must be decided again."""
        case_id = self._state.case_id or workflow.info().workflow_id
        phase_before = self._state.phase
        receipt = await record_case_events(case_id, self._state.version, events, request_id, issuer=issuer)
        recorded = recorded_events(events, receipt)
        if receipt.folded_before:
            # the command took effect before (its events came in when the log was found ahead): its answer
            return ActResult(case_id=case_id, version=self._state.version, phase=self._state.phase,
                             events=[event.type for event in recorded], positions=receipt.positions)  # fmt: skip
        if receipt.log_was_ahead:
            workflow.logger.warning(
                "case %s: the log held %d events after version %d that the workflow had not folded; folding them",
                case_id,
                len(recorded),
                self._state.version,
            )
        self._state = folded(evolve, self._state, recorded)
        self._recent = recorded
        if any(isinstance(event, (HelpDecided, FollowUpRecorded)) for event in recorded):
            self._cycle_ended = True  # a cycle's boundary: the next run starts from here
        self._react(recorded)
        self._react_to_visitation(recorded)
        if self._state.phase is not phase_before:
            if not self._phase_shown() and CASE_PHASE.name in self._indexed:
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
        return shown == self._state.phase.value

    def _show_in_visibility(self) -> None:
        """Sets the caseworker, the next deadline and the target group as search attributes when
        they changed (one upsert for all that changed), so an operator can find cases with
        ``temporal workflow list --query``. Only the attributes registered when the case was
        opened."""
        if not self._indexed:
            return
        deadlines = upcoming_deadlines(self._state, self._deadlines)
        assessment = self._state.assessment
        values: dict[SearchAttributeKey[Any], Any] = {
            CASEWORKER: self._state.caseworker_id,
            NEXT_DEADLINE: deadlines[0].due_at if deadlines else None,
            TARGET_GROUP: assessment.target_group.code if assessment is not None else None,
        }
        updates = []
        for key, value in values.items():
            if key.name not in self._indexed or self._shown.get(key.name) == value:
                continue
            if value is None and (key.name not in self._shown or key is NEXT_DEADLINE):
                # never set: nothing to clear. A Datetime is never cleared: the SDK's client
                # cannot read back a cleared Datetime (describe() fails), so a case with
                # nothing due keeps its last NextDeadline; query it with CasePhase.
                continue
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
                self._background(self._follow_invitation(event.invitee, event.occurred_at, invited_by=event.actor.id))
            elif isinstance(event, PilotStarted):
                self._background(self._check_in_on_pilot())
            elif isinstance(event, HelpDecided):
                self._background(self._notify("citizen", "decision", "Afgørelse om din hjælp", event.letter))
                self._background(self._follow_appeal(event.number, f"help_{event.choice.value}", event.occurred_at))
                if event.choice is HelpChoice.ADJUST:
                    self._background(self._check_in_on_pilot())  # a new pilot cycle
                elif event.choice in (HelpChoice.CONTINUE, HelpChoice.SCALE) and self._state.phase is Phase.FOLLOW_UP:
                    self._background(self._follow_ups())
                if event.choice is HelpChoice.SCALE and event.forum_id:
                    self._background(self._propose_to_forum(event.forum_id, event.number))
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
            elif isinstance(event, ProcessingDelayNotified):
                self._background(
                    self._notify(
                        "citizen", "deadline_notice", "Din sag tager længere tid end kommunens frist", event.notice
                    )
                )
            elif isinstance(event, HearingStarted):
                self._background(self._watch_hearing(event.number, event.due_at, letter=event.letter))
            elif isinstance(event, DecisionMade):
                self._background(self._notify("citizen", "decision", "Afgørelse i din sag", event.letter))
                self._background(self._follow_appeal(event.number, event.outcome.value, event.occurred_at))

    def _application_settled(self, received_at) -> bool:
        entry = next((a for a in self._state.visitation.applications if a.received_at == received_at), None)
        return entry is None or entry.status is not ApplicationStatus.PENDING

    def _wakes_at(self, moment: datetime) -> datetime:
        """When a timer for ``moment`` fires: this case's share of the spread after it, so
        the many cases whose deadline falls on the same date or midnight do not wake in one instant."""
        return moment + self._later

    async def _watch_processing_deadline(self, application: ApplicationReceived) -> None:
        """Reminds the caseworker before the deadline; when it passes without a decision,
        records the miss, sends the citizen the notice and escalates to the team lead."""
        # this application decided or withdrawn (a case may have several, one after another)
        decided = lambda: self._application_settled(application.received_at) or self._state.phase is Phase.CLOSED  # noqa: E731
        caseworker = self._state.caseworker_id or "caseworker"
        due = application.due_at
        assert due is not None  # watched only for an application with a processing deadline
        remind_at = due - self._deadlines.processing_reminder
        if remind_at > workflow.now() and not await holds_before(decided, self._wakes_at(remind_at)):
            await self._notify(
                caseworker,
                "reminder",
                f"Sagsbehandlingsfristen udløber {due:%d.%m.%Y}",
                f"Afgørelsen om {', '.join(application.applied_for)} skal træffes senest {due:%d.%m.%Y} "
                "(retssikkerhedslovens § 3, stk. 2).",
            )
        if await holds_before(decided, self._wakes_at(due)):
            return
        await self._after_processing_deadline(application, decided)

    async def _after_processing_deadline(self, application: ApplicationReceived, decided) -> None:
        """Rsl § 3, stk. 2, with no date made up: when the deadline passes, the citizen is
        told and the caseworker asked for the expected date (unless they gave one);
        each time the date given passes without a decision, the citizen is told again."""
        caseworker = self._state.caseworker_id or "caseworker"
        due = application.due_at
        if not self._state.visitation.delay.deadline_passed and await self._carry_out_for_system(
            RecordProcessingDeadlinePassed(actor=SYSTEM_ACTOR)
        ):
            passed = next(e for e in reversed(self._recent) if isinstance(e, ProcessingDeadlinePassed))
            await self._notify(
                "citizen", "deadline_notice", "Din sag tager længere tid end kommunens frist", passed.notice
            )
            await self._notify(
                "team_lead",
                "escalation",
                f"Sagsbehandlingsfristen er overskredet i sag {self._state.case_id}",
                f"Fristen udløb {due:%d.%m.%Y}. Sagsbehandler: {caseworker}.",
            )
            if passed.expected_by is None:
                await self._ask_for_expected_date(caseworker, f"Fristen udløb {due:%d.%m.%Y}")
        while not decided():
            delay = self._state.visitation.delay
            expected = delay.expected_by

            def changed(expected: date | None = expected) -> bool:  # this round's date, bound now
                return decided() or self._state.visitation.delay.expected_by != expected

            if expected is None or delay.expected_passed:  # the caseworker is asked for a (new) date
                await workflow.wait_condition(changed)
                continue
            # the date given is kept if the decision comes during that day
            day_after = datetime.combine(expected + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
            if await holds_before(changed, self._wakes_at(day_after)):
                continue
            if await self._carry_out_for_system(RecordExpectedDatePassed(actor=SYSTEM_ACTOR, expected_by=expected)):
                date_passed = next(e for e in reversed(self._recent) if isinstance(e, ExpectedDatePassed))
                await self._notify(
                    "citizen", "deadline_notice", "Din sag tager længere tid end vi skrev", date_passed.notice
                )
                await self._ask_for_expected_date(caseworker, f"Den forventede dato {expected:%d.%m.%Y} er passeret")
            else:
                # refused: the date changed in the same instant; go round again on the state
                def changed_or_passed(changed: Callable[[], bool] = changed) -> bool:  # this round's, bound now
                    return changed() or self._state.visitation.delay.expected_passed

                await workflow.wait_condition(changed_or_passed)

    async def _ask_for_expected_date(self, caseworker: str, why: str) -> None:
        await self._notify(
            caseworker,
            "expected_date_needed",
            f"Sæt en forventet dato for afgørelsen i sag {self._state.case_id}",
            f"{why} uden afgørelse. Skriv til borgeren, hvornår en afgørelse kan forventes, og hvorfor "
            "(notify_processing_delay; retssikkerhedslovens § 3, stk. 2).",
        )

    async def _watch_hearing(self, number: int, due_at, letter: str | None) -> None:
        """Sends the hearing letter (not again in a continued run: ``letter`` None);
        when the citizen's deadline passes unanswered, records it."""
        if letter is not None:
            await self._notify("citizen", "hearing", "Partshøring før afgørelse", letter)

        def settled() -> bool:
            hearing = self._state.visitation.hearing
            return hearing is None or hearing.number != number or not hearing.is_open()

        if await holds_before(settled, self._wakes_at(due_at)):
            return
        if await self._carry_out_for_system(RecordHearingDeadlinePassed(actor=SYSTEM_ACTOR)):
            await self._notify(
                self._state.caseworker_id or "caseworker",
                "hearing_deadline",
                "Høringsfristen er udløbet",
                f"Borgeren har ikke svaret inden {due_at:%d.%m.%Y}; afgørelsen kan træffes på det foreliggende grundlag.",
            )

    async def _propose_to_forum(self, forum: str, number: int) -> None:
        """The pilot's way of working goes to the target group's forum: a signal that names
        the case and the decision (the forum reads the proposal from the log). A forum not
        open for the target group cannot take it: the caseworker is told."""
        case_id = self._state.case_id or workflow.info().workflow_id
        try:
            await workflow.get_external_workflow_handle(forum).signal(
                "pilot_proposal", PilotProposal(case_id=case_id, decision_number=number, forum_id=forum)
            )
        except ApplicationError as error:
            workflow.logger.warning("case %s could not reach forum %s: %s", case_id, forum, error)
            await self._notify(
                self._state.caseworker_id or "caseworker",
                "forum_not_open",
                "Forslaget nåede ikke forummet",
                f"Forummet for målgruppen ({forum}) er ikke åbnet, så forslaget fra afgørelse nr. {number} "
                "er ikke nået frem. Åbn forummet, og bring forslaget dertil som en iagttagelse.",
            )

    async def _follow_appeal(self, number: int, outcome: str, decided_at) -> None:
        """Starts the decision's appeal as a child workflow that outlives the case's
        run (parent close policy ABANDON) and is not awaited: the appeal tells the
        case its outcome by the ``appeal_outcome`` signal when it ends."""
        case_id = self._state.case_id or workflow.info().workflow_id
        try:
            self._open_appeals.add(number)
            self._sending += 1  # a run does not continue as new before its appeal has started
            try:
                handle = await self._start_appeal(case_id, number, outcome, decided_at)
            finally:
                self._sending -= 1
            self._appeal_handles.append(handle)
        except ChildWorkflowError as error:
            self._open_appeals.discard(number)
            workflow.logger.warning("the appeal of decision %s in case %s failed: %s", number, case_id, error)

    async def _appeals_of_this_run_ended(self) -> None:
        """The appeals this run started have told their outcome; their workflows end
        just after. The case ends after them, so their ends reach a running parent."""
        for handle in self._appeal_handles:
            try:
                await handle
            except ChildWorkflowError:
                pass  # ended without an outcome: logged where it was started

    async def _start_appeal(self, case_id: str, number: int, outcome: str, decided_at):
        return await workflow.start_child_workflow(
            "AppealWorkflow",
            AppealInput(
                case_id=case_id,
                decision_number=number,
                outcome=outcome,
                decided_at=decided_at,
                caseworker_id=self._state.caseworker_id or "caseworker",
                deadlines=self._deadlines,
                code_version=self._code,
                timer_spread=self._timer_spread,
            ),
            id=appeal_id(case_id, number),
            result_type=AppealOutcome,
            # the citizen's right to appeal outlives the case's own workflow
            parent_close_policy=ParentClosePolicy.ABANDON,
        )

    async def _on_appeal_outcome(self, outcome: AppealOutcome) -> None:
        """An appeal's outcome (sent when the appeal ends): a decision it changed is
        reopened, and the appeal no longer keeps the case's workflow waiting. The
        same outcome twice counts once."""
        seen = f"{outcome.appeal_id}:{outcome.kind.value}"
        if seen in self._outcomes_seen:
            return
        self._outcomes_seen.add(seen)
        try:
            if outcome.asks_for_new_decision:  # changed on reconsideration, or by Ankestyrelsen, or sent back
                await self._reopen(outcome)
        finally:
            self._open_appeals.discard(outcome.decision_number)  # the appeal's last word

    async def _reopen(self, outcome: AppealOutcome) -> None:
        case_id = self._state.case_id or workflow.info().workflow_id
        reasons = outcome.reasons
        if await self._carry_out_for_system(
            ReopenDecision(actor=SYSTEM_ACTOR, appeal_id=outcome.appeal_id, reasons=reasons)
        ):
            await self._notify(
                self._state.caseworker_id or "caseworker",
                "decision_reopened",
                f"Ny afgørelse i sag {case_id}",
                f"Klagen over afgørelse nr. {outcome.decision_number} endte med {outcome.kind.value}: {reasons}. "
                "Træf den nye afgørelse.",
            )

    def _background(self, work) -> None:
        # Held so a running task is not garbage collected; finished ones are let
        # go, or a case that waits for months would keep every letter's task.
        self._tasks = [task for task in self._tasks if not task.done()]
        self._tasks.append(asyncio.create_task(work))

    async def _notify(self, recipient: str, kind: str, subject: str, body: str) -> None:
        stream = self._state.case_id or workflow.info().workflow_id
        self._sending += 1  # a run does not continue as new with a letter half sent
        try:
            await send_notification(stream, recipient, kind, subject, body)
            if recipient == "citizen":
                # FVL § 8: the letters go to the citizen's partsrepræsentant or værge too
                # (a case without representatives sends exactly what it sent before)
                for representative in representatives_in_force(self._state, workflow.now().date()):
                    await send_notification(stream, representative.person_id, kind, subject, body)
        finally:
            self._sending -= 1

    async def _carry_out_for_system(self, command: Command) -> bool:
        """A command the workflow gives itself when a timer fires; False if the case
        moved on meanwhile (an answer came in the same instant), which is fine."""
        self._sending += 1
        try:
            return await for_system(self._lock, lambda: self._carry_out(command, request_id=None))
        finally:
            self._sending -= 1

    async def _follow_invitation(self, person, invited_at, letter: bool = True, invited_by: str = "") -> None:
        """Sends the invitation, reminds halfway to the reply deadline, and lets it
        expire at the deadline so a replacement may be invited. In a continued run
        (``letter`` False) the invitation is not sent again and the timers run to
        the same moments as before."""
        half = self._deadlines.invitation_reply / 2
        due = invited_at + self._deadlines.invitation_reply
        if letter:
            await self._notify(
                person.person_id,
                "invitation",
                "Invitation til et hold med borgeren",
                f"{invited_by} inviterer dig som {person.kind.value} ({person.organisation}). "
                f"Svar senest {due:%d.%m.%Y}.",
            )
        still_open = lambda: self._invitation_open(person.person_id, invited_at)  # noqa: E731
        for step in ("remind", "expire"):
            member = self._state.team.get(person.person_id)
            if step == "remind" and not letter and member is not None and member.reminded:
                continue  # reminded in an earlier run
            if await holds_before(
                lambda: not still_open(), self._wakes_at(invited_at + (half if step == "remind" else half * 2))
            ):
                return
            if step == "remind":
                if await self._carry_out_for_system(RemindInvitation(actor=SYSTEM_ACTOR, person_id=person.person_id)):
                    await self._notify(
                        person.person_id, "reminder", "Påmindelse: invitation", f"Svar senest {due:%d.%m.%Y}."
                    )
            elif await self._carry_out_for_system(ExpireInvitation(actor=SYSTEM_ACTOR, person_id=person.person_id)):
                await self._notify(
                    self._state.caseworker_id or "caseworker",
                    "invitation_expired",
                    f"{person.name} har ikke svaret",
                    "Invitationen er udløbet; du kan invitere en anden i stedet.",
                )

    def _invitation_open(self, person_id: str, invited_at) -> bool:
        member = self._state.team.get(person_id)
        # The same invitation, not a later one to the same person.
        return member is not None and member.status is InvitationStatus.INVITED and member.invited_at == invited_at

    async def _check_in_on_pilot(self) -> None:
        """Records a check-in every interval while the pilot runs, and tells the caseworker.
        The check-ins fall at fixed moments from the pilot's start, so a continued run
        arms the next one from the state."""
        interval = self._deadlines.pilot_check_in
        since = self._state.phase_since
        while self._state.phase is Phase.PILOT:
            ended = lambda: self._state.phase is not Phase.PILOT or self._state.phase_since != since  # noqa: E731
            if since is not None:
                if await holds_before(ended, self._wakes_at(since + interval * (self._state.check_ins + 1))):
                    return
            else:
                try:
                    await workflow.wait_condition(ended, timeout=interval)
                    return
                except TimeoutError:
                    pass
            number = self._state.check_ins + 1
            if await self._carry_out_for_system(RecordCheckIn(actor=SYSTEM_ACTOR, number=number)):
                await self._notify(
                    self._state.caseworker_id or "caseworker",
                    "check_in",
                    f"Opfølgning nr. {number} på piloten",
                    "Tid til at følge op på handleplanen med borgeren og holdet.",
                )

    def _recorded_miss(self, phase: Phase, due: datetime) -> bool:
        return any(m.phase == phase.value and m.due_at == due for m in self._state.missed_deadlines)

    async def _until_phase_ends(self) -> None:
        """Waits for the phase to change; if its deadline passes first, records the miss once."""
        phase = self._state.phase
        limit = self._deadlines.for_phase(phase.value)
        ended = lambda: self._state.phase is not phase or self._moving_on()  # noqa: E731
        if limit is None or self._state.phase_since is None:
            await workflow.wait_condition(ended)
            return
        due = self._state.phase_since + limit
        # The timer fires this case's share of the spread after the deadline (see ``__init__``).
        remaining = max(due + self._later - workflow.now(), timedelta(0))
        try:
            await workflow.wait_condition(ended, timeout=remaining)
        except TimeoutError:
            pass
        else:
            if workflow.now() > due and self._state.phase is not phase and not self._recorded_miss(phase, due):
                # the phase ended after its deadline, before the spread timer fired: the miss is recorded all the same
                await self._carry_out_for_system(
                    RecordMissedDeadline(actor=SYSTEM_ACTOR, phase=phase.value, due_at=due)
                )
            return
        if self._recorded_miss(phase, due):
            await workflow.wait_condition(ended)  # recorded by an earlier run
            return
        async with self._lock:
            if self._state.phase is phase:
                await self._carry_out(
                    RecordMissedDeadline(actor=SYSTEM_ACTOR, phase=phase.value, due_at=due), request_id=None
                )
        await workflow.wait_condition(ended)

    # -- follow-up (SEL § 148, stk. 2) ---------------------------------------------

    async def _follow_ups(self) -> None:
        """While the help goes on in follow-up, records that a follow-up is due an
        interval after the last one (``PhaseDeadlines.follow_up_interval``) and asks
        the caseworker to hold it; the next is counted from when it is recorded."""
        interval = self._deadlines.follow_up_interval
        while True:
            due_at = next_follow_up_at(self._state, interval)
            if due_at is None:
                return
            record = self._state.follow_up
            if record.due > record.recorded:
                # one is due and not yet held: wait for it (or for the case to move on)
                await workflow.wait_condition(
                    lambda: (
                        self._state.follow_up.recorded >= self._state.follow_up.due
                        or self._state.phase is not Phase.FOLLOW_UP
                    )
                )
                continue
            marker = (record.recorded, record.help_decisions, self._state.phase)

            def moved(marker: tuple[int, int, Phase] = marker) -> bool:  # this round's, bound now
                return (
                    self._state.follow_up.recorded,
                    self._state.follow_up.help_decisions,
                    self._state.phase,
                ) != marker

            if await holds_before(moved, self._wakes_at(due_at)):
                continue
            number = record.due + 1
            if await self._carry_out_for_system(RecordFollowUpDue(actor=SYSTEM_ACTOR, number=number)):
                await self._notify(
                    self._state.caseworker_id or "caseworker",
                    "follow_up_due",
                    f"Opfølgning nr. {number} i sag {self._state.case_id}",
                    "Tid til at følge op på hjælpen med borgeren: opfylder den fortsat sit formål, "
                    "eller er der brug for anden hjælp (servicelovens § 148, stk. 2)?",
                )
