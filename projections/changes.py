"""Which cases changed on which day: the daily KL Gateway delivery's index.

A case changed on a day when one of its events occurred on that calendar day
in the municipality's time zone (Europe/Copenhagen), the day the delivery
reports on. Appeal, forum, delivery and erasure streams are no cases and are
not listed. The first position a case changed at on the day orders the list
(the order the delivery has always used: the order cases first changed).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from domain.appeal_window import DANISH_TIME
from eventlog import EventStore, StoredEvent
from projections.cases import CASE_OPENED
from projections.schema import changes_by_day


def local_day(stored: StoredEvent, tz: ZoneInfo = DANISH_TIME) -> date:
    return stored.occurred_at.astimezone(tz).date()


class ChangesByDay:
    name = "changes_by_day"
    tables = (changes_by_day,)
    #: It reads the events' headers only (their payloads are not parsed).
    headers_only = True

    def __init__(self, store: EventStore, tz: ZoneInfo = DANISH_TIME) -> None:
        self.store = store
        self.tz = tz
        self._is_case: dict[str, bool] = {}

    def forget(self) -> None:
        """Nothing kept here can go stale: a stream's first event never changes."""

    def _case_stream(self, stored: StoredEvent) -> bool:
        known = self._is_case.get(stored.stream_id)
        if known is None:
            first = stored if stored.stream_version == 1 else self.store.read_stream(stored.stream_id)[0]
            known = first.event_type == CASE_OPENED
            if len(self._is_case) > 100_000:
                self._is_case.clear()
            self._is_case[stored.stream_id] = known
        return known

    def apply(self, conn: Connection, generation: int, events: Sequence[StoredEvent]) -> None:
        first_seen: dict[tuple[str, str], int] = {}
        for stored in events:
            if self._case_stream(stored):
                first_seen.setdefault((local_day(stored, self.tz).isoformat(), stored.stream_id), stored.position)
        if not first_seen:
            return
        # A (day, case) already listed keeps its row: it was first seen at an earlier position.
        rows = [{"generation": generation, "day": day, "case_id": case, "first_position": position}
                for (day, case), position in first_seen.items()]  # fmt: skip
        # One statement (both databases say ON CONFLICT DO NOTHING): reading first which of the batch's
        # pairs were listed took longer than the insert itself.
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(insert(changes_by_day).on_conflict_do_nothing(), rows)
