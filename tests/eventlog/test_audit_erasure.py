"""Personal data encrypted with a key per citizen, and erased by destroying the key:
on SQLite and PostgreSQL, the log keeps verifying and nothing personal can be read back."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from activities.eventlog import to_new_event
from activities.messages import RecordedEvent
from activities.readmodels import ErasedRecord, PersonalDataErased, case_view, rebuild_case, to_domain_event
from app.erasure import ErasureRefused, erase_citizen, erasure_stream
from domain import personal_data, retention
from domain.case.closing import CaseClosed
from domain.case.meetings import ObservationRecorded
from domain.case.need import Need, NeedRegistered, ReportedBy, VisitationOpened
from domain.citizen import Citizen
from domain.messages import Actor, Role
from eventlog.crypto import ERASED, DecryptionFailed, KeyUnavailable, decrypt_fields, encrypt_fields
from eventlog.keystore import AlreadyErased, KeyStore

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
AFTER_RETENTION = datetime(2031, 3, 2, 9, 0, tzinfo=UTC)  # the default 5 years after closing (domain/retention.py)
CW = Actor(id="cw-anne", role=Role.CASEWORKER)
CPR, NAME = "0412981234", "Jonas Holm"
WORDS = "Jeg har angst og sover dårligt"
SECRETS = (CPR, "041298-1234", NAME, WORDS, "autisme")


def case_events(case_id: str, cpr: str = CPR, name: str = NAME, closed: bool = True) -> list:
    events = [
        NeedRegistered(
            occurred_at=T0,
            actor=CW,
            case_id=case_id,
            citizen=Citizen(cpr=cpr, name=name),
            need=Need(description="Ønsker job; autisme", reported_by=ReportedBy.CASEWORKER),
        ),
        VisitationOpened(occurred_at=T0 + timedelta(minutes=1), actor=CW, caseworker_id="cw-anne"),
        ObservationRecorded(occurred_at=T0 + timedelta(minutes=2), actor=CW, text=WORDS),
    ]
    if closed:
        events.append(CaseClosed(occurred_at=T0 + timedelta(minutes=3), actor=CW, reason="Borgeren er flyttet"))
    return events


def record(log, keys: KeyStore, case_id: str, events: list) -> list[RecordedEvent]:
    recorded = [RecordedEvent(event_id=str(uuid.uuid4()), event=e) for e in events]
    log.store.append(case_id, 0, [to_new_event(r, keys, case_id) for r in recorded])
    return recorded


def everything_stored(log) -> str:
    """Every text column of every table, as an attacker with a copy of the database sees it."""
    dump: list[str] = []
    for table in ("events", "citizen_keys", "case_keys", "access_log", "log_head"):
        dump.extend(str(row) for row in log.sql(f"SELECT * FROM {table}"))
    return "\n".join(dump)


class ErasureContract:
    backend: str

    @pytest.fixture
    def secret(self) -> bytes:
        return os.urandom(32)

    @pytest.fixture
    def keys(self, log, secret) -> KeyStore:
        return KeyStore(log.store.engines, secret)

    def test_personal_fields_are_ciphertext_in_the_log_and_plaintext_when_read(self, log, keys):
        events = case_events("case-1")
        record(log, keys, "case-1", events)

        stored = everything_stored(log)
        for plain in SECRETS:
            assert plain not in stored
        read = [to_domain_event(s, keys) for s in log.store.read_stream("case-1")]
        assert read == events
        citizen = rebuild_case(log.store, "case-1", keys).citizen
        assert citizen is not None and citizen.cpr == "041298-1234"
        assert log.store.verify().ok

    def test_a_retried_append_encrypts_identically_and_writes_nothing_twice(self, log, keys, secret):
        recorded = [RecordedEvent(event_id=str(uuid.uuid4()), event=e) for e in case_events("case-1")]
        first = log.store.append("case-1", 0, [to_new_event(r, keys, "case-1") for r in recorded])
        fresh_keys = KeyStore(log.store.engines, secret)  # another worker process
        again = log.store.append("case-1", 0, [to_new_event(r, fresh_keys, "case-1") for r in recorded])
        assert again.duplicate and again.positions == first.positions

    def test_erasure_by_another_process_shows_at_once_in_erased_now(self, log, keys, secret):
        record(log, keys, "case-1", case_events("case-1"))
        key_id = keys.key_id_for_stream("case-1")
        assert keys.erased_now([key_id, "no-such-key"]) == {key_id: False}

        KeyStore(log.store.engines, secret).destroy(key_id, "GDPR art. 17")  # another process

        assert keys.erased_now([key_id]) == {key_id: True}

    def test_a_long_running_process_stops_using_a_key_another_process_erased(self, log, secret):
        clock = [time.monotonic() + 10.0]  # past the freshness of what record() cached
        worker = KeyStore(log.store.engines, secret, fresh_for=5.0)
        record(log, worker, "case-1", case_events("case-1", closed=False))
        key_id = worker.key_id_for_stream("case-1")
        assert key_id is not None  # record() made the case's key
        observation = RecordedEvent(
            event_id=str(uuid.uuid4()), event=ObservationRecorded(occurred_at=T0, actor=CW, text="mere")
        )
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("eventlog.keystore.time.monotonic", lambda: clock[0])
            assert worker.lookup(key_id) is not ERASED  # read again now, cached from here

            KeyStore(log.store.engines, secret).destroy(key_id, "GDPR art. 17")  # the CLI, another process
            clock[0] += 4.9
            assert worker.lookup(key_id) is not ERASED  # still within the freshness window
            clock[0] += 0.2

            assert worker.lookup(key_id) is ERASED
            with pytest.raises(AlreadyErased):  # and nothing personal is written under it any more
                to_new_event(observation, worker, "case-1")
            assert case_view(log.store, "case-1", worker)[2]["payload"]["text"] == "[slettet]"

    def test_the_caches_stay_bounded_and_a_case_let_go_finds_its_key_again(self, log, secret):
        clock = [time.monotonic()]
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("eventlog.keystore.STREAMS_REMEMBERED", 3)
            patch.setattr("eventlog.keystore.KEYS_SWEPT_ABOVE", 2)
            patch.setattr("eventlog.keystore.time.monotonic", lambda: clock[0])
            worker = KeyStore(log.store.engines, secret, fresh_for=5.0)
            cases = [f"case-{n}" for n in range(6)]
            for n, case_id in enumerate(cases):
                record(log, worker, case_id, case_events(case_id, cpr=f"01019{n}1234", name=f"Borger {n}"))
            assert list(worker._stream_keys) == cases[-3:]  # the most recently used

            clock[0] += 6.0  # every cached key is stale now
            assert worker.key_for_stream("case-0")[0] == KeyStore(log.store.engines, secret).key_id_for_stream("case-0")
            assert len(worker._keys) == 1  # the stale ones were let go when a key was read again
            assert case_view(log.store, "case-1", worker)[0]["payload"]["citizen"]["name"] == "Borger 1"

    def test_one_key_per_citizen_across_cases(self, log, keys):
        record(log, keys, "case-1", case_events("case-1"))
        record(log, keys, "case-2", case_events("case-2", cpr="041298-1234"))
        record(log, keys, "case-3", case_events("case-3", cpr="0101901234", name="Else Jensen"))
        assert keys.key_id_for_stream("case-1") == keys.key_id_for_stream("case-2") == keys.key_id_for_citizen(CPR)
        assert keys.key_id_for_stream("case-3") != keys.key_id_for_stream("case-1")
        key_id = keys.key_id_for_stream("case-1")
        assert CPR not in key_id and len(key_id) == 32

    def test_a_wrong_key_or_changed_ciphertext_fails_authentication(self, log, keys):
        payload = {"citizen": {"cpr": "041298-1234", "name": NAME}}
        sealed = encrypt_fields(payload, ("citizen.cpr", "citizen.name"), os.urandom(32), "k1", "event-1")
        with pytest.raises(DecryptionFailed, match=r"citizen\.cpr"):
            decrypt_fields(sealed, "event-1", lambda kid: os.urandom(32))
        right_key = os.urandom(32)
        sealed = encrypt_fields(payload, ("citizen.cpr",), right_key, "k1", "event-1")
        assert decrypt_fields(sealed, "event-1", lambda kid: right_key)[0] == payload
        with pytest.raises(DecryptionFailed):  # moved to another event
            decrypt_fields(sealed, "event-2", lambda kid: right_key)
        ct = sealed["citizen"]["cpr"]["ct"]
        sealed["citizen"]["cpr"]["ct"] = ("A" if ct[0] != "A" else "B") + ct[1:]
        with pytest.raises(DecryptionFailed):
            decrypt_fields(sealed, "event-1", lambda kid: right_key)

    def test_a_missing_key_or_wrong_installation_secret_fails_rather_than_guessing(self, log, keys, secret):
        record(log, keys, "case-1", case_events("case-1"))
        first = log.store.read_stream("case-1")[0]
        with pytest.raises(DecryptionFailed, match="does not unwrap"):
            to_domain_event(first, KeyStore(log.store.engines, os.urandom(32)))
        log.sql("DELETE FROM citizen_keys")
        with pytest.raises(KeyUnavailable, match="not in the key store"):
            to_domain_event(first, KeyStore(log.store.engines, secret))

    def test_erasure_destroys_the_key_keeps_the_chain_and_reads_as_erased(self, log, keys, secret):
        record(log, keys, "case-1", case_events("case-1"))
        record(log, keys, "other", case_events("other", cpr="0101901234", name="Else Jensen"))
        before = log.sql("SELECT position, payload, hash FROM events ORDER BY position")

        too_soon = T0 + timedelta(days=365)
        with pytest.raises(ErasureRefused) as refused:  # GDPR art. 17(3)(b): the retention period runs
            erase_citizen(
                log.store,
                keys,
                "041298-1234",
                basis="GDPR art. 17(1)(a)",
                actor_id="admin-ole",
                actor_role="administrator",
                now=too_soon,
            )
        assert refused.value.rule == "erasure.retention_running" and "art. 17, stk. 3, litra b" in refused.value.message
        result = erase_citizen(
            log.store,
            keys,
            "041298-1234",
            basis="GDPR art. 17(1)(a)",
            actor_id="admin-ole",
            actor_role="administrator",
            now=AFTER_RETENTION,
        )

        assert result.cases == ("case-1",) and result.status.erased
        assert log.store.verify().ok
        # history untouched: the erasure only appended its own event
        assert log.sql("SELECT position, payload, hash FROM events ORDER BY position")[: len(before)] == before
        (erasure,) = log.store.read_stream(erasure_stream(result.key_id))
        assert erasure.event_type == retention.ERASURE_EVENT and erasure.legal_basis == "GDPR art. 17(1)(a)"
        # reads: erased fields are marked, other fields and other citizens are intact
        view = case_view(log.store, "case-1", keys)
        text = json.dumps(view, ensure_ascii=False)
        for plain in SECRETS:
            assert plain not in text
        assert view[0]["payload"]["citizen"] == {"cpr": "[slettet]", "name": "[slettet]"}
        assert view[0]["erased_fields"] == ["citizen.cpr", "citizen.name", "need.description"]
        assert view[1]["payload"] == {"caseworker_id": "cw-anne"} and view[1]["erased_fields"] == []
        records = [to_domain_event(s, keys) for s in log.store.read_stream("case-1")]
        assert isinstance(records[0], ErasedRecord) and records[0].payload["need"]["reported_by"] == "caseworker"
        assert isinstance(records[1], VisitationOpened)
        with pytest.raises(PersonalDataErased, match="erased"):
            rebuild_case(log.store, "case-1", keys)
        citizen = rebuild_case(log.store, "other", keys).citizen
        assert citizen is not None and citizen.name == "Else Jensen"
        # a fresh reader (another process) sees the same, and nothing is left in the database
        assert case_view(log.store, "case-1", KeyStore(log.store.engines, secret))[2]["payload"]["text"] == "[slettet]"
        assert log.sql("SELECT wrapped_key, citizen_ref FROM citizen_keys WHERE key_id = :k", k=result.key_id) == [
            (None, None)
        ]

    def test_erasure_is_refused_while_a_case_is_open_twice_or_by_the_wrong_role(self, log, keys):
        record(log, keys, "open-case", case_events("open-case", closed=False))
        with pytest.raises(ErasureRefused) as refused:
            erase_citizen(log.store, keys, "open-case", basis="GDPR art. 17", actor_id="a", actor_role="administrator")
        assert refused.value.rule == "erasure.case_open"
        with pytest.raises(ErasureRefused) as refused:
            erase_citizen(log.store, keys, CPR, basis="GDPR art. 17", actor_id="a", actor_role="caseworker")
        assert refused.value.rule == "erasure.role_not_allowed"

        log.store.append(
            "open-case",
            3,
            [
                to_new_event(
                    RecordedEvent(
                        event_id=str(uuid.uuid4()), event=CaseClosed(occurred_at=T0, actor=CW, reason="done")
                    ),
                    keys,
                    "open-case",
                )
            ],
        )
        erase_citizen(
            log.store, keys, CPR, basis="GDPR art. 17", actor_id="a", actor_role="administrator", now=AFTER_RETENTION
        )
        with pytest.raises(ErasureRefused) as refused:
            erase_citizen(
                log.store,
                keys,
                "open-case",
                basis="GDPR art. 17",
                actor_id="a",
                actor_role="administrator",
                now=AFTER_RETENTION,
            )
        assert refused.value.rule == "erasure.already_erased"
        with pytest.raises(AlreadyErased):  # no new personal data under a destroyed key
            to_new_event(
                RecordedEvent(
                    event_id=str(uuid.uuid4()), event=ObservationRecorded(occurred_at=T0, actor=CW, text="more")
                ),
                keys,
                "open-case",
            )


class TestSQLiteErasure(ErasureContract):
    backend = "sqlite"


@pytest.mark.postgres
class TestPostgresErasure(ErasureContract):
    backend = "postgresql"


def test_an_unknown_event_type_has_no_personal_fields_and_declarations_extend():
    assert personal_data.personal_paths("something_new_by_another_team") == ()
    personal_data.register("test_only_event", ["note", "people[*].name"])
    try:
        assert personal_data.personal_paths("test_only_event") == ("note", "people[*].name")
        with pytest.raises(ValueError, match="not of the form"):
            personal_data.register("test_only_event", ["bad path!"])
    finally:
        personal_data._FIELDS.pop("test_only_event", None)


def test_every_declared_event_type_exists_and_its_paths_name_its_fields():
    """A typo in a declaration would leave a personal field in the clear. (Paths of
    older schema versions may be declared too, so each type needs one current path.)"""
    models = personal_data.event_classes()
    for event_type, paths in personal_data.declared().items():
        assert event_type in models, f"{event_type} is declared but is no event type"
        resolved = [path for path in paths if _resolves(models[event_type], path)]
        assert resolved, f"{event_type}: none of {paths} names a field of the current schema"


def _resolves(model, path: str) -> bool:
    from typing import get_args

    for part in path.split("."):
        name = part.removesuffix("[*]")
        fields = getattr(model, "model_fields", {})
        if name not in fields:
            return False
        annotation = fields[name].annotation
        candidates = [annotation, *get_args(annotation)]
        for candidate in list(candidates):
            candidates.extend(get_args(candidate))
        inner = [a for a in candidates if isinstance(a, type) and hasattr(a, "model_fields")]
        model = inner[0] if inner else annotation
    return True
