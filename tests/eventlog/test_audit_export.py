"""Exports checked on their own (no database), and the access log, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventlog import NewEvent
from eventlog.access_log import AccessLog
from eventlog.export import ExportRefused, export_log, verify_export

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def event(n: int) -> NewEvent:
    return NewEvent(
        event_id=str(uuid.uuid4()),
        event_type="observation_recorded",
        schema_version=1,
        occurred_at=T0 + timedelta(minutes=n),
        actor_id="cw-anne",
        actor_role="caseworker",
        payload={"n": n},
    )


def fill(log) -> None:
    log.store.append("case-a", 0, [event(0), event(1)])
    log.store.append("case-b", 0, [event(2)])
    log.store.append("case-a", 2, [event(3)])
    log.store.append("case-b", 1, [event(4), event(5)])


def rewrite(path, change) -> None:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    change(lines)
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))


class ExportContract:
    backend: str

    @pytest.fixture
    def signer(self):
        return Ed25519PrivateKey.generate()

    def test_whole_log_export_verifies_on_its_own(self, log, signer, tmp_path):
        fill(log)
        AccessLog(log.store.engines).record(
            actor_id="ida", actor_role="auditor", stream_id=None, what="export", purpose="revision"
        )
        out = tmp_path / "all.jsonl"
        summary = export_log(log.store, out, signer)
        log.close()  # no database from here on

        report = verify_export(out, [signer.public_key()])

        assert (summary.events, summary.reads, summary.tree_head.events.size) == (6, 1, 6)
        assert report.ok and report.events == 6 and report.reads == 1 and report.key_trusted
        assert "export OK: the whole log" in str(report)

    def test_one_case_export_holds_its_events_and_reads_each_with_an_inclusion_proof(self, log, signer, tmp_path):
        fill(log)
        access = AccessLog(log.store.engines)
        access.record(actor_id="ida", actor_role="auditor", stream_id="case-a", what="trail", purpose="p")
        access.record(actor_id="bo", actor_role="caseworker", stream_id="case-b", what="trail", purpose="p")
        out = tmp_path / "case-a.jsonl"
        summary = export_log(log.store, out, signer, case_id="case-a")
        records = [json.loads(line) for line in out.read_text().splitlines()]

        assert (summary.events, summary.reads) == (3, 1)
        assert {r["stream_id"] for r in records if r["kind"] in ("event", "read")} == {"case-a"}
        assert all(len(r["proof"]) == 3 for r in records if r["kind"] == "event")  # log2(6) rounded up
        report = verify_export(out, [signer.public_key()])
        assert report.ok and report.events == 3 and report.reads == 1

    def test_an_export_of_a_case_without_events_is_refused(self, log, signer, tmp_path):
        fill(log)
        with pytest.raises(ExportRefused, match="no events for case case-z"):
            export_log(log.store, tmp_path / "z.jsonl", signer, case_id="case-z")
        assert not (tmp_path / "z.jsonl").exists()

    @pytest.mark.parametrize(
        ("change", "fault", "position"),
        [
            (lambda ls: ls[4].update(payload='{"n":9}'), "changed_payload", 3),
            (lambda ls: ls[3].update(actor_id="someone"), "changed_header", 2),
            (lambda ls: ls.pop(5), "gap", 4),
            (lambda ls: ls.__setitem__(slice(3, 5), [ls[4], ls[3]]), "gap", 2),
            (lambda ls: ls.pop(7), "incomplete", None),
            (lambda ls: ls[1].update(events={**ls[1]["events"], "size": 5}), "tree_head_invalid", None),
            (lambda ls: ls.pop(1), "malformed", None),
            (lambda ls: ls[0].update(events=5), "header_invalid", None),
        ],
        ids=["payload", "header", "deleted", "swapped", "truncated", "head-edited", "head-cut", "count-edited"],
    )
    def test_a_changed_whole_log_export_is_caught(self, log, signer, tmp_path, change, fault, position):
        fill(log)
        out = tmp_path / "all.jsonl"
        export_log(log.store, out, signer)
        rewrite(out, change)

        report = verify_export(out, [signer.public_key()])

        assert (report.ok, report.fault, report.first_bad_position) == (False, fault, position)

    def test_forged_proofs_in_a_one_case_export_are_caught(self, log, signer, tmp_path):
        fill(log)
        out = tmp_path / "case-a.jsonl"
        export_log(log.store, out, signer, case_id="case-a")
        lines = [json.loads(line) for line in out.read_text().splitlines()]

        def check(change):
            forged = [json.loads(json.dumps(line)) for line in lines]
            change(forged)
            out.write_text("".join(json.dumps(line) + "\n" for line in forged))
            report = verify_export(out, [signer.public_key()])
            return report.ok, report.fault, report.first_bad_position

        forged_event = {**lines[2], "event_id": "forged", "hash": None}
        from eventlog.hashing import event_hash

        columns = (
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
            "payload_hash",
        )
        forged_event["hash"] = event_hash(*(forged_event[c] for c in columns))
        # an event that is not in the log, with the proof of the real one at its position
        assert check(lambda ls: ls.__setitem__(2, forged_event)) == (False, "proof_invalid", 1)
        # a proof with one hash changed, cut short, or with a hash added
        assert check(lambda ls: ls[2]["proof"].__setitem__(0, "00" * 32)) == (False, "proof_invalid", 1)
        assert check(lambda ls: ls[2]["proof"].pop()) == (False, "proof_invalid", 1)
        assert check(lambda ls: ls[2]["proof"].append("11" * 32)) == (False, "proof_invalid", 1)
        # the proof of another event (right hashes, wrong place)
        assert check(lambda ls: ls[2].update(proof=ls[3]["proof"])) == (False, "proof_invalid", 1)

    def test_a_proof_against_another_head_is_caught(self, log, signer, tmp_path):
        fill(log)
        first = tmp_path / "first.jsonl"
        export_log(log.store, first, signer, case_id="case-a")
        log.store.append("case-b", 3, [event(9)])
        second = tmp_path / "second.jsonl"
        export_log(log.store, second, signer, case_id="case-a")
        old, new = ([json.loads(line) for line in p.read_text().splitlines()] for p in (first, second))
        assert old[2]["proof"] != new[2]["proof"]

        mixed = [new[0], new[1], *old[2:]]  # the older proofs under the newer, signed head
        first.write_text("".join(json.dumps(line) + "\n" for line in mixed))
        report = verify_export(first, [signer.public_key()])
        assert (report.ok, report.fault, report.first_bad_position) == (False, "proof_invalid", 1)

    def test_an_export_signed_by_another_key_or_checked_without_one_fails(self, log, signer, tmp_path):
        fill(log)
        out = tmp_path / "all.jsonl"
        export_log(log.store, out, signer)
        report = verify_export(out, [Ed25519PrivateKey.generate().public_key()])
        assert (report.ok, report.fault) == (False, "header_invalid")

        forger = Ed25519PrivateKey.generate()
        forged = tmp_path / "forged.jsonl"
        export_log(log.store, forged, forger)
        assert verify_export(forged, [signer.public_key()]).fault == "header_invalid"
        unpinned = verify_export(forged, None)
        assert (unpinned.ok, unpinned.fault) == (False, "untrusted_key") and "no trusted public key" in str(unpinned)

    def test_a_broken_log_is_not_exported(self, log, signer, tmp_path):
        fill(log)
        log.tamper("DELETE FROM events WHERE position = 3")
        with pytest.raises(ExportRefused, match="gap"):
            export_log(log.store, tmp_path / "x.jsonl", signer)
        assert not (tmp_path / "x.jsonl").exists()

    # -- the access log -----------------------------------------------------------------

    def test_reads_are_recorded_listed_per_case_and_chained(self, log):
        access = AccessLog(log.store.engines)
        access.record(
            actor_id="cw-anne", actor_role="caseworker", stream_id="case-a", what="events", purpose="visitation"
        )
        access.record(actor_id="ida", actor_role="auditor", stream_id=None, what="export", purpose="årlig revision")
        access.record(actor_id="cw-bo", actor_role="caseworker", stream_id="case-b", what="trail", purpose="sag")
        access.record(
            actor_id="citizen", actor_role="citizen", stream_id="case-a", what="access_log", purpose="indsigt"
        )

        seen = access.for_case("case-a")

        assert [(r.actor_id, r.what) for r in seen] == [
            ("cw-anne", "events"),
            ("ida", "export"),
            ("citizen", "access_log"),
        ]
        assert seen[0].purpose == "visitation" and seen[0].recorded_at.tzinfo is not None
        assert access.verify().ok and access.verify().checked == 4

    def test_a_page_of_a_cases_reads_is_the_newest_of_its_own_reads_lists_and_whole_log_reads(self, log):
        access = AccessLog(log.store.engines)
        for n in range(7):
            access.record(actor_id=f"cw-{n}", actor_role="caseworker", stream_id="case-a", what="events", purpose="sag")
            access.record(actor_id=f"cw-{n}", actor_role="caseworker", stream_id=None, what="list_cases",
                          purpose="arbejdsliste", shown=["case-b", "case-a"] if n % 2 else ["case-b"])  # fmt: skip
            access.record(actor_id="cw-x", actor_role="caseworker", stream_id="case-b", what="events", purpose="sag")
        access.record(actor_id="ida", actor_role="auditor", stream_id=None, what="export", purpose="revision")
        every = access.for_case("case-a")
        assert len(every) == 7 + 3 + 1 and [r.position for r in every] == sorted(r.position for r in every)

        newest = access.for_case("case-a", limit=4)
        assert newest == every[-4:]
        older = access.for_case("case-a", limit=4, before=newest[0].position)
        assert older == every[-8:-4]
        assert access.for_case("case-a", limit=100, before=every[0].position) == []
        with pytest.raises(ValueError, match="limit"):
            access.for_case("case-a", limit=0)

    def test_a_read_without_purpose_or_reader_is_refused_and_not_recorded(self, log):
        access = AccessLog(log.store.engines)
        with pytest.raises(ValueError, match="purpose is required"):
            access.record(actor_id="x", actor_role="caseworker", stream_id="case-a", what="events", purpose="  ")
        with pytest.raises(ValueError, match="actor id"):
            access.record(actor_id="", actor_role="caseworker", stream_id="case-a", what="events", purpose="p")
        assert access.for_case("case-a") == []

    def test_a_changed_access_record_breaks_its_chain(self, log):
        access = AccessLog(log.store.engines)
        for who in ("a", "b", "c"):
            access.record(actor_id=who, actor_role="caseworker", stream_id="case-a", what="events", purpose="p")
        log.tamper("UPDATE access_log SET actor_id = 'nobody' WHERE position = 2")
        report = access.verify()
        assert (report.ok, report.first_bad_position) == (False, 2)


class TestSQLiteExport(ExportContract):
    backend = "sqlite"


@pytest.mark.postgres
class TestPostgresExport(ExportContract):
    backend = "postgresql"
