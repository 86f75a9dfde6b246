"""Cases written to a real event log the way the worker writes them: decided by
the domain, personal fields encrypted with the citizen's key."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from activities.eventlog import protect_payload
from domain.case.decider import CaseState, command_adapter, decide, fold, initial_state
from eventlog import EventStore, NewEvent
from eventlog.keystore import KeyStore
from projections import queries
from tests import scenario

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def lifecycle(case_id: str, cpr: str = "0412981234", name: str = "Jonas Holm") -> list[dict]:
    """Every command of a whole case, registration first."""
    register = scenario.register(case_id)
    register["citizen"] = {"cpr": cpr, "name": name}
    return [register, *scenario.full_lifecycle_after_registration()]


class CaseWriter:
    """Gives one case its commands in turn and appends the events, as the worker does."""

    def __init__(self, store: EventStore, keys: KeyStore, case_id: str, commands: list[dict],
                 start: datetime = START) -> None:  # fmt: skip
        self.store, self.keys, self.case_id = store, keys, case_id
        self.commands = list(commands)
        self.state: CaseState = initial_state()
        self.at = start

    @property
    def done(self) -> bool:
        return not self.commands

    def step(self) -> int:
        """Carries out the next command; the number of events appended."""
        data = self.commands.pop(0)
        self.at += timedelta(hours=1)
        command = command_adapter.validate_python(data).model_copy(update={"at": self.at})
        events = decide(self.state, command)
        if not events:
            return 0
        new = []
        for event in events:
            event_id = str(uuid.uuid4())
            new.append(NewEvent(
                event_id=event_id, event_type=event.type, schema_version=event.schema_version,
                occurred_at=event.occurred_at, actor_id=event.actor.id, actor_role=event.actor.role.value,
                legal_basis=event.legal_basis(),
                payload=protect_payload(self.keys, self.case_id, event.type, event_id, event.payload()),
            ))  # fmt: skip
        self.store.append(self.case_id, self.state.version, new)
        self.state = fold(events, self.state)
        return len(events)


def paged(store: EventStore, filters: queries.CaseFilter, *, now: datetime, limit: int) -> list[dict]:
    """Every row of the list with these filters, read page by page (``limit`` a page) through its cursor."""
    rows: list[dict] = []
    cursor = None
    while True:
        page = queries.list_cases(store.engines, filters, now=now, limit=limit, cursor=cursor)
        rows.extend(page.rows)
        if (cursor := page.next_cursor) is None:
            return rows
