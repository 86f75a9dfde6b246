"""Cases for the delivery tests: the demo citizens run through the case decider
(no Temporal), one command per hour from a given start."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import ValidationError

from app.demo_citizens import DemoCitizen, demo_citizens
from domain.case.decider import command_adapter, decide, evolve, initial_state
from domain.errors import DomainError
from domain.messages import Event

STEP = timedelta(hours=1)


def run_citizen(citizen: DemoCitizen, case_id: str, start: datetime, step: timedelta = STEP) -> list[Event]:
    state = initial_state()
    events: list[Event] = []
    at = start
    for data in [citizen.registration(case_id), *citizen.steps]:
        try:
            command = command_adapter.validate_python(data).model_copy(update={"at": at})
            new = decide(state, command)
        except (DomainError, ValidationError):
            continue  # refused on purpose, needs the workflow's timers, or belongs to another workflow (an appeal)
        for event in new:
            state = evolve(state, event)
        events.extend(new)
        at += step
    return events


def all_demo_citizens() -> list[DemoCitizen]:
    return demo_citizens()
