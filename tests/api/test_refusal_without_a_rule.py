"""A command refused for a reason no rule names: ``case.refused``, with the cause's message and kind.

One such refusal: the citizen's key was destroyed (an erasure by
another process) while the case still runs. The domain accepts the command, but the log
will not record new personal data under a destroyed key, and the command is refused."""

from __future__ import annotations

import pytest

from app.keys import keystore_secret
from eventlog.keystore import KeyStore
from tests import scenario


@pytest.fixture
def keys_read_fresh(monkeypatch):
    """Every append reads the key's row (not a key cached for ``KEY_FRESH_S``), so the erasure is seen at once."""
    monkeypatch.setattr(KeyStore.__init__, "__kwdefaults__", {"fresh_for": 0.0})


async def test_case_refused(keys_read_fresh, api, case_id, store, settings):
    assert (await api.open(case_id)).status_code == 201
    assert (await api.give(case_id, {"type": "open_visitation", "actor": scenario.CASEWORKER})).status_code == 200
    keys = KeyStore(store.engines, keystore_secret(settings))
    key_id = keys.key_id_for_stream(case_id)
    assert key_id is not None  # the case's events were written under its key
    keys.destroy(key_id, "GDPR art. 17(1)(a)")

    answer = await api.give(case_id, scenario.assessment())
    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    assert (error["rule"], error["kind"]) == ("case.refused", "AlreadyErased")
    assert "destroyed" in error["message"]
    assert [e.event_type for e in store.read_stream(case_id)] == ["need_registered", "visitation_opened"]
