"""The phase report keeps the counts that follow from the read model's rows for the
(generation, position) they were counted at: whatever the projector does next, the
report equals one counted afresh."""

from __future__ import annotations

import random
import uuid

from eventlog import NewEvent
from projections import queries
from projections.setup import build_projector
from tests.eventlog.conftest import postgres_url  # noqa: F401 - the fixture, for the postgresql runs
from tests.projections.test_projector import DEADLINES, NOW, log, logs, write_interleaved  # noqa: F401 - the fixtures


def counted_afresh(store) -> dict:
    queries._STILL_COUNTS.pop(store.engines.read, None)
    return queries.phase_counts(store.engines, now=NOW)


def test_each_batch_and_a_rebuild_give_the_counts_counted_afresh(log):  # noqa: F811 - the fixture
    store, keys = log
    write_interleaved(store, keys, [12, 7, 20], random.Random(3))
    projector = build_projector(store, keys, DEADLINES, batch_size=5)
    seen = []
    while projector.step("cases"):
        kept = queries.phase_counts(store.engines, now=NOW)
        assert queries.phase_counts(store.engines, now=NOW) == kept  # the second from what is kept
        assert kept == counted_afresh(store)
        seen.append(kept["by_phase"])
    assert len({str(s) for s in seen}) > 1  # the counts did move between batches
    before = queries.phase_counts(store.engines, now=NOW)
    projector.rebuild("cases")
    assert queries.phase_counts(store.engines, now=NOW) == counted_afresh(store) == before


def test_an_appeal_projected_after_a_report_is_counted(log):  # noqa: F811 - the fixture
    store, keys = log
    write_interleaved(store, keys, [8], random.Random(1))
    projector = build_projector(store, keys, DEADLINES)
    projector.catch_up()
    assert queries.phase_counts(store.engines, now=NOW)["appeals_by_status"] == {}
    appeal = NewEvent(event_id=str(uuid.uuid4()), event_type="appeal_window_opened", schema_version=1,
                      occurred_at=NOW, actor_id="system", actor_role="system", legal_basis="Retssikkerhedsloven § 67",
                      payload={"case_id": "K-0", "decision_number": 1, "outcome": "granted",
                               "decided_at": "2026-11-23T12:00:00+00:00",
                               "window_ends_at": "2026-12-21T12:00:00+00:00"})  # fmt: skip
    store.append("K-0-appeal-1", 0, [appeal])
    projector.catch_up()
    assert queries.phase_counts(store.engines, now=NOW)["appeals_by_status"] == {"window_open": 1}
