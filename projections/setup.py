"""The projections samskab runs, put together once for the worker, the CLI, the API and the tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

from domain.case.deadlines import PhaseDeadlines
from eventlog import EventStore
from eventlog.keystore import KeyStore
from projections.cases import CaseProjection
from projections.changes import ChangesByDay
from projections.projector import Projector, create_schema
from projections.queries import CASES, CHANGES

log = structlog.get_logger("samskab.projections")

#: Every projection, by name.
NAMES = (CASES, CHANGES)


def ensure_read_models(store: EventStore) -> None:
    """The read models' tables and state rows, for a process that only reads them (the API)."""
    create_schema(store, NAMES)


def build_projector(store: EventStore, keys: KeyStore, deadlines: PhaseDeadlines, **options) -> Projector:
    """The projector over every read model, its tables created if missing."""
    projector = Projector(store, [CaseProjection(store, keys, deadlines), ChangesByDay(store)], **options)
    assert tuple(projector.projections) == NAMES
    projector.create_schema()
    return projector


@contextmanager
def projector_running(projector: Projector, *, idle_s: float = 0.05) -> Iterator[Projector]:
    """The projector following the log in a thread of this process until the block ends."""
    stop = threading.Event()
    thread = threading.Thread(target=projector.run_forever, args=(stop,), kwargs={"idle_s": idle_s},
                              name="samskab-projector", daemon=True)  # fmt: skip
    thread.start()
    log.info("projector following the event log", projections=list(projector.projections))
    try:
        yield projector
    finally:
        stop.set()
        thread.join(timeout=10)
