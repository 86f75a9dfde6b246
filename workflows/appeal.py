"""AppealWorkflow: the appeal of one decision, with its windows as timers.

Started by the CaseWorkflow as a child for every decision (id and event-log
stream ``appeal_id(case_id, decision_number)``). It is the single writer of
the appeal's own stream:

1. the appeal window (Rsl § 67, 4 weeks from the letter's receipt to the end
   of the day, past weekends and holidays: ``domain.appeal_window``). The
   receipt is ``AppealInput.letter_available_at`` or, recorded later, the
   ``letter_delivered`` signal; until then the decision's time stands for it
   (a letter in Digital Post counts as received the day it is sent). A window
   that closes unused ends the workflow: nothing waits for a year. A late
   appeal afterwards is never refused: the client starts the appeal again
   (``AppealInput.resume``), the new run finds the appeal in the event log and
   receives it, flagged late with the citizen's reason;
2. the reconsideration (Rsl § 66, 4 weeks from the appeal): when it passes,
   the delay is recorded and escalated to the team lead;
3. upheld: the appeal goes to Ankestyrelsen (an event, and the letter, which
   says whether and why it is late); the workflow then waits, idle (no timer,
   so its history does not grow), for Ankestyrelsen's decision recorded by a
   caseworker, or for a withdrawal; changed: the workflow ends.

When it ends it tells its case by the ``appeal_outcome`` signal (an
``AppealOutcome``: changed on reconsideration, Ankestyrelsen's upheld, changed,
sent back or dismissed, withdrawn, window closed unused) and returns the same
outcome. The case decides what follows (a new decision when
``asks_for_new_decision``). Humans act through the ``act`` update, validated
by the appeal decider.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from domain.appeal import (
        ANKESTYRELSEN,
        AnkestyrelsenOutcome,
        AppealOutcomeKind,
        AppealState,
        AppealStatus,
        CloseAppealWindow,
        OpenAppealWindow,
        RecordLetterReceipt,
        RecordReconsiderationOverdue,
        decide_appeal,
        evolve_appeal,
        initial_appeal_state,
    )
    from domain.messages import SYSTEM_ACTOR, Command, Event
    from workflows.appeal_messages import (
        APPEAL_OUTCOME_SIGNAL,
        LETTER_DELIVERED_SIGNAL,
        AppealActRequest,
        AppealActResult,
        AppealInput,
        AppealOutcome,
        LetterReceipt,
    )

with workflow.unsafe.imports_passed_through():
    from domain.case.deadlines import spread_offset
    from workflows.issuers import verify_in_workflow
    from workflows.recording import record_appeal_events, send_notification
    from workflows.shell import (
        carry_out,
        decided,
        folded,
        for_system,
        holds_before,
        recorded_events,
        refuse_the_systems,
    )

#: How long a run started again for a late appeal waits for it (the client sends
#: it right after the start; a refused one leaves nothing to wait for).
RESUMED_WAIT = timedelta(hours=1)

#: Ankestyrelsen's decisions as the citizen's letter names them.
ANKESTYRELSEN_OUTCOME_DA = {
    AnkestyrelsenOutcome.UPHELD: "stadfæstet kommunens afgørelse",
    AnkestyrelsenOutcome.CHANGED: "ændret kommunens afgørelse",
    AnkestyrelsenOutcome.SENT_BACK: "sendt sagen tilbage til kommunen (hjemvist), som skal træffe en ny afgørelse",
    AnkestyrelsenOutcome.DISMISSED: "afvist at behandle klagen",
}


@workflow.defn
class AppealWorkflow:
    @workflow.init
    def __init__(self, input: AppealInput) -> None:
        self._input = input
        self._code = input.code_version
        # Windows of decisions made on the same day end at the same midnight: each appeal's timers fire
        # its own share of the spread later (the case's spread, which it passes on).
        self._later = spread_offset(workflow.info().workflow_id, input.timer_spread)
        self._state: AppealState = initial_appeal_state()
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, input: AppealInput) -> AppealOutcome:
        await self._carry_out_for_system(
            OpenAppealWindow(
                actor=SYSTEM_ACTOR,
                case_id=input.case_id,
                decision_number=input.decision_number,
                outcome=input.outcome,
                decided_at=input.decided_at,
                window=input.deadlines.appeal_window,
                letter_available_at=input.letter_available_at,
            )
        )
        # A resumed run's open is refused: the log already holds the appeal, now folded.
        if self._state.status is AppealStatus.NOT_OPEN:
            raise ApplicationError("the appeal window could not be opened", non_retryable=True)
        while True:
            status = self._state.status
            if status is AppealStatus.WINDOW_OPEN:
                await self._through_the_window()
            elif status is AppealStatus.WINDOW_CLOSED:
                if input.resume:  # started again for a late appeal, which the client sends at once
                    lodged = lambda: self._state.status is not AppealStatus.WINDOW_CLOSED  # noqa: E731
                    if await holds_before(lodged, workflow.now() + RESUMED_WAIT):
                        continue
                else:
                    await self._tell_case(self._outcome())
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self._state.status is AppealStatus.WINDOW_CLOSED:
                    return self._outcome()  # closed unused: nothing more waits
            elif status is AppealStatus.AWAITING_RECONSIDERATION:
                await self._tell_of_appeal()
                await self._through_reconsideration()
            elif status is AppealStatus.SENT_TO_ANKESTYRELSEN:
                await self._send_to_ankestyrelsen()
                # Idle until a caseworker records Ankestyrelsen's decision or the citizen withdraws:
                # no timer, so the history stays a handful of events however long it takes.
                await workflow.wait_condition(lambda: self._state.status is not AppealStatus.SENT_TO_ANKESTYRELSEN)
            else:  # settled
                await self._tell_of_the_end()
                outcome = self._outcome()
                await self._tell_case(outcome)
                await workflow.wait_condition(workflow.all_handlers_finished)
                return outcome

    @workflow.query
    def state(self) -> AppealState:
        return self._state

    @workflow.signal(name=LETTER_DELIVERED_SIGNAL)
    async def letter_delivered(self, receipt: LetterReceipt) -> None:
        """The decision letter's availability in Digital Post: the window is counted from it."""
        await workflow.wait_condition(lambda: self._state.status is not AppealStatus.NOT_OPEN)
        if not await self._carry_out_for_system(
            RecordLetterReceipt(actor=SYSTEM_ACTOR, available_at=receipt.available_at)
        ):
            workflow.logger.warning(
                "appeal %s: the letter's receipt %s was not recorded", workflow.info().workflow_id, receipt.available_at
            )

    @workflow.update
    async def act(self, request: AppealActRequest) -> AppealActResult:
        await workflow.wait_condition(lambda: self._state.status is not AppealStatus.NOT_OPEN)
        update = workflow.current_update_info()
        async with self._lock:
            issuer = request.signature.key_id if request.signature is not None else None
            events = await self._carry_out(request.command, request_id=update.id if update else None, issuer=issuer)
        return AppealActResult(
            appeal_id=workflow.info().workflow_id,
            version=self._state.version,
            status=self._state.status,
            events=[e.type for e in events],
        )

    @act.validator
    def validate_act(self, request: AppealActRequest) -> None:
        verify_in_workflow("appeal.act", request)  # first: an unverified caller learns nothing of the appeal
        command = request.command
        refuse_the_systems(command, "appeal.role_not_allowed")
        if self._state.status is not AppealStatus.NOT_OPEN:
            self._decide(command)

    # -- helpers -------------------------------------------------------------

    def _decide(self, command: Command) -> list[Event]:
        deadlines = self._input.deadlines

        def decide(state: AppealState, stamped: Command) -> list[Event]:
            return decide_appeal(
                state, stamped, reconsideration=deadlines.reconsideration, window=deadlines.appeal_window
            )

        return decided(decide, self._state, command)

    async def _carry_out(self, command: Command, request_id: str | None, issuer: str | None = None) -> list[Event]:
        """Decides the command and records its events, again while the log was ahead (``shell.carry_out``);
        the events folded."""
        return await carry_out(lambda: self._decide(command), lambda events: self._record(events, request_id, issuer))

    async def _record(
        self, events: list[Event], request_id: str | None, issuer: str | None = None
    ) -> list[Event] | None:
        """Appends and folds; what was folded, or None when the log was ahead."""
        receipt = await record_appeal_events(
            workflow.info().workflow_id,
            self._input.case_id,
            self._state.version,
            events,
            request_id,
            issuer=issuer,
        )
        recorded = recorded_events(events, receipt)
        if receipt.folded_before:  # the command took effect before, when the log was found ahead
            return recorded
        self._state = folded(evolve_appeal, self._state, recorded)
        return None if receipt.log_was_ahead else recorded

    async def _carry_out_for_system(self, command: Command) -> bool:
        # False when a person acted in the same instant
        return await for_system(self._lock, lambda: self._carry_out(command, request_id=None))

    async def _notify(self, recipient: str, kind: str, subject: str, body: str) -> None:
        await send_notification(workflow.info().workflow_id, recipient, kind, subject, body)

    # -- the stages ----------------------------------------------------------

    async def _through_the_window(self) -> None:
        """Until an appeal comes or the window closes; a receipt recorded meanwhile moves the end."""
        while self._state.status is AppealStatus.WINDOW_OPEN:
            ends = self._state.window_ends_at
            assert ends is not None  # an open window has its end

            def moved(ends: datetime = ends) -> bool:  # this window's end, bound now
                return self._state.status is not AppealStatus.WINDOW_OPEN or self._state.window_ends_at != ends

            if await holds_before(moved, ends + self._later):
                continue
            if not await self._carry_out_for_system(CloseAppealWindow(actor=SYSTEM_ACTOR)):
                await workflow.wait_condition(moved)  # a person acted in the same instant

    async def _through_reconsideration(self) -> None:
        """Until the municipality reconsiders (or the citizen withdraws); escalates when § 66's 4 weeks pass."""
        waiting = lambda: self._state.status is not AppealStatus.AWAITING_RECONSIDERATION  # noqa: E731
        due = self._state.reconsideration_due_at
        assert due is not None  # set when the appeal was lodged
        if await holds_before(waiting, due + self._later):
            return
        if await self._carry_out_for_system(RecordReconsiderationOverdue(actor=SYSTEM_ACTOR)):
            await self._notify(
                self._input.team_lead_id,
                "escalation",
                f"Genvurdering overskredet i sag {self._input.case_id}",
                f"Klagen over afgørelse nr. {self._input.decision_number} skulle være genvurderet senest "
                f"{self._state.reconsideration_due_at:%d.%m.%Y} (retssikkerhedslovens § 66).",
            )
        await workflow.wait_condition(waiting)

    async def _tell_of_appeal(self) -> None:
        input = self._input
        due = self._state.reconsideration_due_at
        await self._notify(
            input.caseworker_id,
            "appeal_received",
            f"Klage over afgørelse nr. {input.decision_number} i sag {input.case_id}",
            f"Genvurder afgørelsen senest {due:%d.%m.%Y} (retssikkerhedslovens § 66).\n\nKlagen:\n{self._state.complaint}",
        )
        if self._state.late:
            await self._notify(
                input.team_lead_id,
                "late_appeal",
                f"Klage modtaget efter fristen i sag {input.case_id}",
                f"Klagefristen udløb {self._state.last_day:%d.%m.%Y} (retssikkerhedslovens § 67); klagen er "
                "registreret og sendes videre med begrundelsen, hvis afgørelsen fastholdes. Den afvises ikke.",
            )

    def _timeliness(self) -> str:
        """What the letter to Ankestyrelsen says of the appeal's timeliness: late and why,
        only when it was late by the window counted from the letter's receipt (Rsl § 67)."""
        state = self._state
        received, last_day = state.received_on, state.last_day
        if not state.late:
            return f"Klagen er modtaget {received:%d.%m.%Y}, inden for klagefristen, der udløb {last_day:%d.%m.%Y}."
        return (
            f"Klagen er modtaget {received:%d.%m.%Y}, efter klagefristen, der udløb {last_day:%d.%m.%Y} "
            "(retssikkerhedslovens § 67). Kommunen har modtaget og videresendt klagen; det er Ankestyrelsens "
            "afgørelse, om der kan ses bort fra overskridelsen.\n"
            f"Borgerens begrundelse for den sene klage: {state.late_reason or 'ikke oplyst'}"
        )

    async def _send_to_ankestyrelsen(self) -> None:
        input = self._input
        assert (
            self._state.reconsideration is not None
        )  # forwarded only after the decision was upheld on reconsideration
        await self._notify(
            ANKESTYRELSEN,
            "appeal_forwarded",
            f"Klage i sag {input.case_id} videresendt efter genvurdering",
            f"Kommunen har genvurderet afgørelsen og fastholder den.\n\nBegrundelse: {self._state.reconsideration.reasons}\n\n"
            f"Borgerens klage:\n{self._state.complaint}\n\n{self._timeliness()}\n",
        )
        await self._notify(
            "citizen",
            "appeal_forwarded",
            "Din klage er sendt til Ankestyrelsen",
            "Kommunen har genvurderet afgørelsen og fastholder den. Din klage er sendt videre til Ankestyrelsen.",
        )

    async def _tell_of_the_end(self) -> None:
        """The letters an ended appeal calls for; the case itself is told by ``_finish``."""
        state, input = self._state, self._input
        if state.status is AppealStatus.DECISION_CHANGED:
            await self._notify(
                "citizen",
                "decision_changed",
                "Kommunen har ændret afgørelsen",
                "Kommunen har genvurderet afgørelsen efter din klage og ændrer den. Du får en ny afgørelse.",
            )
        elif state.status is AppealStatus.DECIDED_BY_ANKESTYRELSEN:
            decided = state.ankestyrelsen
            assert decided is not None  # recorded with this status
            follows = " Kommunen træffer en ny afgørelse i din sag." if decided.outcome.asks_for_new_decision else ""
            await self._notify(
                "citizen",
                "appeal_decided",
                "Ankestyrelsen har afgjort din klage",
                f"Ankestyrelsen har den {decided.decided_on:%d.%m.%Y} {ANKESTYRELSEN_OUTCOME_DA[decided.outcome]}.{follows}",
            )
        elif state.status is AppealStatus.WITHDRAWN:
            assert state.withdrawal is not None  # recorded with this status
            if state.withdrawal.withdrawn_while is AppealStatus.SENT_TO_ANKESTYRELSEN:
                await self._notify(
                    ANKESTYRELSEN,
                    "appeal_withdrawn",
                    f"Klage i sag {input.case_id} trukket tilbage",
                    f"Borgeren har trukket klagen over afgørelse nr. {input.decision_number} tilbage.",
                )
            await self._notify(
                input.caseworker_id,
                "appeal_withdrawn",
                f"Klagen i sag {input.case_id} er trukket tilbage",
                f"Borgeren har trukket klagen over afgørelse nr. {input.decision_number} tilbage.",
            )

    def _outcome(self) -> AppealOutcome:
        state = self._state
        reasons = ""
        if state.ankestyrelsen is not None:
            reasons = state.ankestyrelsen.reasons
        elif state.withdrawal is not None:
            reasons = state.withdrawal.note or ""
        elif state.reconsideration is not None:
            reasons = state.reconsideration.reasons
        return AppealOutcome(
            appeal_id=workflow.info().workflow_id,
            case_id=self._input.case_id,
            decision_number=self._input.decision_number,
            status=state.status,
            late=state.late,
            kind=state.outcome_kind or AppealOutcomeKind.WINDOW_CLOSED_UNUSED,
            reasons=reasons,
            decided_on=state.ankestyrelsen.decided_on if state.ankestyrelsen is not None else None,
        )

    async def _tell_case(self, outcome: AppealOutcome) -> None:
        """The ``appeal_outcome`` signal to the case. A case that cannot be told (its
        workflow is gone) must not lose a changed decision silently: the caseworker
        and the team lead are told to act on it by hand."""
        try:
            await workflow.get_external_workflow_handle(self._input.case_id).signal(APPEAL_OUTCOME_SIGNAL, outcome)
        except FailureError as error:
            workflow.logger.warning("appeal %s could not tell case %s: %s", outcome.appeal_id, outcome.case_id, error)
            for person in (self._input.caseworker_id, self._input.team_lead_id):
                await self._notify(
                    person,
                    "escalation",
                    f"Klagesagen i sag {self._input.case_id} er afsluttet, men sagen kunne ikke underrettes",
                    f"Udfald: {outcome.kind.value}. "
                    + ("Der skal træffes en ny afgørelse i sagen. " if outcome.asks_for_new_decision else "")
                    + "Sagen tog ikke imod besked; følg op manuelt.",
                )
