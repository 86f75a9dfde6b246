"""Hashing, records and errors on their own: no database needed."""

from __future__ import annotations

import hashlib
import json
import pickle
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eventlog
from eventlog import ConcurrencyConflict, EventStore, NewEvent, VerifyReport
from eventlog.hashing import (
    GENESIS_HASH,
    canonical_json,
    event_hash,
    format_timestamp,
    parse_timestamp,
    payload_hash,
)

HEADER = (
    GENESIS_HASH,
    1,
    "case-1",
    1,
    "8b0f6a2e-9c1d-4a6c-9c1e-2d3f4a5b6c7d",
    "NeedReported",
    1,
    "2024-03-01T09:30:00.000000Z",
    "2024-03-01T09:30:01.250000Z",
    "caseworker-7",
    "caseworker",
    "Serviceloven § 83",
    "a" * 64,
)


def test_event_hash_matches_the_documented_encoding():
    """An auditor's own tool must get the same hash from the documented recipe."""
    expected = hashlib.sha256(
        json.dumps(list(HEADER), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    assert event_hash(*HEADER) == expected


@pytest.mark.parametrize("index", range(len(HEADER)))
def test_every_header_field_changes_the_hash(index):
    changed: list[Any] = list(HEADER)
    changed[index] = 2 if isinstance(changed[index], int) else (changed[index] or "") + "x"
    assert event_hash(*changed) != event_hash(*HEADER)


def test_missing_legal_basis_hashes_differently_from_empty_text():
    without: list[Any] = list(HEADER)
    without[11] = None
    empty: list[Any] = list(HEADER)
    empty[11] = ""
    assert event_hash(*without) != event_hash(*empty)


def test_canonical_json_is_sorted_compact_and_keeps_danish_letters():
    assert canonical_json({"b": 1, "a": {"ø": "æble", "c": [1, 2]}}) == '{"a":{"c":[1,2],"ø":"æble"},"b":1}'
    assert payload_hash("{}") == hashlib.sha256(b"{}").hexdigest()


@pytest.mark.parametrize("bad", [{"x": float("nan")}, {"x": {1, 2}}, {"x": datetime(2024, 1, 1)}])
def test_canonical_json_refuses_what_json_cannot_hold_exactly(bad):
    with pytest.raises(ValueError, match="not plain JSON"):
        canonical_json(bad)


def test_timestamps_are_stored_as_fixed_utc_text_and_read_back_equal():
    moment = datetime(2024, 3, 1, 10, 30, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    text = format_timestamp(moment)
    assert text == "2024-03-01T09:30:00.000005Z"
    assert parse_timestamp(text) == moment
    with pytest.raises(ValueError, match="timezone-aware"):
        format_timestamp(datetime(2024, 3, 1))


def event_fields(**overrides):
    fields = dict(
        event_id="e-1",
        event_type="NeedReported",
        schema_version=1,
        occurred_at=datetime(2024, 3, 1, tzinfo=UTC),
        actor_id="a",
        actor_role="caseworker",
        payload={},
    )
    fields.update(overrides)
    return fields


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"occurred_at": datetime(2024, 3, 1)}, "timezone-aware"),
        ({"event_id": ""}, "event_id"),
        ({"event_id": "x" * 37}, "at most 36"),
        ({"schema_version": 0}, "schema_version"),
        ({"actor_role": "r" * 33}, "at most 32"),
        ({"payload": []}, "payload must be a dict"),
    ],
)
def test_new_event_refuses_values_the_log_cannot_store(overrides, message):
    with pytest.raises(ValueError, match=message):
        NewEvent(**event_fields(**overrides))


def test_conflict_message_tells_the_caller_what_to_do_and_survives_pickling():
    err = ConcurrencyConflict("K-2024-17", 3, 5)
    assert str(err) == "case K-2024-17: expected version 3 but the log is at version 5; reload and try again"
    assert str(pickle.loads(pickle.dumps(err))) == str(err)


def test_verify_report_reads_as_one_line():
    ok = VerifyReport(ok=True, checked=3, head_position=3, head_hash="ab")
    bad = VerifyReport(
        ok=False,
        checked=4,
        head_position=4,
        head_hash="cd",
        fault="gap",
        first_bad_position=5,
        detail="position 5 is missing; the next row is at 6",
    )
    assert str(ok) == "event log OK: 3 events verified, head at position 3 with hash ab"
    assert "\n" not in str(bad) and "gap at position 5" in str(bad)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file::memory:?cache=shared"])
def test_in_memory_sqlite_is_refused_with_a_clear_message(url):
    with pytest.raises(ValueError, match="file-based SQLite"):
        EventStore.from_url(url)


def test_unsupported_database_is_refused():
    with pytest.raises(ValueError, match="unsupported database"):
        EventStore.from_url("mysql://localhost/x")


def test_sqlite_parent_folder_is_created(tmp_path):
    with EventStore.from_url(f"sqlite:///{tmp_path / 'a' / 'b' / 'events.db'}") as store:
        store.create_schema()
    assert (tmp_path / "a" / "b" / "events.db").exists()


def test_package_exports_the_public_api():
    assert set(eventlog.__all__) == {
        "AppendResult",
        "ConcurrencyConflict",
        "EventLogError",
        "EventStore",
        "IdempotencyMismatch",
        "NewEvent",
        "StoredEvent",
        "VerifyReport",
    }


# Any text an event can hold (hypothesis leaves out lone surrogates, which
# cannot be stored as UTF-8 anyway): quotes, control characters, æøå, emoji.
_text = st.text(max_size=40)


@settings(max_examples=300)
@given(
    strings=st.lists(_text, min_size=9, max_size=9),
    numbers=st.lists(st.integers(0, 2**62), min_size=3, max_size=3),
    legal_basis=st.none() | _text,
)
def test_event_hash_equals_the_json_recipe_for_any_text(strings, numbers, legal_basis):
    fields = [
        strings[0],
        numbers[0],
        strings[1],
        numbers[1],
        strings[2],
        strings[3],
        numbers[2],
        strings[4],
        strings[5],
        strings[6],
        strings[7],
        legal_basis,
        strings[8],
    ]
    recipe = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    assert event_hash(*fields) == hashlib.sha256(recipe.encode("utf-8")).hexdigest()


def test_event_hash_refuses_non_integer_numbers():
    changed: list[Any] = list(HEADER)
    changed[1] = True
    with pytest.raises(TypeError):
        event_hash(*changed)
