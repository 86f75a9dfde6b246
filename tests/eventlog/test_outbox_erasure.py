"""Letters in the outbox are about the citizen: they are stored under the citizen's
key, so erasing the citizen reaches them too, and the row stays as the receipt."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from activities.eventlog import open_event_store
from app.keys import open_key_store
from app.settings import Settings
from domain.personal_data import ERASED_MARKER
from eventlog.outbox import Outbox, OutboxMessage

LETTER = "Kære Jonas Holm (120399-1235). Du får afslag på BPA, fordi din angst ..."


def _raw_text(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM outbox")).all()
    engine.dispose()
    return repr(rows)


def test_a_letter_is_not_in_the_clear_and_reads_as_erased_once_the_key_is_gone(tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'log.db'}")
    store = open_event_store(settings.database_url)
    keys = open_key_store(store, settings)
    key_id, _ = keys.key_for_citizen("120399-1235", "K-1")
    outbox = Outbox(settings.database_url, keys)
    outbox.create_schema()
    message = OutboxMessage(
        message_id=str(uuid.uuid4()),
        case_id="K-1",
        recipient="citizen",
        kind="decision_letter",
        subject="Afgørelse til Jonas Holm",
        body=LETTER,
    )
    assert outbox.put(message)
    raw = _raw_text(settings.database_url)
    assert "Jonas" not in raw and "120399" not in raw and "angst" not in raw
    [read] = outbox.for_case("K-1")
    assert read.body == LETTER and read.subject == "Afgørelse til Jonas Holm"

    keys.destroy(key_id, "GDPR art. 17(1)(a)")
    [after] = Outbox(settings.database_url, open_key_store(store, settings)).for_case("K-1")
    assert after.body == ERASED_MARKER and after.subject == ERASED_MARKER
    assert (after.message_id, after.kind, after.recipient) == (message.message_id, "decision_letter", "citizen")
    store.dispose()


def test_an_outbox_without_a_key_store_refuses_to_store_a_letter(tmp_path):
    outbox = Outbox(f"sqlite:///{tmp_path / 'log.db'}")
    outbox.create_schema()
    with pytest.raises(RuntimeError, match="never stored in the clear"):
        outbox.put(
            OutboxMessage(
                message_id=str(uuid.uuid4()), case_id="K-1", recipient="citizen", kind="x", subject="s", body=LETTER
            )
        )
