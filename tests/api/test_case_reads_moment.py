"""A request's reads check each case against the log once (``one_moment``), and a page of
several cases checks them together (``CaseReads.check_all``); a case that moved on, or whose
citizen was erased, is never taken from memory for it."""

from __future__ import annotations

import os
import uuid
from types import SimpleNamespace

from activities.eventlog import open_event_store, to_new_event
from activities.messages import RecordedEvent
from app.api.readcache import CaseReads, one_moment
from app.erasure import erase_citizen
from domain.phases import Phase
from eventlog.keystore import KeyStore
from tests.eventlog.test_audit_erasure import AFTER_RETENTION, CPR, case_events, record


def _reads(tmp_path):
    store = open_event_store(f"sqlite:///{tmp_path / 'events.db'}")
    keys = KeyStore(store.engines, os.urandom(32))
    return store, keys, CaseReads(store, keys)


def _text(case) -> str:
    return b"".join(entry for _, entry in case.timeline).decode()


def _counted(store, monkeypatch) -> list[str]:
    """The version checks the reads make: one per case checked alone, one per page checked together."""
    checks: list[str] = []
    one, many = store.stream_version, store.stream_versions

    def version(case_id):
        checks.append(case_id)
        return one(case_id)

    def versions(case_ids):
        checks.append("page")
        return many(case_ids)

    monkeypatch.setattr(store, "stream_version", version)
    monkeypatch.setattr(store, "stream_versions", versions)
    return checks


def test_a_case_read_again_in_one_moment_is_checked_once_and_outside_each_time(tmp_path, monkeypatch):
    store, keys, reads = _reads(tmp_path)
    record(SimpleNamespace(store=store), keys, "case-1", case_events("case-1", closed=False))
    reads.get("case-1")  # decoded and kept
    checks = _counted(store, monkeypatch)
    with one_moment():
        first, again = reads.get("case-1"), reads.get("case-1")
        with one_moment():  # nested: the outer moment
            inner = reads.get("case-1")
    assert first is again is inner and checks == ["case-1"]
    reads.get("case-1")
    reads.get("case-1")
    assert checks == ["case-1"] * 3


def test_a_page_checks_its_kept_cases_together_and_leaves_out_one_that_moved_on(tmp_path, monkeypatch):
    store, keys, reads = _reads(tmp_path)
    for case_id in ("case-1", "case-2", "case-3"):
        record(SimpleNamespace(store=store), keys, case_id, case_events(case_id, cpr=CPR, closed=False))
        reads.get(case_id)
    moved = case_events("case-2", closed=True)[3:]  # the case was closed since it was kept
    store.append("case-2", 3, [to_new_event(RecordedEvent(event_id=str(uuid.uuid4()), event=e), keys, "case-2")
                               for e in moved])  # fmt: skip
    checks = _counted(store, monkeypatch)
    with one_moment():
        reads.check_all(["case-1", "case-2", "case-3", "case-unknown"])
        assert checks == ["page"]
        states = {case_id: reads.get(case_id) for case_id in ("case-1", "case-2", "case-3")}
    assert checks == ["page", "case-2"]  # only the case that moved on is checked (and decoded) again
    assert states["case-2"] is not None and states["case-2"].state.phase is Phase.CLOSED
    assert states["case-1"] is not None and states["case-1"].state.phase is not Phase.CLOSED


def test_a_page_never_takes_a_case_whose_citizen_was_erased_from_memory(tmp_path):
    store, keys, reads = _reads(tmp_path)
    record(SimpleNamespace(store=store), keys, "case-1", case_events("case-1"))
    kept = reads.get("case-1")
    assert kept is not None and "Ønsker job" in _text(kept)
    erase_citizen(store, keys, CPR, basis="GDPR art. 17(1)(a)", actor_id="admin-ole", actor_role="administrator",
                  now=AFTER_RETENTION)  # fmt: skip
    with one_moment():
        reads.check_all(["case-1"])
        after = reads.get("case-1")
    assert after is not None and after is not kept
    assert "Ønsker job" not in _text(after)
