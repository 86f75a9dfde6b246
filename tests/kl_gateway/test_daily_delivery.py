"""DailyDeliveryWorkflow over several days on the time-skipping server, with a
missed day; and the daily schedule on a real dev server."""

from __future__ import annotations

import json
import socket
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio.client import ScheduleActionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from activities.eventlog import to_new_event
from activities.kl_gateway.settings import GatewaySettings
from activities.messages import RecordedEvent
from app.codec import data_converter
from app.devstack import find_binary
from app.keys import open_key_store
from app.settings import Settings
from domain.appeal_window import DANISH_TIME
from domain.kl_delivery import DELIVERY_STREAM
from eventlog import EventStore
from eventlog.outbox import Outbox
from tests.kl_gateway.helpers import all_demo_citizens, run_citizen
from worker import build_worker
from workflows.daily_delivery import DailyDeliveryInput, DailyDeliveryWorkflow, yesterday

KEY = uuid.uuid4().bytes + uuid.uuid4().bytes


@pytest_asyncio.fixture(scope="module")
async def own_env():
    """A time-skipping server of this module's own: its clock is moved by days."""
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(KEY), test_server_existing_path=str(find_binary("temporal-test-server"))
    ) as env:
        yield env


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        task_queue=f"kl-{uuid.uuid4().hex[:8]}", data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'eventlog.db'}"
    )


def _write(store: EventStore, keys, case_id: str, events) -> None:
    version = store.stream_version(case_id)
    new = [to_new_event(RecordedEvent(event_id=str(uuid.uuid4()), event=e), keys, case_id) for e in events]
    store.append(case_id, version, new)


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=DANISH_TIME).astimezone(UTC)


#: The municipality's STS organisation code the reports name.
ORGANISATION = "d4e3f4fb-6761-4d6c-9086-74c49231f11e"


def _stores(settings) -> tuple[EventStore, Any, Outbox]:
    """The event log, its key store and the outbox, as the worker opens them."""
    store = EventStore.from_url(settings.database_url)
    store.create_schema()
    outbox = Outbox(settings.database_url)
    outbox.create_schema()
    return store, open_key_store(store, settings), outbox


def _delivery_events(store: EventStore) -> list:
    return store.read_stream(DELIVERY_STREAM)


