"""The payload converter every worker and client use: pydantic JSON, with one
type adapter per message type for the whole process."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Annotated

import pytest

from app.converter import (
    SharedAdaptersJSONConverter,
    SharedAdaptersPayloadConverter,
    _type_adapter,
    shared_payload_converter,
)
from domain.phases import Phase
from workflows.case_messages import ActResult


def test_messages_round_trip_and_every_converter_shares_the_adapters():
    first, second = SharedAdaptersPayloadConverter(), SharedAdaptersPayloadConverter()
    answer = ActResult(case_id="c-1", version=3, phase=Phase.VISITATION, events=["visitation_opened"], positions=[7])

    payloads = first.to_payloads([answer, datetime(2026, 11, 23, tzinfo=UTC), {"a": [1, 2]}])
    assert first.from_payloads(payloads, [ActResult, datetime, dict]) == [
        answer,
        datetime(2026, 11, 23, tzinfo=UTC),
        {"a": [1, 2]},
    ]

    before = _type_adapter.cache_info()
    second.from_payloads(payloads[:1], [ActResult])
    after = _type_adapter.cache_info()
    assert after.hits == before.hits + 1 and after.currsize == before.currsize  # built once, by the first converter


def test_an_unhashable_type_hint_is_read_without_the_cache():
    converter = SharedAdaptersJSONConverter()
    hint = Annotated[dict[str, int], {"why": "a dict in the metadata makes the hint unhashable"}]
    with pytest.raises(TypeError):
        hash(hint)

    payload = converter.to_payload({"x": 1})
    assert payload is not None
    assert converter.from_payload(payload, hint) == {"x": 1}


def test_every_data_converter_of_the_process_uses_one_payload_converter():
    from temporalio.converter import WorkflowSerializationContext

    from app.codec import data_converter

    converter = data_converter(b"k" * 32)
    # What the SDK does for every workflow activation: a converter for the run's context.
    context = WorkflowSerializationContext(namespace="default", workflow_id="case-1")
    again = dataclasses.replace(converter).with_context(context)
    inner = lambda dc: dc.payload_converter._inner_payload_converter  # noqa: E731 - the SDK's wrapper
    assert inner(again) is inner(converter) is shared_payload_converter()
    answer = ActResult(case_id="c-1", version=1, phase=Phase.NEED, events=["need_registered"], positions=[1])
    assert again.payload_converter.from_payloads(converter.payload_converter.to_payloads([answer]), [ActResult]) == [
        answer
    ]
