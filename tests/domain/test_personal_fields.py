"""Personal fields are declared on the events themselves, and every text field of
every event is either marked personal or named public, with a reason: a new
text field cannot reach the log in the clear by default."""

from __future__ import annotations

import json
import typing
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel

from activities.eventlog import open_event_store, to_new_event
from activities.messages import RecordedEvent
from app.keys import open_key_store
from app.settings import Settings
from domain import personal_data
from domain.messages import Event
from domain.personal_data import PUBLIC_TEXT, event_classes, personal_paths


def _text_fields(model: type[BaseModel], top: bool = True, seen: tuple = ()) -> typing.Iterator[tuple[str, bool]]:
    """(``Model.field``, marked personal) for every text field under an event."""
    for name, field in model.model_fields.items():
        if top and name in Event.model_fields:
            continue
        if personal_data._marked(field.metadata):
            yield f"{model.__name__}.{name}", True
            continue
        yield from _walk(field.annotation, f"{model.__name__}.{name}", seen)


def _walk(annotation, where: str, seen: tuple) -> typing.Iterator[tuple[str, bool]]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *metadata = typing.get_args(annotation)
        if personal_data._marked(metadata):
            yield where, True
        else:
            yield from _walk(inner, where, seen)
    elif origin is dict:
        yield where, False
    elif origin is not None:
        for arg in typing.get_args(annotation):
            if arg is not Ellipsis:
                yield from _walk(arg, where, seen)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in seen:
            yield from _text_fields(annotation, False, (*seen, annotation))
    elif annotation is str or annotation is dict:
        yield where, False


def _all_text_fields() -> dict[str, bool]:
    found: dict[str, bool] = {}
    for cls in event_classes().values():
        for where, marked in _text_fields(cls):
            found[where] = found.get(where, False) or marked
    return found


def test_every_text_field_of_every_event_is_marked_personal_or_named_public():
    fields = _all_text_fields()
    unclassified = sorted(where for where, marked in fields.items() if not marked and where not in PUBLIC_TEXT)
    assert unclassified == [], f"mark these Annotated[str, Personal] or name them in PUBLIC_TEXT: {unclassified}"


def test_the_public_list_names_only_fields_that_exist_and_are_not_marked():
    fields = _all_text_fields()
    stale = sorted(name for name in PUBLIC_TEXT if name not in fields)
    both = sorted(name for name in PUBLIC_TEXT if fields.get(name))
    assert stale == [] and both == []


@pytest.mark.parametrize(("event_type", "path"), [
    ("plan_proposed", "plan.purpose"), ("plan_proposed", "plan.goals[*].description"),
    ("plan_adjusted", "plan.activities[*].description"), ("plan_adjusted", "reason"),
    ("meeting_scheduled", "agenda"), ("meeting_held", "minutes"),
    ("consent_given", "purpose"), ("consent_revoked", "reason"),
    ("information_consent_given", "information[*]"), ("information_consent_given", "from_whom[*]"),
    ("team_member_declined", "reason"), ("team_member_invited", "invitee.name"),
    ("plan_accepted_by_citizen", "comment"), ("plan_changes_requested", "comment"),
    ("need_registered", "citizen.cpr"), ("need_registered", "citizen.name"),
])  # fmt: skip
def test_what_the_review_found_in_the_clear_is_now_personal(event_type, path):
    assert path in personal_paths(event_type)


def test_a_mark_on_a_shared_model_reaches_every_event_that_holds_it():
    for event_type in ("plan_proposed", "plan_adjusted", "pilot_started"):
        assert "plan.purpose" in personal_paths(event_type)


def test_a_meeting_s_agenda_and_a_consent_s_purpose_are_not_stored_in_the_clear(tmp_path):
    from domain.case.consent import ConsentGiven
    from domain.case.meetings import MeetingScheduled
    from domain.information import InformationCategory
    from domain.messages import Actor, Role

    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'log.db'}")
    store = open_event_store(settings.database_url)
    keys = open_key_store(store, settings)
    now = datetime.now(UTC)
    actor = Actor(id="cw-anne", role=Role.CASEWORKER)
    consent = ConsentGiven.model_validate({
        "occurred_at": now, "actor": {"id": "jonas", "role": "citizen"}, "person_id": "maria",
        "purpose": "Maria må vide at Jonas har angst", "categories": [InformationCategory.NEED.value],
        "valid_until": "2027-01-01",
    })  # fmt: skip
    meeting = MeetingScheduled.model_validate({
        "occurred_at": now, "actor": actor.model_dump(), "meeting_no": 1, "planned_for": now.isoformat(), "participants": ["maria"],
        "agenda": "Jonas' misbrug og gæld",
    })  # fmt: skip
    for event in (consent, meeting):
        stored = to_new_event(RecordedEvent(event_id=str(uuid.uuid4()), event=event), keys, "K-1")
        text = json.dumps(stored.payload, ensure_ascii=False)
        assert "angst" not in text and "misbrug" not in text
    store.dispose()
