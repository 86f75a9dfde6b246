"""Races: writers that all think they are next, two caseworkers acting on one
case at the same moment, and a reader following the log while it grows."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime

import pytest
from temporalio.api.enums.v1 import EventType

from activities.eventlog import open_event_store
from app.cases import CaseClient, CommandRejected, parse_command
from eventlog import ConcurrencyConflict, NewEvent
from tests import scenario
from tests.eventlog.conftest import postgres_log, sqlite_log
from tests.reliability.harness import record_figures
from worker import build_worker

WRITERS = 8
ROUNDS = 15


@pytest.fixture(params=["sqlite", "postgresql"])
def race_log(request, tmp_path):
    if request.param == "postgresql":
        with postgres_log(request.getfixturevalue("postgres_url")) as log:
            yield request.param, log
    else:
        with sqlite_log(tmp_path) as log:
            yield request.param, log


def event(writer: int) -> NewEvent:
    return NewEvent(
        event_id=str(uuid.uuid4()),
        event_type="race_event",
        schema_version=1,
        occurred_at=datetime.now(UTC),
        actor_id=f"writer-{writer}",
        actor_role="caseworker",
        legal_basis=None,
        payload={"writer": writer},
    )


def test_writers_with_the_same_expected_version_one_wins_the_rest_conflict(race_log):
    backend, log = race_log
    stores = [log.reopen() for _ in range(WRITERS)]  # each writer its own connections
    conflicts = wins = 0

    def write(n: int, barrier: threading.Barrier, version: int, outcomes: list[str]) -> None:
        barrier.wait()
        try:
            stores[n].append("race", version, [event(n)])
            outcomes[n] = "won"
        except ConcurrencyConflict as error:
            assert f"expected version {version}" in str(error) and "reload" in str(error)
            outcomes[n] = "conflict"

    for version in range(ROUNDS):
        barrier = threading.Barrier(WRITERS)
        outcomes: list[str] = [""] * WRITERS
        threads = [threading.Thread(target=write, args=(n, barrier, version, outcomes)) for n in range(WRITERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert outcomes.count("won") == 1 and outcomes.count("conflict") == WRITERS - 1, outcomes
        wins += 1
        conflicts += WRITERS - 1
    stored = log.store.read_stream("race")
    assert [e.stream_version for e in stored] == list(range(1, ROUNDS + 1))
    assert log.store.verify().ok
    record_figures(
        f"{WRITERS} writers, one expected version ({backend})",
        runs=ROUNDS,
        events=len(stored),
        lost=0,
        doubled=len(stored) - ROUNDS,
        recovered=f"{wins} won, {conflicts} conflicts",
    )


def test_a_reader_following_the_log_sees_every_position_exactly_once(race_log):
    backend, log = race_log
    per_writer = 60
    done = threading.Event()
    seen: list[int] = []

    def follow() -> None:
        reader = log.reopen()
        after = 0
        while True:
            finished = done.is_set()
            for stored in reader.read_all(after, limit=50):
                seen.append(stored.position)
                after = stored.position
            if finished and after == reader.head()[0]:
                return

    errors: list[BaseException] = []

    def write(n: int) -> None:
        store = log.reopen()
        version = 0
        try:
            for k in range(per_writer):
                version = store.append(f"follow-{n}", version, [event(n) for _ in range(1 + k % 3)]).stream_version
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    reader = threading.Thread(target=follow)
    reader.start()
    writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in writers:
        t.start()
    for t in writers:
        t.join(120)
    done.set()
    reader.join(120)
    assert not errors, errors
    total = log.store.head()[0]
    assert total == 4 * sum(1 + k % 3 for k in range(per_writer))
    assert seen == list(range(1, total + 1)), "the reader skipped or repeated a position"
    record_figures(
        f"reader following 4 writers ({backend})",
        runs=1,
        events=total,
        lost=total - len(set(seen)),
        doubled=len(seen) - len(set(seen)),
        recovered="in order",
    )


async def test_two_caseworkers_at_the_same_moment_one_is_accepted_one_gets_a_conflict(settings, client):
    """Both saw the case at the same version and send a different decision at once."""
    store = open_event_store(settings.database_url)
    cases = CaseClient(client, settings)
    rounds = 5
    accepted = refused = 0
    try:
        async with build_worker(client, settings, store):
            for n in range(rounds):
                case_id = f"race-{uuid.uuid4().hex[:8]}"
                await cases.open_case(parse_command(scenario.register(case_id)))
                for command in [*scenario.full_lifecycle_after_registration()[:2], *scenario.heard()]:
                    await cases.act(case_id, parse_command(command))  # heard on the assessment (FVL § 19)
                version = (await cases.state(case_id)).version
                granted = parse_command(scenario.decision("granted"))
                refused_decision = parse_command(scenario.decision("refused", reasons="Ikke berettiget efter SEL § 85"))
                # With the version they saw (the API's expected_version), and, in
                # the odd rounds, without: then the domain's phase rule decides.
                expected = version if n % 2 == 0 else None
                results = await asyncio.gather(
                    cases.act(case_id, granted, expected_version=expected),
                    cases.act(case_id, refused_decision, expected_version=expected),
                    return_exceptions=True,
                )
                wins = [r for r in results if not isinstance(r, BaseException)]
                losses = [r for r in results if isinstance(r, CommandRejected)]
                assert len(wins) == 1 and len(losses) == 1, results
                loss = losses[0]
                if expected is not None:
                    assert loss.kind == "StaleVersion" and "changed since you looked" in loss.message
                else:
                    assert loss.rule and loss.message, "a refusal must say why"
                decisions = [e for e in store.read_stream(case_id) if e.event_type == "decision_made"]
                assert len(decisions) == 1, "the log holds only the accepted decision"
                state = await cases.state(case_id)
                assert state.version == wins[0].version
                history = await client.get_workflow_handle(case_id).fetch_history()
                assert not [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]
                accepted += 1
                refused += 1
                await client.get_workflow_handle(case_id).terminate("race test finished")
    finally:
        store.dispose()
    record_figures(
        "two caseworkers, one case, same moment",
        runs=rounds,
        events=accepted,
        lost=0,
        doubled=0,
        recovered=f"{accepted} accepted, {refused} conflicts",
    )
