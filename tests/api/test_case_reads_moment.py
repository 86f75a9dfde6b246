"""A request's reads check each case against the log once (``one_moment``), and a page of
several cases checks them together (``CaseReads.check_all``); a case that moved on, or whose
citizen was erased, is never taken from memory for it."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from activities.eventlog import open_event_store, to_new_event
from activities.messages import RecordedEvent
from app.api.readcache import CaseReads, one_moment
from app.erasure import erase_citizen
from domain.appeal import AppealChannel, AppealLodged, AppealStatus, AppealWindowOpened, appeal_id
from domain.appeal_window import appeal_window_ends
from domain.case.decision import DecisionMade, Outcome
from domain.messages import SYSTEM_ACTOR
from domain.phases import Phase
from eventlog.keystore import KeyStore
from tests.eventlog.test_audit_erasure import AFTER_RETENTION, CPR, CW, case_events, record

DECIDED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _reads(tmp_path):
    store = open_event_store(f"sqlite:///{tmp_path / 'events.db'}")
    keys = KeyStore(store.engines, os.urandom(32))
    return store, keys, CaseReads(store, keys)


def _text(case) -> str:
    return b"".join(entry for _, entry in case.timeline).decode()


def _counted(reads, monkeypatch) -> list[tuple[str, ...]]:
    """The checks the reads make, each as the streams it asks for (with their keys' erasure,
    in the same statement): a case checked alone asks for its own, a page checked together
    for all of its cases' in one statement."""
    checks: list[tuple[str, ...]] = []
    now = reads._freshness.now

    def counted(stream_ids, key_ids):
        asked = tuple(sorted(stream_ids))
        checks.append(asked)
        return now(asked, key_ids)

    monkeypatch.setattr(reads._freshness, "now", counted)
    return checks


def test_a_case_read_again_in_one_moment_is_checked_once_and_outside_each_time(tmp_path, monkeypatch):
    store, keys, reads = _reads(tmp_path)
    record(SimpleNamespace(store=store), keys, "case-1", case_events("case-1", closed=False))
    reads.get("case-1")  # decoded and kept
    checks = _counted(reads, monkeypatch)
    with one_moment():
        first, again = reads.get("case-1"), reads.get("case-1")
        with one_moment():  # nested: the outer moment
            inner = reads.get("case-1")
    assert first is again is inner and checks == [("case-1",)]
    reads.get("case-1")
    reads.get("case-1")
    assert checks == [("case-1",)] * 3


def test_a_page_checks_its_kept_cases_together_and_leaves_out_one_that_moved_on(tmp_path, monkeypatch):
    store, keys, reads = _reads(tmp_path)
    for case_id in ("case-1", "case-2", "case-3"):
        record(SimpleNamespace(store=store), keys, case_id, case_events(case_id, cpr=CPR, closed=False))
        reads.get(case_id)
    moved = case_events("case-2", closed=True)[3:]  # the case was closed since it was kept
    store.append("case-2", 3, [to_new_event(RecordedEvent(event_id=str(uuid.uuid4()), event=e), keys, "case-2")
                               for e in moved])  # fmt: skip
    checks = _counted(reads, monkeypatch)
    with one_moment():
        reads.check_all(["case-1", "case-2", "case-3", "case-unknown"])
        assert checks == [("case-1", "case-2", "case-3")]
        states = {case_id: reads.get(case_id) for case_id in ("case-1", "case-2", "case-3")}
    assert checks == [("case-1", "case-2", "case-3"), ("case-2",)]  # only the case that moved on is checked again
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


def test_a_kept_case_s_appeal_is_checked_with_it_and_read_again_when_it_moves_on(tmp_path, monkeypatch):
    """The appeal of the latest decision has a stream of its own: its version is checked in the
    same statement as the case's, and an appeal lodged since the case was kept is read."""
    store, keys, reads = _reads(tmp_path)
    case_id, stream = "case-1", appeal_id("case-1", 1)
    registered, opened_visitation = case_events(case_id, cpr=CPR, closed=False)[:2]
    decided = DecisionMade(occurred_at=DECIDED, actor=CW, outcome=Outcome.REFUSED, services=(), reasons="Ikke omfattet",
                           appeal_guidance="Du kan klage inden 4 uger", rests_on=("SEL § 85",))  # fmt: skip
    record(SimpleNamespace(store=store), keys, case_id, [registered, opened_visitation, decided])
    before = reads.get(case_id)
    assert before is not None and before.appeal is None and before.streams == (case_id, stream)
    window = AppealWindowOpened(occurred_at=DECIDED, actor=SYSTEM_ACTOR, case_id=case_id, decision_number=1,
                                outcome="refused", decided_at=DECIDED, window_ends_at=appeal_window_ends(DECIDED))  # fmt: skip
    lodged = AppealLodged(occurred_at=DECIDED + timedelta(days=3), actor=CW, complaint="Ringede: vil have hjælp", late=False,
                          reconsideration_due_at=DECIDED + timedelta(days=31), channel=AppealChannel.PHONE,
                          received_on=date(2026, 11, 30))  # fmt: skip
    store.append(stream, 0, [to_new_event(RecordedEvent(event_id=str(uuid.uuid4()), event=e), keys, case_id)
                             for e in (window, lodged)])  # fmt: skip
    checks = _counted(reads, monkeypatch)
    with one_moment():
        reads.check_all([case_id])
        after = reads.get(case_id)
    assert checks == [(case_id, stream), (case_id, stream)]  # the page's check left it out; its own found it moved
    assert after is not None and after is not before and after.appeal is not None
    assert after.appeal.status is AppealStatus.AWAITING_RECONSIDERATION and after.appeal_version == 2
    assert "Ringede: vil have hjælp" in after.appeal.model_dump_json()  # the complaint decrypted
    with one_moment():
        reads.check_all([case_id])
        assert reads.get(case_id) is after  # unchanged since: taken from memory
