"""The forum's anonymity screening, against the ways round it a review found, and
forum texts stored so they can be erased."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from activities.eventlog import open_event_store, to_new_event
from activities.messages import RecordedEvent
from app.keys import open_key_store
from app.settings import Settings
from domain.anonymity import find_cpr, find_person_name


@pytest.mark.parametrize(
    "text", ["Borger 12.03.99-1235 mangler hjælp", "cpr 12 03 99 12 35", "120399/1235", "1203991235"]
)
def test_a_cpr_number_in_any_writing_is_found(text):
    assert find_cpr(text)


@pytest.mark.parametrize("text", ["Ring på 12 34 56 78", "Vi har set det 1234567890 gange", "Årstal 2026-2027"])
def test_a_phone_number_or_a_count_is_not_a_cpr_number(text):
    assert find_cpr(text) is None


@pytest.mark.parametrize("text", [
    "Jonas har brug for hjælp til at komme ud.",
    "Mange er ensomme. Karen kommer aldrig ud.",
    "lige nu er hr. holm på vej 7",
    "Ældre på Møllegade 12 mangler følgeskab",
    "Hun hedder karen",
])  # fmt: skip
def test_a_name_or_an_address_is_found_wherever_it_stands(text):
    assert find_person_name(text)


@pytest.mark.parametrize("text", [
    "Flere ældre kommer kun ud med følgeskab",
    "Per uge mødes ældre kun én gang",
    "Ensomhed rammer mange på Nørrebro",
])  # fmt: skip
def test_a_text_about_needs_in_general_passes(text):
    assert find_person_name(text) is None


def test_a_forum_observation_is_stored_under_the_forum_s_own_key(tmp_path):
    from domain.forum import ForumObservationSubmitted
    from domain.personal_data import personal_paths

    assert personal_paths("forum_observation_submitted") == ("text",)
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'log.db'}")
    store = open_event_store(settings.database_url)
    keys = open_key_store(store, settings)
    fields = {
        "occurred_at": datetime.now(UTC),
        "actor": {"id": "maria", "role": "volunteer"},
        "number": 1,
        "text": "Flere ældre kommer kun ud med følgeskab",
        "life_area": None,
    }
    event = ForumObservationSubmitted.model_validate(fields)
    stored = to_new_event(RecordedEvent(event_id=str(uuid.uuid4()), event=event), keys, "forum-isolation")
    assert "følgeskab" not in json.dumps(stored.payload, ensure_ascii=False)
    assert keys.key_id_for_stream("forum-isolation") is not None
    store.dispose()
