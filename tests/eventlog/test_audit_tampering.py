"""The tampering matrix: every way to change history is caught, with the right
kind of fault at the right position, on SQLite and PostgreSQL alike.

The attacker here has the database owner's rights: ``log.tamper`` drops the
append-only triggers, changes the rows and puts the triggers back. Attacks that
recompute the chain (and move the head) pass a plain ``verify``; a signed
checkpoint kept outside the database catches them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventlog import NewEvent
from eventlog.access_log import AccessLog, access_hash
from eventlog.checkpoints import CheckpointInvalid, checkpoint_log, sign_checkpoint, verify_against
from eventlog.hashing import event_hash, payload_hash
from eventlog.merkle import Frontier
from eventlog.merkle_store import grow_rows
from eventlog.tree_heads import TreeHeadInvalid, sign_current, verify_since

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
N = 8
HEADER = (
    "prev_hash, position, stream_id, stream_version, event_id, event_type, schema_version, "
    "occurred_at, recorded_at, actor_id, actor_role, legal_basis"
)


def event(n: int) -> NewEvent:
    return NewEvent(
        event_id=str(uuid.uuid4()),
        event_type="observation_recorded",
        schema_version=1,
        occurred_at=T0 + timedelta(minutes=n),
        actor_id="cw-anne",
        actor_role="caseworker",
        payload={"n": n, "text": f"note {n}"},
        legal_basis="SEL § 141" if n % 2 else None,
    )


def fill(log) -> None:
    """8 events: positions 1-4 in case-a, 5-8 in case-b."""
    log.store.append("case-a", 0, [event(i) for i in range(4)])
    log.store.append("case-b", 0, [event(i) for i in range(4, 8)])


def rows(log) -> list[tuple]:
    return log.sql(f"SELECT {HEADER}, payload, payload_hash, hash FROM events ORDER BY position")


def regrow_trees(log) -> None:
    """What a thorough attacker does after changing rows: grow the Merkle trees again
    over the changed rows. The event log's tree lives in its rows and head: they
    recompute it (as the append would have) and write it over the stored one; the
    access log's they throw away and let the store grow again."""
    frontier = Frontier()
    nodes = grow_rows(frontier, [h for (h,) in log.sql("SELECT hash FROM events ORDER BY position")])
    statements = [("UPDATE events SET merkle_nodes = :n WHERE position = :p", {"n": n, "p": p})
                  for p, n in enumerate(nodes, start=1)]  # fmt: skip
    statements.append(("UPDATE log_head SET frontier = :f", {"f": frontier.to_bytes()}))
    log.tamper(*statements, "DELETE FROM merkle_nodes", "DELETE FROM merkle_frontier")
    log.store.create_schema()


def shift_from(position: int) -> list[str]:
    """Statements that move rows at ``position`` and after one place up (two steps: keys stay unique)."""
    return [
        f"UPDATE events SET position = position + 1000 WHERE position >= {position}",
        f"UPDATE events SET position = position - 999 WHERE position >= {position + 1000}",
    ]


