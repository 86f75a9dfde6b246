"""A process that appends to the event log in a loop until it is killed.

Before each append it reports the batch it is about to write ("try"), and
after the append returns it reports it again ("ack"), through a pipe that is
written synchronously, so whatever the parent has read as acknowledged was
acknowledged by the store before the kill."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

from eventlog import ConcurrencyConflict, EventStore, NewEvent

STREAMS = [f"crash-{n}" for n in range(4)]


def new_event(number: int) -> NewEvent:
    return NewEvent(
        event_id=str(uuid.uuid4()),
        event_type="crash_test_event",
        schema_version=1,
        occurred_at=datetime.now(UTC),
        actor_id="crash-writer",
        actor_role="system",
        legal_basis=None,
        payload={"number": number, "text": "x" * random.randint(0, 2000)},
    )


def write_until_killed(url: str, connect_args: dict, seed: int, pipe) -> None:
    random.seed(seed)
    store = EventStore.from_url(url, connect_args=connect_args)
    pipe.send(("ready", None))
    number = 0
    while True:
        stream = random.choice(STREAMS)
        batch = [new_event(number + k) for k in range(random.randint(1, 5))]
        number += len(batch)
        ids = [e.event_id for e in batch]
        pipe.send(("try", ids))
        try:
            store.append(stream, store.stream_version(stream), batch)
        except ConcurrencyConflict:
            pipe.send(("conflict", ids))
            continue
        pipe.send(("ack", ids))
