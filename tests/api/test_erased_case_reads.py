"""Every reader folds an erased case the same way: closed, as it was when its citizen was erased.

Erasure destroys the citizen's key once every case of theirs has closed; the events
that held personal data then read as erased and cannot become domain events again.
The API once folded only the readable ones, so a closed case read as being in
visitation (open and overdue) while the case list showed it closed."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from activities.eventlog import open_event_store
from activities.readmodels import PersonalDataErased, fold_case, rebuild_case, to_domain_event
from app.api.readcache import CaseReads
from app.api.service import Backend
from app.erasure import erase_citizen
from domain.phases import Phase
from eventlog.keystore import KeyStore
from tests.eventlog.test_audit_erasure import AFTER_RETENTION, case_events, record


def test_a_closed_case_whose_citizen_was_erased_reads_as_closed_on_every_path(tmp_path):
    store = open_event_store(f"sqlite:///{tmp_path / 'events.db'}")
    keys = KeyStore(store.engines, os.urandom(32))
    events = case_events("case-1")
    record(SimpleNamespace(store=store), keys, "case-1", events)
    closed_at = events[-1].occurred_at
    before = CaseReads(store, keys).get("case-1")
    assert before is not None and before.state.phase is Phase.CLOSED

    erase_citizen(store, keys, "041298-1234", basis="GDPR art. 17(1)(a)", actor_id="admin-ole",
                  actor_role="administrator", now=AFTER_RETENTION)  # fmt: skip

    stored = store.read_stream("case-1")
    decoded = [to_domain_event(s, keys) for s in stored]
    cached = CaseReads(store, keys).get("case-1")
    assert cached is not None
    by_cache = cached.state
    by_backend = Backend.state_of(SimpleNamespace(keys=keys), stored)  # type: ignore[arg-type]
    for state in (fold_case(decoded), by_cache, by_backend):
        assert state.phase is Phase.CLOSED and state.phase_since == closed_at
        assert state.version == len(stored)
    with pytest.raises(PersonalDataErased):  # the strict rebuild (equal to the workflow's state) refuses
        rebuild_case(store, "case-1", keys)
