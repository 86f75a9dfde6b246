"""ForumWorkflow: the standing cross-sector forum (SAMAKT) for one target group.

Long-running: it lives as long as the forum does, holds its meetings on a
timer, and continues as new (carrying its state and its next meeting date)
before its history grows large. Like a case, every command is an update whose
validator runs the domain's decider.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.forum import (
        ForumState,
        ForumTextErased,
        OpenForum,
        ReceivePilotProposal,
        RecordMeetingDue,
        decide_forum,
        evolve_forum,
        forum_id,
        initial_forum_state,
        pilot_ref,
    )
    from domain.messages import SYSTEM_ACTOR, Command, Event

with workflow.unsafe.imports_passed_through():
    from activities.messages import ForumTextErasure, PilotProposal
    from workflows.forum_messages import ForumActRequest, ForumActResult, ForumInput
    from workflows.issuers import verify_in_workflow
    from workflows.recording import ACTIVITY_TIMEOUT, DURABLE_RETRY, append_events, send_notification
    from workflows.shell import decided, folded, refuse_the_systems


@workflow.defn
class ForumWorkflow:
    @workflow.init
    def __init__(self, input: ForumInput) -> None:
        self._input = input
        self._state: ForumState = input.carried or initial_forum_state()
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, input: ForumInput) -> ForumState:
        if self._state.target_group is None:
            issuer = input.signature.key_id if input.signature is not None else None
            if not workflow.unsafe.is_replaying():
                issuer = verify_in_workflow("forum.open", input, update=False, at=workflow.info().start_time)
            async with self._lock:
                await self._record(
                    self._decide(OpenForum(actor=input.opened_by, target_group=input.target_group)), issuer
                )
        next_meeting = input.next_meeting_at or workflow.now() + input.meeting_interval
        while not self._history_is_long():
            try:
                await workflow.wait_condition(
                    self._history_is_long, timeout=max(next_meeting - workflow.now(), timedelta(0))
                )
            except TimeoutError:
                await self._meeting_falls_due()
                next_meeting += input.meeting_interval
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(input.model_copy(update={"carried": self._state, "next_meeting_at": next_meeting}))

    @workflow.query
    def state(self) -> ForumState:
        return self._state

    @workflow.signal(name="pilot_proposal")
    async def pilot_proposal(self, proposal: PilotProposal) -> None:
        """A case decided to scale its help and proposes the pilot's way of working here.
        The proposal is read from the case's event log (a signal no case sent brings
        nothing) and recorded as an observation from a pilot, once per decision."""
        await workflow.wait_condition(lambda: self._state.target_group is not None)
        if proposal.forum_id != self._stream_id():
            return
        text = await workflow.execute_activity(
            "pilot_proposal", proposal, result_type=str | None,  # type: ignore[arg-type]  # the SDK's converter takes a union; its stub says type
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=DURABLE_RETRY,
        )  # fmt: skip
        if text is None:
            workflow.logger.warning(
                "a pilot proposal signal for %s that the case's log does not hold", self._stream_id()
            )
            return
        async with self._lock:
            try:
                events = self._decide(ReceivePilotProposal(actor=SYSTEM_ACTOR, text=text,
                                                           pilot_ref=pilot_ref(proposal.case_id, proposal.decision_number)))  # fmt: skip
            except ApplicationError as refused:  # taken already, or it names a person after all
                workflow.logger.warning("the forum did not take a pilot proposal: %s", refused)
                return
            await self._record(events)

    @workflow.update
    async def act(self, request: ForumActRequest) -> ForumActResult:
        await workflow.wait_condition(lambda: self._state.target_group is not None)
        async with self._lock:
            events = self._decide(request.command)
            await self._record(events, request.signature.key_id if request.signature is not None else None)
        return ForumActResult(forum_id=self._stream_id(), version=self._state.version, events=[e.type for e in events])

    @act.validator
    def validate_act(self, request: ForumActRequest) -> None:
        verify_in_workflow("forum.act", request)  # first: an unverified caller learns nothing of the forum
        command = request.command
        refuse_the_systems(
            command,
            "forum.not_for_callers",
            f"'{command.title}' is done by the forum itself",
            field="type",
            also=isinstance(command, OpenForum),  # opened once, by the forum's start
        )
        if self._state.target_group is not None:
            self._decide(command)

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() >= self._input.history_limit

    def _stream_id(self) -> str:
        return self._state.forum_id or forum_id(self._input.target_group)

    def _decide(self, command: Command) -> list[Event]:
        return decided(decide_forum, self._state, command)

    async def _record(self, events: list[Event], issuer: str | None = None) -> None:
        # Each text under its own event's key, so one text can be erased alone.
        await append_events(self._stream_id(), self._state.version, events, issuer=issuer, key_per_event=True)
        self._state = folded(evolve_forum, self._state, events)
        for event in events:
            if isinstance(event, ForumTextErased):
                # Recorded first (the erasure is on the log even if this is retried), then the keys go.
                await workflow.execute_activity(
                    "erase_forum_text",
                    ForumTextErasure(stream_id=self._stream_id(), entry=event.entry.value, number=event.number,
                                     basis=event.basis),
                    result_type=int, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=DURABLE_RETRY,
                )  # fmt: skip

    async def _meeting_falls_due(self) -> None:
        async with self._lock:
            await self._record(self._decide(RecordMeetingDue(actor=SYSTEM_ACTOR)))
        waiting = len(self._state.waiting())
        await send_notification(
            self._stream_id(),
            "forum",
            "forum_meeting",
            f"Forummøde for {self._state.target_group.display if self._state.target_group else ''}",
            f"{waiting} observation(er) venter på at blive drøftet; {len(self._state.open_proposals())} forslag følges op.",
        )
