"""Exports checked on their own (no database), and the access log, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventlog import NewEvent
from eventlog.access_log import AccessLog
from eventlog.export import ExportRefused, export_log, verify_export

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def event(n: int) -> NewEvent:
    return NewEvent(event_id=str(uuid.uuid4()), event_type="observation_recorded", schema_version=1,
                    occurred_at=T0 + timedelta(minutes=n), actor_id="cw-anne", actor_role="caseworker",
                    payload={"n": n})


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
        out = tmp_path / "all.jsonl"
        summary = export_log(log.store, out, signer)
        log.close()  # no database from here on

        report = verify_export(out, [signer.public_key()])

        assert (summary.events, summary.links, summary.checkpoint.position) == (6, 0, 6)
        assert report.ok and report.events == 6 and report.checked == 6 and report.key_trusted
        assert "export OK: the whole log" in str(report)

    def test_one_case_export_holds_its_events_in_full_and_links_through_the_rest(self, log, signer, tmp_path):
        fill(log)
        out = tmp_path / "case-a.jsonl"
        summary = export_log(log.store, out, signer, case_id="case-a")
        records = [json.loads(line) for line in out.read_text().splitlines()]

        assert (summary.events, summary.links) == (3, 3)
        assert all("payload" not in r for r in records if r["kind"] == "link")
        assert {r["stream_id"] for r in records if r["kind"] == "event"} == {"case-a"}
        report = verify_export(out, [signer.public_key()])
        assert report.ok and report.events == 3 and report.checked == 6

    @pytest.mark.parametrize(
        ("change", "fault", "position"),
        [
            (lambda ls: ls[3].update(payload='{"n":9}'), "changed_payload", 3),
            (lambda ls: ls[2].update(actor_id="someone"), "changed_header", 2),
            (lambda ls: ls.pop(4), "gap", 4),
            (lambda ls: ls.__setitem__(slice(2, 4), [ls[3], ls[2]]), "gap", 2),
            (lambda ls: ls.pop(-2), "checkpoint_mismatch", 6),
            (lambda ls: ls[-1].update(position=5), "checkpoint_invalid", None),
            (lambda ls: ls.pop(), "checkpoint_missing", None),
        ],
        ids=["payload", "header", "deleted", "swapped", "truncated", "checkpoint-edited", "checkpoint-cut"],
    )
    def test_a_changed_export_is_caught(self, log, signer, tmp_path, change, fault, position):
        fill(log)
        out = tmp_path / "all.jsonl"
        export_log(log.store, out, signer)
        rewrite(out, change)

        report = verify_export(out, [signer.public_key()])

        assert (report.ok, report.fault, report.first_bad_position) == (False, fault, position)

    def test_an_export_signed_by_another_key_is_not_trusted(self, log, signer, tmp_path):
        fill(log)
        out = tmp_path / "all.jsonl"
        export_log(log.store, out, signer)
        report = verify_export(out, [Ed25519PrivateKey.generate().public_key()])
        assert (report.ok, report.fault) == (False, "checkpoint_invalid")
        unpinned = verify_export(out, None)
        assert unpinned.ok and not unpinned.key_trusted and "NOT checked against a trusted key" in str(unpinned)

    def test_a_broken_log_is_not_exported(self, log, signer, tmp_path):
        fill(log)
        log.tamper("DELETE FROM events WHERE position = 3")
        with pytest.raises(ExportRefused, match="gap"):
            export_log(log.store, tmp_path / "x.jsonl", signer)
        assert not (tmp_path / "x.jsonl").exists()

    # -- the access log -----------------------------------------------------------------

    def test_reads_are_recorded_listed_per_case_and_chained(self, log):
        access = AccessLog(log.store.engines)
        access.record(actor_id="cw-anne", actor_role="caseworker", stream_id="case-a", what="events", purpose="visitation")
        access.record(actor_id="ida", actor_role="auditor", stream_id=None, what="export", purpose="årlig revision")
        access.record(actor_id="cw-bo", actor_role="caseworker", stream_id="case-b", what="trail", purpose="sag")
        access.record(actor_id="citizen", actor_role="citizen", stream_id="case-a", what="access_log", purpose="indsigt")

        seen = access.for_case("case-a")

        assert [(r.actor_id, r.what) for r in seen] == [
            ("cw-anne", "events"), ("ida", "export"), ("citizen", "access_log"),
        ]
        assert seen[0].purpose == "visitation" and seen[0].recorded_at.tzinfo is not None
        assert access.verify().ok and access.verify().checked == 4

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
