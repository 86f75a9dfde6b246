"""One case checked without walking the log: its rows recomputed, linked to the
rows after them, and proved in the last signed tree head (``eventlog.case_check``)."""

from __future__ import annotations

import random

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventlog.case_check import check_case
from eventlog.hashing import event_hash
from eventlog.tree_heads import sign_current
from tests.projections.helpers import CaseWriter, lifecycle


def two_cases(store):
    import os

    from eventlog.keystore import KeyStore

    keys = KeyStore(store.engines, os.urandom(32))
    writers = [CaseWriter(store, keys, f"K-{i}", lifecycle(f"K-{i}", cpr=f"04129812{i:02d}")) for i in range(2)]
    rng = random.Random(1)
    for _ in range(14):
        rng.choice(writers).step()
    return writers


class CaseCheckMatrix:
    def test_an_untouched_case_checks_and_every_row_is_proved_in_the_signed_head(self, log):
        two_cases(log.store)
        head, _ = sign_current(log.store, Ed25519PrivateKey.generate())
        result = check_case(log.store, "K-0", head)
        assert result.ok and result.checked == result.proved == len(log.store.read_stream("K-0")) > 0

    def test_an_edited_field_is_caught_at_its_row(self, log):
        two_cases(log.store)
        target = log.store.read_stream("K-0")[1]
        log.tamper("UPDATE events SET actor_id = 'someone-else' WHERE position = :p", p=target.position)
        result = check_case(log.reopen(), "K-0")
        assert (result.ok, result.fault, result.position) == (False, "changed_header", target.position)

    def test_a_row_re_hashed_after_an_edit_breaks_the_link_to_the_next_row(self, log):
        two_cases(log.store)
        target = log.store.read_stream("K-0")[1]
        forged = event_hash(target.prev_hash, target.position, target.stream_id, target.stream_version,
                            target.event_id, target.event_type, target.schema_version,
                            target.occurred_at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
                            target.recorded_at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
                            "someone-else", target.actor_role, target.legal_basis, target.payload_hash)  # fmt: skip
        log.tamper(
            "UPDATE events SET actor_id = 'someone-else', hash = :h WHERE position = :p", h=forged, p=target.position
        )
        result = check_case(log.reopen(), "K-0")
        assert (result.ok, result.fault, result.position) == (False, "broken_chain", target.position + 1)

    def test_a_case_rewritten_with_its_chain_recomputed_is_not_in_the_signed_head(self, log):
        two_cases(log.store)
        head, _ = sign_current(log.store, Ed25519PrivateKey.generate())
        assert head is not None  # the log verifies, so a head is signed
        last = log.store.read_stream("K-1")[-1]
        if last.position != head.events.size:
            pytest.skip("the scenario's last row is not K-1's")
        forged = event_hash(last.prev_hash, last.position, last.stream_id, last.stream_version, last.event_id,
                            last.event_type, last.schema_version,
                            last.occurred_at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
                            last.recorded_at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
                            "someone-else", last.actor_role, last.legal_basis, last.payload_hash)  # fmt: skip
        # the last row has no row after it: only the signed head can tell
        log.tamper(
            "UPDATE events SET actor_id = 'someone-else', hash = :h WHERE position = :p", h=forged, p=last.position
        )
        assert check_case(log.reopen(), "K-1").ok  # without a head it cannot be caught
        result = check_case(log.reopen(), "K-1", head)
        # the forged leaf fails its own proof, and that of any row of the case whose audit path passes through it
        assert (result.ok, result.fault) == (False, "not_in_signed_head")
        assert result.position in {e.position for e in log.store.read_stream("K-1")}


class TestSQLiteCaseCheck(CaseCheckMatrix):
    backend = "sqlite"


@pytest.mark.postgres
class TestPostgresCaseCheck(CaseCheckMatrix):
    backend = "postgresql"
