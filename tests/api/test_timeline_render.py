"""The timeline's lean rendering gives the same JSON as encoding the entry dict."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from app.api.readcache import _JSON, timeline_entry_json
from eventlog.hashing import canonical_json, format_timestamp, parse_timestamp

PAYLOADS = [
    {},
    {"case_id": "c-1", "citizen": {"cpr": "041298-1234", "name": "Jonas Holm"}, "n": 3, "x": 2.5, "ok": True},
    {"text": 'Æ ø å "citat" \\ tab\t ny\nlinje \u2028 \u0001 emoji 🙂', "list": [None, 1e-7, 10**20]},
]
WHEN = [datetime(2025, 3, 1, 9, 0, tzinfo=UTC), datetime(2025, 3, 1, 9, 0, 0, 123, tzinfo=UTC)]


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("when", WHEN)
@pytest.mark.parametrize("legal_basis", [None, 'serviceloven § 81 "stk. 2"'])
def test_lean_entry_equals_the_encoded_dict(payload, when, legal_basis):
    occurred_at = parse_timestamp(format_timestamp(when))  # as the log gives it back
    expected = _JSON.encode(
        {
            "position": 17,
            "version": 4,
            "type": "need_registered",
            "occurred_at": occurred_at.isoformat(),
            "actor": {"id": "cw-ånne", "role": "caseworker"},
            "legal_basis": legal_basis,
            "data": json.loads(canonical_json(payload)),
        }
    ).encode("utf-8")
    lean = timeline_entry_json(17, 4, "need_registered", occurred_at, "cw-ånne", "caseworker", legal_basis,
                               canonical_json(payload))  # fmt: skip
    assert lean == expected
