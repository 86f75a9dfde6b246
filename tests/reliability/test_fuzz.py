"""Bad input: random and malformed commands against a running case workflow
(no workflow task may fail, every refusal says why), and a stateful model
test of the event log (append, conflicting append, duplicate, read, reopen,
verify) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError

from activities.eventlog import open_event_store
from app.cases import CaseClient, CommandRejected, parse_command
from domain.case.decider import decide, evolve, initial_state
from domain.errors import DomainError
from eventlog import ConcurrencyConflict, IdempotencyMismatch, NewEvent
from tests import scenario
from tests.eventlog.conftest import LogUnderTest, postgres_log, sqlite_log
from tests.reliability.harness import record_figures
from worker import build_worker

POOL = [
    *scenario.full_lifecycle_after_registration(),
    scenario.decision("refused"),
    scenario.revoke(scenario.VOLUNTEER),
]
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
ACTORS = [
    scenario.CASEWORKER,
    scenario.CITIZEN,
    scenario.VOLUNTEER,
    scenario.TEAM_LEAD,
    {"id": "sys", "role": "system"},
    {"id": "", "role": "caseworker"},
    {"id": "x", "role": "nobody"},
]


@st.composite
def commands(draw) -> dict[str, Any]:
    """A scenario command, changed at random: a field dropped, replaced with junk, another actor, another type."""
    command = dict(draw(st.sampled_from(POOL)))
    for _ in range(draw(st.integers(0, 3))):
        change = draw(st.sampled_from(["drop", "junk", "actor", "type", "extra"]))
        keys = sorted(command)
        if change == "drop" and keys:
            command.pop(draw(st.sampled_from(keys)))
        elif change == "junk" and keys:
            command[draw(st.sampled_from(keys))] = draw(JUNK)
        elif change == "actor":
            command["actor"] = draw(st.sampled_from(ACTORS))
        elif change == "type":
            command["type"] = draw(
                st.sampled_from(
                    [c["type"] for c in POOL] + ["register_need", "record_missed_deadline", "", "drop_table"]
                )
            )
        else:
            command[draw(st.text(min_size=1, max_size=8))] = draw(JUNK)
    return command


def test_the_decider_refuses_malformed_commands_with_a_message_and_never_crashes():
    @hsettings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(commands(), min_size=1, max_size=12))
    def run(sequence):
        state = initial_state()
        for event in decide(
            state, parse_command(scenario.register("case-fuzz")).model_copy(update={"at": datetime.now(UTC)})
        ):
            state = evolve(state, event)
        for data in sequence:
            try:
                command = parse_command(data)
            except CommandRejected as refused:
                assert refused.message and refused.rule == "input.invalid"
                continue
            try:
                events = decide(state, command.model_copy(update={"at": datetime.now(UTC)}))
            except DomainError as refused:
                assert refused.message.strip() and refused.rule
                continue
            for event in events:
                state = evolve(state, event)

    run()


async def test_malformed_commands_against_the_workflow_update_fail_no_workflow_task(settings, client):
    store = open_event_store(settings.database_url)
    cases = CaseClient(client, settings)
    loop = asyncio.get_running_loop()
    case_id = f"fuzz-{uuid.uuid4().hex[:8]}"
    tally = {"sent": 0, "accepted": 0, "refused_in_client": 0, "refused_by_case": 0, "raw_refused": 0}

    async def send(data: dict) -> None:
        tally["sent"] += 1
        try:
            command = parse_command(data)
        except CommandRejected as refused:
            assert (refused.message and refused.field is not None) or refused.rule == "input.invalid"
            tally["refused_in_client"] += 1
            # The same junk straight to the workflow, past the client's checks.
            handle = client.get_workflow_handle(case_id)
            try:
                await asyncio.wait_for(handle.execute_update("act", {"command": data}), 30)
            except WorkflowUpdateFailedError as error:
                assert str(error.cause), "a refusal must say why"
                tally["raw_refused"] += 1
            else:
                tally["accepted"] += 1
            return
        try:
            await asyncio.wait_for(cases.act(case_id, command), 30)
            tally["accepted"] += 1
        except CommandRejected as refused:
            assert refused.message.strip(), f"a refusal without a message for {data}"
            assert refused.rule, f"a refusal without a rule for {data}: {refused.message}"
            tally["refused_by_case"] += 1

    @hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(commands())
    def fuzz(data):
        asyncio.run_coroutine_threadsafe(send(data), loop).result(90)

    try:
        async with build_worker(client, settings, store):
            await cases.open_case(parse_command(scenario.register(case_id)))
            await asyncio.to_thread(fuzz)
            history = await client.get_workflow_handle(case_id).fetch_history()
            failed = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]
            await client.get_workflow_handle(case_id).terminate("fuzz finished")
    finally:
        store.dispose()
    record_figures(
        "malformed commands to a case",
        runs=tally["sent"],
        events=tally["accepted"],
        lost=0,
        doubled=0,
        recovered=f"{len(failed)} workflow task failures",
        **{k: v for k, v in tally.items() if k != "sent"},
    )
    assert not failed, [e.workflow_task_failed_event_attributes.failure.message for e in failed]


# -- the event log against a model --------------------------------------------------


def new_event(n: int) -> NewEvent:
    return NewEvent(
        event_id=str(uuid.uuid4()),
        event_type="model_event",
        schema_version=1,
        occurred_at=datetime.now(UTC),
        actor_id="model",
        actor_role="caseworker",
        legal_basis=None,
        payload={"n": n},
    )


class EventLogModel(RuleBasedStateMachine):
    """The log must behave like a dict of lists: append at the right version,
    refuse a wrong one, accept a retry of a stored batch as a duplicate."""

    #: The event log under test, set per backend.
    factory: ClassVar[Callable[[], AbstractContextManager[LogUnderTest]]]

    batches = Bundle("batches")

    @initialize()
    def open_log(self):
        self._context = type(self).factory()
        self.log = self._context.__enter__()
        self.store = self.log.store
        self.streams: dict[str, list[str]] = {}
        self.counter = 0

    def teardown(self):
        if hasattr(self, "_context"):
            self._context.__exit__(None, None, None)

    @rule(target=batches, stream=st.sampled_from(["a", "b", "c"]), size=st.integers(1, 4))
    def append(self, stream, size):
        events = [new_event(self.counter + k) for k in range(size)]
        self.counter += size
        expected = len(self.streams.get(stream, []))
        result = self.store.append(stream, expected, events)
        assert not result.duplicate and result.stream_version == expected + size
        self.streams.setdefault(stream, []).extend(e.event_id for e in events)
        return (stream, expected, tuple(events))

    @rule(stream=st.sampled_from(["a", "b", "c"]), off=st.integers(1, 3))
    def conflicting_append(self, stream, off):
        actual = len(self.streams.get(stream, []))
        for wrong in {actual + off, max(actual - off, 0)} - {actual}:
            try:
                self.store.append(stream, wrong, [new_event(-1)])
            except ConcurrencyConflict as error:
                assert str(actual) in str(error)
            else:
                raise AssertionError("a wrong expected version was accepted")

    @rule(batch=batches)
    def duplicate(self, batch):
        stream, expected, events = batch
        result = self.store.append(stream, expected, list(events))
        assert result.duplicate and result.stream_version == expected + len(events)

    @rule(batch=batches)
    def partial_duplicate_is_refused(self, batch):
        stream, expected, events = batch
        try:
            self.store.append(stream, expected, [*events, new_event(-2)])
        except (IdempotencyMismatch, ConcurrencyConflict):
            pass
        else:
            raise AssertionError("a batch that only partly matches a stored one was accepted")

    @rule()
    def reopen(self):
        self.store = self.log.reopen()

    @invariant()
    def reads_match_the_model(self):
        if not hasattr(self, "store"):
            return
        for stream, ids in self.streams.items():
            stored = self.store.read_stream(stream)
            assert [e.event_id for e in stored] == ids
            assert [e.stream_version for e in stored] == list(range(1, len(ids) + 1))
            assert self.store.stream_version(stream) == len(ids)
        total = sum(len(ids) for ids in self.streams.values())
        assert [e.position for e in self.store.read_all(0, limit=10_000)] == list(range(1, total + 1))

    @rule()
    def verify(self):
        assert self.store.verify().ok


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_event_log_behaves_like_its_model(backend, tmp_path, request):
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_url")
        factory = lambda: postgres_log(url)  # noqa: E731
    else:
        factory = lambda: sqlite_log(tmp_path)  # noqa: E731
    machine: type[EventLogModel] = type(
        f"EventLogModel_{backend}", (EventLogModel,), {"factory": staticmethod(factory)}
    )
    examples = 40 if backend == "sqlite" else 15
    machine.TestCase.settings = hsettings(
        max_examples=examples, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
    )
    machine.TestCase().runTest()
