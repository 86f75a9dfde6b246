"""A command decided again after its events came in with another's.

A worker can die after a case's local activity wrote a command's events and before its
workflow task finished. The next worker may take another command first: its append
finds the log ahead, the workflow folds what the log holds (the first command's events
too) and decides again. When the first command is then decided anew (same update id,
so the same event ids, with a later clock, so other content), the log must answer it
with what it holds, already folded: the command took effect, and neither an error nor
a second fold is right. Real SQLite log and key store; the activity as the workflow
calls it."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.exceptions import ApplicationError

from activities.eventlog import EventLogActivities
from activities.messages import AppendRequest, RecordedEvent
from domain.case.units import UnitAssigned
from domain.messages import Actor, Role
from eventlog.keystore import KeyStore
from eventlog.store import EventStore

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
CW = Actor(id="cw-anne", role=Role.CASEWORKER)


@pytest.fixture
def log(tmp_path):
    store = EventStore.from_url(f"sqlite:///{tmp_path / 'log.db'}")
    store.create_schema()
    yield EventLogActivities(store, KeyStore(store.engines, os.urandom(32)))
    store.dispose()


def _unit(event_id: str, unit: str, at: datetime) -> RecordedEvent:
    return RecordedEvent(event_id=event_id, event=UnitAssigned(occurred_at=at, actor=CW, unit=unit))


def _append(log: EventLogActivities, expected: int, *events: RecordedEvent):
    return log.append(AppendRequest(case_id="case-1", expected_version=expected, events=list(events), reconcile=True))


def test_a_command_whose_events_were_folded_with_another_s_is_answered_with_them(log):
    first = _append(log, 0, _unit("u1-0", "unit-a", NOW))  # the lost workflow task's write
    assert not first.duplicate
    # another command, decided on version 0: the log is ahead, and the workflow folds what it holds
    ahead = _append(log, 0, _unit("u2-0", "unit-b", NOW + timedelta(seconds=1)))
    assert ahead.log_was_ahead and [r.event_id for r in ahead.stored] == ["u1-0"]
    _append(log, 1, _unit("u2-0", "unit-b", NOW + timedelta(seconds=2)))  # decided again, written at version 2
    # the first command decided anew on version 2: same id, later clock
    again = _append(log, 2, _unit("u1-0", "unit-c", NOW + timedelta(seconds=3)))
    assert again.duplicate and again.folded_before and not again.log_was_ahead
    assert again.positions == first.positions and again.version == 1
    assert [r.event.unit for r in again.stored] == ["unit-a"]  # the first recording stands
    assert len(log._store.read_stream("case-1")) == 2


def test_an_id_stored_with_other_content_and_not_the_whole_batch_is_still_refused(log):
    _append(log, 0, _unit("u1-0", "unit-a", NOW))
    _append(log, 1, _unit("u2-0", "unit-b", NOW))
    # a batch of which only one id is stored: not this command's earlier recording
    with pytest.raises(ApplicationError, match="only partly matches"):
        _append(log, 2, _unit("u1-0", "unit-c", NOW), _unit("u1-1", "unit-d", NOW))


def test_a_batch_stored_out_of_order_is_refused(log):
    _append(log, 0, _unit("u1-0", "unit-a", NOW), _unit("u1-1", "unit-b", NOW))
    with pytest.raises(ApplicationError):
        _append(log, 2, _unit("u1-1", "unit-b", NOW), _unit("u1-0", "unit-a", NOW))
