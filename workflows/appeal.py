"""AppealWorkflow: the appeal of one decision, with its windows as timers.

Started by the CaseWorkflow as a child for every decision (id and event-log
stream ``appeal_id(case_id, decision_number)``). It is the single writer of
the appeal's own stream:

1. the appeal window (Rsl § 67, 4 weeks from the decision): an appeal in time,
   or the window is recorded as closed; an appeal after it is still received,
   recorded as late and flagged to the team lead, for ``late_appeals_open``;
2. the reconsideration (Rsl § 66, 4 weeks from the appeal): when it passes,
   the delay is recorded and escalated to the team lead;
3. upheld: the appeal is sent to Ankestyrelsen (an event, and the letter through
   the notification activity); changed: the workflow ends with that outcome
   and the CaseWorkflow reopens the decision for a new one.

Humans act through the ``act`` update, validated by the appeal decider.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.appeal import (
        ANKESTYRELSEN,
        AppealState,
        AppealStatus,
        CloseAppealWindow,
        OpenAppealWindow,
        RecordReconsiderationOverdue,
        decide_appeal,
        evolve_appeal,
        initial_appeal_state,
    )
    from domain.errors import DomainError
    from domain.messages import SYSTEM_ACTOR, Command, Event, Role
    from workflows.appeal_messages import AppealActRequest, AppealActResult, AppealInput, AppealOutcome

with workflow.unsafe.imports_passed_through():
    from workflows.recording import record_appeal_events, send_notification
    from workflows.issuers import verify_in_workflow


def _refusal(error: DomainError) -> ApplicationError:
    return ApplicationError(error.message, {"rule": error.rule, "field": error.field}, type="DomainError", non_retryable=True)


@workflow.defn
class AppealWorkflow:
    @workflow.init
    def __init__(self, input: AppealInput) -> None:
        self._input = input
        self._code = input.code_version
        self._state: AppealState = initial_appeal_state()
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, input: AppealInput) -> AppealOutcome:
        deadlines = input.deadlines
        opened = await self._carry_out_for_system(
            OpenAppealWindow(
                actor=SYSTEM_ACTOR,
                case_id=input.case_id,
                decision_number=input.decision_number,
                outcome=input.outcome,
                decided_at=input.decided_at,
                window=deadlines.appeal_window,
            )
        )
        if not opened:
            raise ApplicationError("the appeal window could not be opened", non_retryable=True)
        lodged = lambda: self._state.lodged_at is not None  # noqa: E731
        window_ends = self._state.window_ends_at
        if not await self._until(lodged, window_ends):
            await self._carry_out_for_system(CloseAppealWindow(actor=SYSTEM_ACTOR))
            if not await self._until(lodged, window_ends + deadlines.late_appeals_open):
                return await self._finish()
        await self._tell_of_appeal()

        reconsidered = lambda: self._state.reconsideration is not None  # noqa: E731
        if not await self._until(reconsidered, self._state.reconsideration_due_at):
            if await self._carry_out_for_system(RecordReconsiderationOverdue(actor=SYSTEM_ACTOR)):
                await self._notify(
                    input.team_lead_id,
                    "escalation",
                    f"Genvurdering overskredet i sag {input.case_id}",
                    f"Klagen over afgørelse nr. {input.decision_number} skulle være genvurderet senest "
                    f"{self._state.reconsideration_due_at:%d.%m.%Y} (retssikkerhedslovens § 66).",
                )
            await workflow.wait_condition(reconsidered)

        if self._state.status is AppealStatus.SENT_TO_ANKESTYRELSEN:
            await self._notify(
                ANKESTYRELSEN,
                "appeal_forwarded",
                f"Klage i sag {input.case_id} videresendt efter genvurdering",
                f"Kommunen har genvurderet afgørelsen og fastholder den.\n\nBegrundelse: {self._state.reconsideration.reasons}\n\n"
                f"Borgerens klage:\n{self._state.complaint}\n"
                + ("\nKlagen er modtaget efter klagefristen (retssikkerhedslovens § 67).\n" if self._state.late else ""),
            )
            await self._notify(
                "citizen",
                "appeal_forwarded",
                "Din klage er sendt til Ankestyrelsen",
                "Kommunen har genvurderet afgørelsen og fastholder den. Din klage er sendt videre til Ankestyrelsen.",
            )
        else:
            await self._notify(
                "citizen",
                "decision_changed",
                "Kommunen har ændret afgørelsen",
                "Kommunen har genvurderet afgørelsen efter din klage og ændrer den. Du får en ny afgørelse.",
            )
        return await self._finish()

    @workflow.query
    def state(self) -> AppealState:
        return self._state

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
        if command.actor.role is Role.SYSTEM or command.issued_by_system:
            raise ApplicationError(
                "the system role acts only from inside the workflow",
                {"rule": "case.role_not_allowed", "field": "actor.role"},
                type="DomainError",
            )
        if self._state.status is not AppealStatus.NOT_OPEN:
            self._decide(command)

    # -- helpers -------------------------------------------------------------

    def _decide(self, command: Command) -> list[Event]:
        stamped = command.model_copy(update={"at": workflow.now()})
        try:
            return decide_appeal(self._state, stamped, reconsideration=self._input.deadlines.reconsideration)
        except DomainError as error:
            raise _refusal(error) from None

    async def _carry_out(self, command: Command, request_id: str | None, issuer: str | None = None) -> list[Event]:
        """Decides the command and records its events; the events folded. If the
        log holds events this workflow had not folded (a worker died after
        writing them), folds those first and decides again on the state they
        make; each round folds at least one event, so this ends."""
        while True:
            recorded, caught_up = await self._record(self._decide(command), request_id, issuer)
            if caught_up:
                return recorded

    async def _record(self, events: list[Event], request_id: str | None, issuer: str | None = None) -> tuple[list[Event], bool]:
        """Appends and folds; what was folded, and False when the log was ahead."""
        receipt = await record_appeal_events(
            workflow.info().workflow_id, self._input.case_id, self._state.version, events, request_id,
            code_version=self._code, issuer=issuer,
        )
        recorded = events if receipt.stored is None else [stored.event for stored in receipt.stored]
        for event in recorded:
            self._state = evolve_appeal(self._state, event)
        return recorded, not receipt.log_was_ahead

    async def _carry_out_for_system(self, command: Command) -> bool:
        async with self._lock:
            try:
                await self._carry_out(command, request_id=None)
            except ApplicationError:
                return False  # a person acted in the same instant
            return True

    async def _until(self, condition, deadline: datetime) -> bool:
        """True if ``condition`` holds before ``deadline``; False when the deadline passes first."""
        remaining = deadline - workflow.now()
        if remaining.total_seconds() <= 0:
            return condition()
        try:
            await workflow.wait_condition(condition, timeout=remaining)
        except asyncio.TimeoutError:
            return condition()
        return True

    async def _notify(self, recipient: str, kind: str, subject: str, body: str) -> None:
        await send_notification(workflow.info().workflow_id, recipient, kind, subject, body, code_version=self._code)

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
                f"Klagefristen udløb {self._state.window_ends_at:%d.%m.%Y} (retssikkerhedslovens § 67); klagen er "
                "registreret og skal vurderes, ikke afvises uden videre.",
            )

    async def _finish(self) -> AppealOutcome:
        await workflow.wait_condition(workflow.all_handlers_finished)
        reconsideration = self._state.reconsideration
        return AppealOutcome(
            appeal_id=workflow.info().workflow_id,
            case_id=self._input.case_id,
            decision_number=self._input.decision_number,
            status=self._state.status,
            late=self._state.late,
            reasons=reconsideration.reasons if reconsideration else "",
        )
