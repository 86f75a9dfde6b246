"""The projector holds the cyclic garbage collector off during a batch and gives it back after."""

from __future__ import annotations

import gc
import os
import threading

import pytest

import projections.projector as module
from domain.case.deadlines import PhaseDeadlines
from eventlog.keystore import KeyStore
from projections.projector import collector_paused
from projections.setup import build_projector
from tests.eventlog.conftest import sqlite_log
from tests.projections.helpers import CaseWriter, lifecycle


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_in_the_block_and_back_after(collector_on):
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_back_after_an_error(collector_on):
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the batch failed")
    assert gc.isenabled()


def test_nested_and_concurrent_pauses_end_with_the_last(collector_on):
    inner_started, outer_may_end = threading.Event(), threading.Event()

    def other_batch():
        with collector_paused():
            inner_started.set()
            outer_may_end.wait(5)

    with collector_paused():
        thread = threading.Thread(target=other_batch)
        thread.start()
        inner_started.wait(5)
    assert not gc.isenabled()  # the other thread's batch is still running
    outer_may_end.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(collector_on):
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_a_projector_step_pauses_the_collector(collector_on, monkeypatch, tmp_path):
    """Each batch runs with the collector off: the catch-up's full collections cost more than its work."""
    seen = []
    real = module.stored_event_from_row

    def spy(row):
        seen.append(gc.isenabled())
        return real(row)

    monkeypatch.setattr(module, "stored_event_from_row", spy)
    with sqlite_log(tmp_path) as log:
        keys = KeyStore(log.store.engines, os.urandom(32))
        writer = CaseWriter(log.store, keys, "K-1", lifecycle("K-1", cpr="0412981201", name="Borger Et"))
        appended = sum(writer.step() for _ in range(3))
        projector = build_projector(log.store, keys, PhaseDeadlines())
        assert projector.step("cases") == appended > 0
    assert seen and not any(seen)
    assert gc.isenabled()