class TamperingMatrix:
    backend: str

    @pytest.fixture
    def signer(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.generate()

    def checkpoint(self, log, signer):
        signed, report = checkpoint_log(log.store, signer)
        assert report.ok and signed is not None and signed.position == N
        return signed

    def verdict(self, log, checkpoint=None, signer=None):
        if checkpoint is None:
            report = log.store.verify(batch_size=3)
        else:
            report = verify_against(log.store, [checkpoint], [signer.public_key()])
        return report.ok, report.fault, report.first_bad_position

    # -- the matrix ------------------------------------------------------------------

    def test_untouched_log_verifies_and_holds_its_checkpoint(self, log, signer):
        fill(log)
        cp = self.checkpoint(log, signer)
        assert self.verdict(log) == (True, None, None)
        assert self.verdict(log, cp, signer) == (True, None, None)

    def test_edited_payload(self, log):
        fill(log)
        log.tamper("UPDATE events SET payload = :p WHERE position = 3", p='{"n":2,"text":"changed"}')
        assert self.verdict(log) == (False, "changed_payload", 3)

    def test_edited_header_field(self, log):
        fill(log)
        log.tamper("UPDATE events SET occurred_at = '2020-01-01T00:00:00.000000Z' WHERE position = 5")
        assert self.verdict(log) == (False, "changed_header", 5)

    def test_edited_legal_basis(self, log):
        fill(log)
        log.tamper("UPDATE events SET legal_basis = 'SEL § 85' WHERE position = 2")
        assert self.verdict(log) == (False, "changed_header", 2)

    def test_deleted_row(self, log):
        fill(log)
        log.tamper("DELETE FROM events WHERE position = 4")
        assert self.verdict(log) == (False, "gap", 4)

    def test_inserted_row_with_a_forged_hash(self, log):
        fill(log)
        prev = rows(log)[2][-1]  # hash of position 3
        forged = [
            prev,
            4,
            "case-x",
            1,
            str(uuid.uuid4()),
            "observation_recorded",
            1,
            "2026-03-01T09:03:30.000000Z",
            "2026-03-01T09:03:30.000000Z",
            "intruder",
            "caseworker",
            None,
        ]
        text = '{"text":"inserted"}'
        digest = payload_hash(text)
        values = dict(
            zip(
                (
                    "prev_hash",
                    "position",
                    "stream_id",
                    "stream_version",
                    "event_id",
                    "event_type",
                    "schema_version",
                    "occurred_at",
                    "recorded_at",
                    "actor_id",
                    "actor_role",
                    "legal_basis",
                ),
                forged,
                strict=True,
            )
        )
        insert = (
            "INSERT INTO events (position, stream_id, stream_version, event_id, event_type, schema_version, "
            "occurred_at, recorded_at, actor_id, actor_role, legal_basis, payload, payload_hash, prev_hash, hash) "
            "VALUES (:position, :stream_id, :stream_version, :event_id, :event_type, :schema_version, :occurred_at, "
            ":recorded_at, :actor_id, :actor_role, :legal_basis, :payload, :payload_hash, :prev_hash, :hash)",
            {**values, "payload": text, "payload_hash": digest, "hash": event_hash(*[*forged, digest])},
        )
        last = rows(log)[-1][-1]
        log.tamper(*shift_from(4), insert, ("UPDATE log_head SET position = :p, hash = :h", {"p": N + 1, "h": last}))
        # The forged row itself links and hashes correctly; the row after it no longer links.
        assert self.verdict(log) == (False, "broken_chain", 5)

    def test_swapped_rows(self, log):
        fill(log)
        log.tamper(
            "UPDATE events SET position = -2 WHERE position = 2",
            "UPDATE events SET position = 2 WHERE position = 6",
            "UPDATE events SET position = 6 WHERE position = -2",
        )
        assert self.verdict(log) == (False, "broken_chain", 2)

    def test_truncated_tail(self, log):
        fill(log)
        log.tamper("DELETE FROM events WHERE position > 6")
        assert self.verdict(log) == (False, "head_mismatch", 7)

    def test_truncated_tail_with_the_head_moved_back_is_caught_by_the_checkpoint(self, log, signer):
        fill(log)
        cp = self.checkpoint(log, signer)
        sixth = rows(log)[5][-1]
        log.tamper(
            "DELETE FROM events WHERE position > 6", ("UPDATE log_head SET position = 6, hash = :h", {"h": sixth})
        )
        regrow_trees(log)

        assert self.verdict(log) == (True, None, None)  # a consistent, shorter log
        assert self.verdict(log, cp, signer) == (False, "checkpoint_mismatch", 7)

    def test_complete_rewrite_with_a_recomputed_chain_is_caught_by_the_checkpoint(self, log, signer):
        fill(log)
        cp = self.checkpoint(log, signer)
        statements = []
        prev = "0" * 64
        for row in rows(log):
            header, payload = list(row[:12]), row[12]
            if header[1] == 3:
                payload = '{"n":2,"text":"rewritten"}'
            header[0] = prev
            digest = payload_hash(payload)
            new_hash = event_hash(*[*header, digest])
            statements.append(
                (
                    "UPDATE events SET payload = :p, payload_hash = :ph, prev_hash = :prev, hash = :h WHERE position = :pos",
                    {"p": payload, "ph": digest, "prev": prev, "h": new_hash, "pos": header[1]},
                )
            )
            prev = new_hash
        statements.append(("UPDATE log_head SET hash = :h", {"h": prev}))
        log.tamper(*statements)
        regrow_trees(log)

        assert self.verdict(log) == (True, None, None)  # the chain is consistent again
        ok, fault, position = self.verdict(log, cp, signer)
        assert (ok, fault, position) == (False, "checkpoint_mismatch", N)
        assert "recomputed" in str(verify_against(log.store, [cp], [signer.public_key()]))

    # -- checkpoints themselves ---------------------------------------------------------

    def test_a_checkpoint_from_another_key_is_not_trusted(self, log, signer):
        fill(log)
        cp = self.checkpoint(log, signer)
        with pytest.raises(CheckpointInvalid, match="not the trusted key"):
            verify_against(log.store, [cp], [Ed25519PrivateKey.generate().public_key()])

    def test_an_edited_checkpoint_fails_its_signature(self, log, signer):
        fill(log)
        cp = self.checkpoint(log, signer)
        forged = type(cp)(**{**cp.to_dict(), "position": 5})
        with pytest.raises(CheckpointInvalid, match="changed after it was signed"):
            verify_against(log.store, [forged], [signer.public_key()])

    def test_a_broken_log_gets_no_checkpoint(self, log, signer):
        fill(log)
        log.tamper("DELETE FROM events WHERE position = 2")
        signed, report = checkpoint_log(log.store, signer)
        assert signed is None and report.fault == "gap"

    def test_checkpoint_of_an_earlier_prefix_still_holds_after_more_appends(self, log, signer):
        fill(log)
        cp = self.checkpoint(log, signer)
        log.store.append("case-a", 4, [event(9)])
        assert self.verdict(log, cp, signer) == (True, None, None)
        wrong = sign_checkpoint(signer, 3, "a" * 64)
        assert self.verdict(log, wrong, signer) == (False, "checkpoint_mismatch", 3)

    # -- the database refuses to change history --------------------------------------------

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE events SET payload = '{}' WHERE position = 1",
            "UPDATE events SET actor_id = 'x'",
            "DELETE FROM events WHERE position = 8",
            "DELETE FROM events",
            "UPDATE log_head SET position = 3",
            "DELETE FROM log_head",
        ],
    )
    def test_triggers_refuse_update_and_delete(self, log, statement):
        fill(log)
        with pytest.raises(sa.exc.DatabaseError, match=r"append-only|only moves forward|cannot be deleted"):
            log.sql(statement)
        assert self.verdict(log) == (True, None, None)
        assert log.sql("SELECT count(*) FROM events") == [(N,)]

    def test_triggers_refuse_changes_to_the_access_log(self, log):
        AccessLog(log.store.engines).record(
            actor_id="ida", actor_role="auditor", stream_id="case-a", what="trail", purpose="test"
        )
        for statement in ("UPDATE access_log SET purpose = 'other'", "DELETE FROM access_log"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                log.sql(statement)
        assert AccessLog(log.store.engines).verify().ok

    def test_appends_still_move_the_head_forward(self, log):
        fill(log)
        log.store.append("case-a", 4, [event(10)])
        assert log.store.head()[0] == N + 1 and log.store.verify().ok

    # -- signed tree heads: the Merkle trees --------------------------------------------

    def head(self, log, signer):
        signed, reports = sign_current(log.store, signer)
        assert signed is not None, reports
        return signed

    def since(self, log, head, signer):
        return [(c.ok, c.fault, c.first_bad_position) for c in verify_since(log.store, head, [signer.public_key()])]

    def test_a_log_that_only_grew_passes_since_its_head(self, log, signer):
        fill(log)
        reads(log, 4)
        head = self.head(log, signer)
        log.store.append("case-a", 4, [event(20), event(21)])
        reads(log, 2)
        checks = verify_since(log.store, head, [signer.public_key()])
        assert [(c.ok, c.first_size, c.size, c.checked) for c in checks] == [(True, N, N + 2, 2), (True, 4, 6, 2)]

    def test_events_rewritten_with_recomputed_chain_and_tree_are_caught_by_a_head(self, log, signer):
        fill(log)
        head = self.head(log, signer)
        statements, prev = [], "0" * 64
        for row in rows(log):
            header, payload = list(row[:12]), row[12]
            if header[1] == 3:
                payload = '{"n":2,"text":"rewritten"}'
            header[0] = prev
            digest = payload_hash(payload)
            new_hash = event_hash(*[*header, digest])
            statements.append(("UPDATE events SET payload = :p, payload_hash = :ph, prev_hash = :prev, hash = :h "
                               "WHERE position = :pos", {"p": payload, "ph": digest, "prev": prev, "h": new_hash,
                                                        "pos": header[1]}))  # fmt: skip
            prev = new_hash
        statements.append(("UPDATE log_head SET hash = :h", {"h": prev}))
        log.tamper(*statements)
        regrow_trees(log)

        assert self.verdict(log) == (True, None, None)
        assert self.since(log, head, signer)[0] == (False, "tree_head_mismatch", N)
        roots = {head.events.size: bytes.fromhex(head.events.root)}
        report = log.store.verify(roots=roots, anchors={N: head.events.chain_head})
        assert (report.ok, report.fault, report.first_bad_position) == (False, "checkpoint_mismatch", N)
        assert log.store.verify(roots=roots).fault == "tree_head_mismatch"

    def test_a_changed_stored_merkle_node_is_caught(self, log):
        fill(log)
        log.tamper("UPDATE events SET merkle_nodes = :h WHERE position = 4", h=b"\x00" * 64)
        report = log.store.verify()
        assert (report.ok, report.fault, report.first_bad_position) == (False, "tree_mismatch", 4)

    def test_stored_merkle_nodes_on_a_row_that_completes_no_subtree_are_caught(self, log):
        fill(log)
        log.tamper("UPDATE events SET merkle_nodes = :h WHERE position = 3", h=b"\x00" * 32)
        report = log.store.verify()
        assert (report.ok, report.fault, report.first_bad_position) == (False, "tree_mismatch", 3)

    def test_a_tree_head_signed_by_another_key_or_of_another_log_is_refused(self, log, signer, new_log):
        fill(log)
        head = self.head(log, signer)
        with pytest.raises(TreeHeadInvalid, match="not the trusted key"):
            verify_since(log.store, head, [Ed25519PrivateKey.generate().public_key()])
        with pytest.raises(TreeHeadInvalid, match="no trusted public key"):
            verify_since(log.store, head, None)
        edited = type(head)(
            **{
                **{f: getattr(head, f) for f in head.__dataclass_fields__},
                "events": type(head.events)(5, head.events.root, head.events.chain_head),
            }
        )
        with pytest.raises(TreeHeadInvalid, match="changed after it was signed"):
            verify_since(log.store, edited, [signer.public_key()])
        with new_log() as other:
            fill(other)
            with pytest.raises(TreeHeadInvalid, match="another installation"):
                verify_since(other.store, head, [signer.public_key()])

    # -- the access log ---------------------------------------------------------------------

    def test_access_log_cut_at_the_end_is_caught(self, log):
        reads(log, 5)
        log.tamper("DELETE FROM access_log WHERE position > 3")
        report = AccessLog(log.store.engines).verify()
        assert (report.ok, report.fault, report.first_bad_position) == (False, "head_mismatch", 4)

    def test_access_log_emptied_is_caught(self, log):
        reads(log, 3)
        log.tamper("DELETE FROM access_log")
        report = AccessLog(log.store.engines).verify()
        assert (report.ok, report.fault, report.first_bad_position) == (False, "head_mismatch", 1)

    def test_access_log_emptied_with_its_tree_is_caught_by_a_head(self, log, signer):
        fill(log)
        reads(log, 3)
        head = self.head(log, signer)
        log.tamper(
            "DELETE FROM access_log",
            "DELETE FROM merkle_nodes WHERE tree = 2",
            "DELETE FROM merkle_frontier WHERE tree = 2",
        )
        log.store.create_schema()
        assert AccessLog(log.store.engines).verify().ok  # an empty, consistent access log
        assert self.since(log, head, signer)[1] == (False, "tree_head_mismatch", 1)
        report = AccessLog(log.store.engines).verify(roots={3: bytes.fromhex(head.access_log.root)})
        assert (report.ok, report.fault, report.first_bad_position) == (False, "tree_head_mismatch", 1)

    def test_access_log_read_deleted_with_a_recomputed_chain_is_caught(self, log, signer):
        fill(log)
        reads(log, 5)
        head = self.head(log, signer)
        kept = log.sql("SELECT * FROM access_log WHERE position <> 2 ORDER BY position")
        statements: list[str | tuple[str, dict[str, Any]]] = ["DELETE FROM access_log"]
        prev = "0" * 64
        for new_position, row in enumerate(kept, start=1):
            (_, recorded_at, actor_id, actor_role, stream_id, what, purpose, _, _) = row
            digest = access_hash(prev, new_position, recorded_at, actor_id, actor_role, stream_id, what, purpose)
            statements.append(("INSERT INTO access_log VALUES (:p, :r, :a, :ro, :s, :w, :pu, :prev, :h)",
                               {"p": new_position, "r": recorded_at, "a": actor_id, "ro": actor_role, "s": stream_id,
                                "w": what, "pu": purpose, "prev": prev, "h": digest}))  # fmt: skip
            prev = digest
        log.tamper(*statements)

        report = AccessLog(log.store.engines).verify()  # the stored tree still holds the deleted read
        assert (report.ok, report.fault, report.first_bad_position) == (False, "tree_mismatch", 2)
        log.tamper("DELETE FROM merkle_nodes WHERE tree = 2", "DELETE FROM merkle_frontier WHERE tree = 2")
        log.store.create_schema()  # the thorough attacker regrows the tree and head
        assert AccessLog(log.store.engines).verify().ok
        assert self.since(log, head, signer)[1] == (False, "tree_head_mismatch", 5)
        roots = {5: bytes.fromhex(head.access_log.root)}
        report = AccessLog(log.store.engines).verify(roots=roots)
        assert (report.ok, report.fault, report.first_bad_position) == (False, "tree_head_mismatch", 5)

    def test_access_log_forged_insert_is_caught(self, log):
        reads(log, 3)
        (row,) = log.sql("SELECT * FROM access_log WHERE position = 3")
        forged_hash = access_hash(row[-1], 4, row[1], "intruder", "caseworker", "case-a", "events", "forged")
        log.tamper(("INSERT INTO access_log VALUES (4, :r, 'intruder', 'caseworker', 'case-a', 'events', 'forged', :prev, :h)",
                    {"r": row[1], "prev": row[-1], "h": forged_hash}))  # fmt: skip
        report = AccessLog(log.store.engines).verify()  # position 4 completes subtrees the tree does not hold
        assert (report.ok, report.fault, report.first_bad_position) == (False, "tree_mismatch", 4)

    def test_access_log_edited_read_is_caught(self, log):
        reads(log, 3)
        log.tamper("UPDATE access_log SET purpose = 'other' WHERE position = 2")
        report = AccessLog(log.store.engines).verify()
        assert (report.ok, report.fault, report.first_bad_position) == (False, "changed_header", 2)


def reads(log, count: int) -> None:
    access = AccessLog(log.store.engines)
    for i in range(count):
        access.record(actor_id=f"reader-{i}", actor_role="caseworker", stream_id="case-a", what="events", purpose="p")


class TestSQLiteTampering(TamperingMatrix):
    backend = "sqlite"


@pytest.mark.postgres
class TestPostgresTampering(TamperingMatrix):
    backend = "postgresql"

    def test_truncate_is_refused(self, log):
        fill(log)
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            log.sql("TRUNCATE events")
        assert log.store.verify().ok