async def test_catch_up_one_report_per_day_including_a_missed_day(own_env: WorkflowEnvironment, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    store, keys, outbox = _stores(settings)
    folder = tmp_path / "delivered"
    gateway = GatewaySettings(folder=folder, organisation=ORGANISATION)
    jonas, _, else_ = all_demo_citizens()

    now = await own_env.get_current_time()
    d0 = yesterday(now)
    # Jonas's case is opened and assessed two days before yesterday, decided and closed the next day
    jonas_events = run_citizen(jonas, "case-jonas", _noon(d0 - timedelta(days=2)), step=timedelta(minutes=30))
    first_day = [
        e for e in jonas_events if e.occurred_at < _noon(d0 - timedelta(days=2)) + timedelta(hours=1, minutes=45)
    ]
    _write(store, keys, "case-jonas", first_day)
    _write(
        store,
        keys,
        "case-jonas",
        [
            e.model_copy(update={"occurred_at": e.occurred_at + timedelta(days=1)})
            for e in jonas_events[len(first_day) :]
        ],
    )

    async with build_worker(own_env.client, settings, store, outbox=outbox, kl_gateway=gateway):
        run = await own_env.client.execute_workflow(
            DailyDeliveryWorkflow.run,
            DailyDeliveryInput(first_day=d0 - timedelta(days=2)),
            id=f"kl-{uuid.uuid4().hex[:8]}",
            task_queue=settings.task_queue,
        )
        assert run.days == [d0 - timedelta(days=2), d0 - timedelta(days=1), d0]
        assert (run.delivered, run.rejected, run.failed) == (2, 0, 0)
        assert sorted(p.parent.name for p in folder.glob("*/case-jonas.json")) == [
            (d0 - timedelta(days=2)).isoformat(),
            (d0 - timedelta(days=1)).isoformat(),
        ]

        # Else's case begins the day after; the schedule misses a day, then runs again two days on
        # (that run's "yesterday" is given: the test server's clock cannot be moved by exact days here).
        later = d0 + timedelta(days=2)
        else_events = run_citizen(else_, "case-else", _noon(d0 + timedelta(days=1)), step=timedelta(minutes=1))
        _write(store, keys, "case-else", else_events[:3])  # need, visitation, assessment on the missed day
        _write(
            store,
            keys,
            "case-else",
            [e.model_copy(update={"occurred_at": e.occurred_at + timedelta(days=1)}) for e in else_events[3:5]],
        )
        again = await own_env.client.execute_workflow(
            DailyDeliveryWorkflow.run,
            DailyDeliveryInput(until_day=later),
            id=f"kl-{uuid.uuid4().hex[:8]}",
            task_queue=settings.task_queue,
        )
        assert again.days == [d0 + timedelta(days=1), d0 + timedelta(days=2)]  # one report per missed day
        assert again.delivered == 2
        # nothing left: a third run delivers no day twice
        third = await own_env.client.execute_workflow(
            DailyDeliveryWorkflow.run,
            DailyDeliveryInput(until_day=later),
            id=f"kl-{uuid.uuid4().hex[:8]}",
            task_queue=settings.task_queue,
        )
        assert third.days == []

    recorded = _delivery_events(store)
    completed = [date.fromisoformat(e.payload["day"]) for e in recorded if e.event_type == "kl_delivery_day_completed"]
    assert completed == [d0 + timedelta(days=i) for i in range(-2, 3)]
    delivered = [e for e in recorded if e.event_type == "kl_report_delivered"]
    assert len(delivered) == 4
    for event in delivered:
        assert "cpr" not in json.dumps(event.payload).lower()
        report = json.loads(Path(event.payload["receipt"]).read_text(encoding="utf-8"))
        assert report["id"] == event.payload["report_id"]
        # each report covers one day only
        day = date.fromisoformat(event.payload["day"])
        assert {
            datetime.fromisoformat(e["resource"]["meta"]["lastUpdated"]).astimezone(DANISH_TIME).date()
            for e in report["entry"]
        } <= {d for d in (day - timedelta(days=i) for i in range(3))}
        assert datetime.fromisoformat(report["timestamp"]).astimezone(DANISH_TIME).date() == day
    store.dispose()


async def test_an_invalid_report_is_not_sent_and_the_case_owner_is_told(
    own_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    store, keys, outbox = _stores(settings)
    # no valid STS organisation code: every report is refused by citizen.managing_organisation
    gateway = GatewaySettings(folder=tmp_path / "out", organisation="not-a-uuid")
    day = yesterday(await own_env.get_current_time())
    _write(store, keys, "case-x", run_citizen(all_demo_citizens()[0], "case-x", _noon(day))[:3])
    async with build_worker(own_env.client, settings, store, outbox=outbox, kl_gateway=gateway):
        run = await own_env.client.execute_workflow(
            DailyDeliveryWorkflow.run,
            DailyDeliveryInput(),
            id=f"kl-{uuid.uuid4().hex[:8]}",
            task_queue=settings.task_queue,
        )
    assert (run.delivered, run.rejected) == (0, 1)
    assert not (tmp_path / "out").exists()
    rejected = [e for e in _delivery_events(store) if e.event_type == "kl_report_rejected"]
    assert rejected[0].payload["violations"][0]["rule"] == "citizen.managing_organisation"
    store.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_the_daily_schedule_is_created_on_a_dev_server(tmp_path: Path) -> None:
    from app.devstack import DevServer
    from app.kl_gateway_cli import SCHEDULE_ID, ensure_daily_schedule
    from app.temporal import connect

    settings = Settings(
        data_dir=tmp_path, dev_server_port=_free_port(), dev_ui_port=_free_port(), codec_key_file=tmp_path / "codec.key"
    )
    async with DevServer(settings) as server:
        client = await connect(settings, server.address)
        assert await ensure_daily_schedule(client, "kl-test", hour=3) == SCHEDULE_ID
        await ensure_daily_schedule(client, "kl-test", hour=4)  # a second time updates it
        described = await client.get_schedule_handle(SCHEDULE_ID).describe()
        calendar = described.schedule.spec.calendars[0]
        assert calendar.hour[0].start == 4
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow) and action.workflow == "DailyDeliveryWorkflow"


async def test_a_day_with_many_changed_cases_goes_page_by_page_and_continues_as_new(
    own_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Pages of two cases, and a run bound so small that the day is delivered over
    several runs: every case exactly once, the day completed once with the day's totals."""
    settings = _settings(tmp_path)
    store, keys, outbox = _stores(settings)
    folder = tmp_path / "delivered"
    gateway = GatewaySettings(folder=folder, organisation=ORGANISATION)
    jonas, _, _ = all_demo_citizens()
    now = await own_env.get_current_time()
    day = yesterday(now)
    cases = [f"case-many-{i}" for i in range(7)]
    for case_id in cases:
        _write(store, keys, case_id, run_citizen(jonas, case_id, _noon(day), step=timedelta(minutes=1))[:4])

    async with build_worker(own_env.client, settings, store, outbox=outbox, kl_gateway=gateway):
        handle = await own_env.client.start_workflow(
            DailyDeliveryWorkflow.run,
            DailyDeliveryInput(first_day=day, until_day=day, cases_per_page=2, history_bound=20),
            id=f"kl-{uuid.uuid4().hex[:8]}",
            task_queue=settings.task_queue,
        )
        run = await handle.result()
        latest = await own_env.client.get_workflow_handle(handle.id).describe()
    assert run.days == [day] and (run.delivered, run.rejected, run.failed) == (7, 0, 0)
    assert latest.run_id != handle.result_run_id  # it continued as new
    recorded = _delivery_events(store)
    delivered = [e.payload["case_id"] for e in recorded if e.event_type == "kl_report_delivered"]
    assert sorted(delivered) == sorted(cases)
    completed = [e.payload for e in recorded if e.event_type == "kl_delivery_day_completed"]
    assert [(c["day"], c["delivered"]) for c in completed] == [(day.isoformat(), 7)]
    store.dispose()


async def test_a_delivery_failed_in_transport_leaves_the_day_open_until_a_run_delivers_it(
    own_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """The delivery's decider completes no day with a failed delivery (``domain.kl_delivery``):
    the failure is recorded, the run stops at that day, and the next run delivers it again."""
    settings = _settings(tmp_path)
    store, keys, outbox = _stores(settings)
    organisation = ORGANISATION
    day = yesterday(await own_env.get_current_time())
    _write(store, keys, "case-down", run_citizen(all_demo_citizens()[0], "case-down", _noon(day))[:4])
    nobody_listens = GatewaySettings(endpoint=f"http://127.0.0.1:{_free_port()}/", organisation=organisation,
                                     timeout_seconds=2)  # fmt: skip
    async with build_worker(own_env.client, settings, store, outbox=outbox, kl_gateway=nobody_listens):
        down = await own_env.client.execute_workflow(
            DailyDeliveryWorkflow.run,
            DailyDeliveryInput(first_day=day, until_day=day, max_attempts=1),
            id=f"kl-{uuid.uuid4().hex[:8]}",
            task_queue=settings.task_queue,
        )
    assert (down.days, down.failed, down.stopped_at) == ([day], 1, day)
    assert [e.event_type for e in _delivery_events(store)] == ["kl_delivery_failed"]

    folder = tmp_path / "delivered"
    async with build_worker(own_env.client, settings, store, outbox=outbox,
                            kl_gateway=GatewaySettings(folder=folder, organisation=organisation)):  # fmt: skip
        up = await own_env.client.execute_workflow(
            DailyDeliveryWorkflow.run,
            DailyDeliveryInput(until_day=day),
            id=f"kl-{uuid.uuid4().hex[:8]}",
            task_queue=settings.task_queue,
        )
    assert (up.days, up.delivered, up.failed, up.stopped_at) == ([day], 1, 0, None)
    recorded = _delivery_events(store)
    assert [e.event_type for e in recorded] == [
        "kl_delivery_failed",
        "kl_report_delivered",
        "kl_delivery_day_completed",
    ]
    assert recorded[-1].payload["delivered"] == 1
    store.dispose()
