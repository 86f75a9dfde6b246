"""The worker's tuning comes from the settings (``SAMSKAB_WORKER_*``): a worker built with
them has them, and a value out of range is refused naming the setting."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from pydantic import ValidationError

from app.cases import CaseClient, parse_command
from app.settings import Settings
from tests import scenario
from worker import build_worker

TUNED = {
    "SAMSKAB_WORKER_MAX_CACHED_WORKFLOWS": "37",
    "SAMSKAB_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS": "23",
    "SAMSKAB_WORKER_MAX_CONCURRENT_ACTIVITIES": "3",
    "SAMSKAB_WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES": "2",
    "SAMSKAB_WORKER_ACTIVITY_THREADS": "4",
    "SAMSKAB_WORKER_STICKY_SCHEDULE_TO_START_SECONDS": "2.5",
}


async def test_a_worker_built_with_the_settings_has_them_and_serves_a_case(env, settings, store, monkeypatch, case_id):
    for name, value in TUNED.items():
        monkeypatch.setenv(name, value)
    tuned = Settings(task_queue=settings.task_queue, data_dir=settings.data_dir, database_url=settings.database_url)
    worker = build_worker(env.client, tuned, store)
    config = worker.config()
    assert config["max_cached_workflows"] == 37
    assert config["max_concurrent_workflow_tasks"] == 23
    assert config["max_concurrent_activities"] == 3
    assert config["max_concurrent_local_activities"] == 2
    executor = config["activity_executor"]
    assert isinstance(executor, ThreadPoolExecutor) and executor._max_workers == 4
    assert config["sticky_queue_schedule_to_start_timeout"] == timedelta(seconds=2.5)
    async with worker:  # the tuned worker does its work: a case opens and takes a command
        cases = CaseClient(env.client, tuned)
        await cases.open_case(parse_command(scenario.register(case_id)))
        answer = await cases.act(case_id, parse_command({"type": "open_visitation", "actor": scenario.CASEWORKER}))
        assert answer.phase.value == "visitation"


def test_an_explicit_option_wins_over_the_settings(env, settings, store):
    worker = build_worker(env.client, settings, store, max_concurrent_workflow_tasks=9)
    assert worker.config()["max_concurrent_workflow_tasks"] == 9
    assert worker.config()["max_concurrent_activities"] == settings.worker_max_concurrent_activities


@pytest.mark.parametrize(
    ("name", "value"),
    [("worker_max_concurrent_workflow_tasks", 1), ("worker_max_concurrent_local_activities", 0),
     ("worker_sticky_schedule_to_start_seconds", 0)],
)  # fmt: skip
def test_a_tuning_value_out_of_range_is_refused_naming_the_setting(name, value):
    with pytest.raises(ValidationError) as refused:
        Settings(**{name: value})
    assert name in str(refused.value)


def test_more_activity_slots_than_threads_is_refused_naming_both_settings():
    with pytest.raises(ValidationError) as refused:
        Settings(
            worker_activity_threads=4, worker_max_concurrent_activities=4, worker_max_concurrent_local_activities=8
        )
    assert "worker_max_concurrent_local_activities (8) must not exceed worker_activity_threads (4)" in str(
        refused.value
    )
