"""A stored payload's text reads as the same Python values as ``json.loads`` gives."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventlog.hashing import canonical_json
from eventlog.store import _parse_payload

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), JSON, max_size=6))
def test_any_canonical_payload_reads_as_json_loads_reads_it(payload):
    try:
        text = canonical_json(payload)
        text.encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return  # not a payload the store can hold
    parsed = _parse_payload(text)
    assert parsed == json.loads(text)
    assert json.dumps(parsed, sort_keys=True) == json.dumps(json.loads(text), sort_keys=True)  # -0.0, 1 vs 1.0


@pytest.mark.parametrize("text", [
    '{"big":123456789012345678901234567890,"neg":-0.0,"exp":1e300,"small":5e-324}',
    '{"a":"\\ud83d\\ude00 \\u00e6\\u00f8\\u00e5","b":"\\"\\\\\\n"}',
    '{"lone":"\\ud800"}',  # refused by the fast parser: read as json.loads reads it
])  # fmt: skip
def test_edge_texts(text):
    assert _parse_payload(text) == json.loads(text)
    assert repr(_parse_payload(text)) == repr(json.loads(text))
