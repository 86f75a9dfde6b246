"""Makes ``eventlog.db``: a database as the last release before schema revisions left it.

Run with that release's code (the commit before eventlog/migrations existed) on the path,
from the repository's root:

    python tests/eventlog/previous_release/make_fixture.py

It opens a fresh log the way that release did (``create_schema``: create_all and the
triggers), appends three cases of real domain events through the real EventStore (their
personal fields encrypted with the citizens' keys), records reads in the access log, and
runs the projector over them, so every table the release kept has rows. The secrets are
fixed test values (below), so a test can read the cases back after the upgrade.
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATABASE = HERE / "eventlog.db"
#: Test-only secrets the fixture was made with (never used anywhere else).
KEYSTORE_SECRET = base64.b64encode(b"previous-release-fixture-secret!").decode()
CODEC_KEY = base64.b64encode(b"previous-release-fixture-codec!!").decode()
CASES = ("K-2026-0001", "K-2026-0002", "K-2026-0003")
CITIZENS = {"K-2026-0001": ("0412981234", "Jonas Holm"), "K-2026-0002": ("1503854321", "Maja Berg"),
            "K-2026-0003": ("2207701111", "Ali Jensen")}  # fmt: skip


def settings(data_dir: Path, database: Path):
    from app.settings import Settings

    return Settings(data_dir=data_dir, database_url=f"sqlite:///{database}", keystore_secret=KEYSTORE_SECRET,
                    codec_key=CODEC_KEY)  # fmt: skip


def main() -> None:
    from activities.eventlog import to_new_event
    from activities.messages import RecordedEvent
    from app.keys import open_key_store
    from domain.case.closing import CaseClosed
    from domain.case.need import Need, NeedRegistered, ReportedBy
    from domain.citizen import Citizen
    from domain.messages import Actor, Event, Role
    from eventlog import EventStore
    from eventlog.access_log import AccessLog
    from projections.setup import build_projector

    if DATABASE.exists():
        DATABASE.unlink()
    config = settings(HERE, DATABASE)
    store = EventStore.from_url(config.database_url)
    store.create_schema()  # the release's own schema making
    keys = open_key_store(store, config)
    caseworker = Actor(id="cw-anne", role=Role.CASEWORKER)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for n, case_id in enumerate(CASES):
        cpr, name = CITIZENS[case_id]
        events: list[Event] = [NeedRegistered(occurred_at=start + timedelta(days=n), actor=caseworker, case_id=case_id,
                                 citizen=Citizen(cpr=cpr, name=name),
                                 need=Need(description="Vil gerne i arbejde", reported_by=ReportedBy.CASEWORKER))]  # fmt: skip
        if n == 0:
            events.append(CaseClosed(occurred_at=start + timedelta(days=5), actor=caseworker, reason="Målet er nået"))
        recorded = [RecordedEvent(event_id=str(uuid.UUID(int=n * 100 + i)), event=e) for i, e in enumerate(events)]
        store.append(case_id, 0, [to_new_event(r, keys, case_id) for r in recorded])
    reads = AccessLog(store.engines)
    reads.record(actor_id="ida", actor_role="auditor", stream_id=CASES[0], what="events", purpose="årlig revision")
    reads.record(actor_id="anne", actor_role="caseworker", stream_id=None, what="case list", purpose="arbejdsliste",
                 shown=list(CASES))  # fmt: skip
    projector = build_projector(store, keys, config.deadlines)
    projector.catch_up()
    store.dispose()
    print(f"wrote {DATABASE}")


if __name__ == "__main__":
    main()
