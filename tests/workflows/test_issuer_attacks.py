"""Attacks on the workflows from someone who can reach Temporal (issue 18, finding 1).

Each test is the attack: a plain Temporal client without the codec key, a
client with the codec key but no signature, a forged, expired, misdirected or
replayed signature. Each must be refused before anything enters the workflow's
history or the event log; a command from a trusted front door goes through and
the log names the key that signed it."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from app.cases import CommandRejected, parse_command
from app.codec import data_converter
from app.command_signing import CommandSigner
from app.keys import command_signer
from domain.case.deadlines import PhaseDeadlines
from domain.messages import ISSUER_FIELD
from tests import scenario
from workflows.case import REGISTRATION_WAIT, CaseWorkflow
from workflows.case_messages import ActRequest, CaseInput, OpenRequest
from workflows.changes import CURRENT_CODE

pytestmark = pytest.mark.asyncio

VOLUNTEER = scenario.VOLUNTEER
FORGED_CONSENT = {**scenario.consent(VOLUNTEER), "actor": {"id": "anyone", "role": "citizen"}}


async def team_phase_with_consent_revoked(cases, case_id: str) -> None:
    """A case whose volunteer had consent and lost it: what an attacker wants back."""
    await cases.open_case(parse_command(scenario.register(case_id)))
    for command in scenario.full_lifecycle_after_registration()[:9]:  # up to the volunteer's consent
        await cases.act(case_id, parse_command(command))
    await cases.act(case_id, parse_command(scenario.revoke(VOLUNTEER)))


def plain_client(env) -> Client:
    """A Temporal client as anyone who can reach the server has it: no codec key."""
    return Client(env.client.service_client, namespace=env.client.namespace, data_converter=pydantic_data_converter)


def client_with_codec_key(env) -> Client:
    """An insider who has the codec key (it must be on every worker) but no command-signing key."""
    from tests.workflows.conftest import CODEC_KEY

    return Client(env.client.service_client, namespace=env.client.namespace, data_converter=data_converter(CODEC_KEY))


async def update_refused(client: Client, case_id: str, request, update_id: str | None = None) -> BaseException:
    handle = client.get_workflow_handle_for(CaseWorkflow.run, case_id)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(CaseWorkflow.act, request, id=update_id or str(uuid.uuid4()))
    return refused.value.cause


async def nothing_new(store, case_id: str, before: int, env) -> None:
    assert store.stream_version(case_id) == before
    history = await env.client.get_workflow_handle(case_id).fetch_history()
    accepted = [
        e.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
    assert not [update_id for update_id in accepted if update_id.startswith("attack-")]


def rule_of(cause: BaseException) -> str | None:
    assert isinstance(cause, ApplicationError), cause
    details = cause.details[0] if cause.details else {}
    return details.get("rule") if isinstance(details, dict) else None


async def test_a_plain_temporal_client_without_codec_key_or_signature_cannot_give_consent(env, cases, case_id, store):
    await team_phase_with_consent_revoked(cases, case_id)
    before = store.stream_version(case_id)

    cause = await update_refused(
        plain_client(env), case_id, {"command": FORGED_CONSENT}, update_id=f"attack-{uuid.uuid4()}"
    )

    assert cause is not None  # rejected (the reason is encrypted: this client cannot even read it)
    await nothing_new(store, case_id, before, env)
    assert (await cases.state(case_id)).consents[VOLUNTEER["id"]].revoked_at is not None


async def test_a_client_with_the_codec_key_but_no_signature_is_refused_before_history(env, cases, case_id, store):
    await team_phase_with_consent_revoked(cases, case_id)
    before = store.stream_version(case_id)

    cause = await update_refused(
        client_with_codec_key(env), case_id, ActRequest(command=parse_command(FORGED_CONSENT)), f"attack-{uuid.uuid4()}"
    )

    assert rule_of(cause) == "command.unsigned"
    await nothing_new(store, case_id, before, env)


async def test_a_signature_by_a_key_the_worker_does_not_trust_is_refused(env, cases, case_id, store):
    await team_phase_with_consent_revoked(cases, case_id)
    before = store.stream_version(case_id)
    forger = CommandSigner(Ed25519PrivateKey.generate())
    update_id = f"attack-{uuid.uuid4()}"
    request = ActRequest(command=parse_command(FORGED_CONSENT))
    request = request.model_copy(update={"signature": forger.sign("case.act", case_id, request, update_id)})

    cause = await update_refused(client_with_codec_key(env), case_id, request, update_id)

    assert rule_of(cause) == "command.forged"
    await nothing_new(store, case_id, before, env)


async def test_a_trusted_signature_on_a_changed_command_is_refused(env, cases, case_id, store, settings):
    """Someone who captured a signed command changes the actor: the signature no longer holds."""
    await team_phase_with_consent_revoked(cases, case_id)
    before = store.stream_version(case_id)
    update_id = f"attack-{uuid.uuid4()}"
    honest = ActRequest(command=parse_command(scenario.revoke(VOLUNTEER)))
    signature = command_signer(settings).sign("case.act", case_id, honest, update_id)
    changed = ActRequest(command=parse_command(FORGED_CONSENT), signature=signature)

    cause = await update_refused(client_with_codec_key(env), case_id, changed, update_id)

    assert rule_of(cause) == "command.forged"
    await nothing_new(store, case_id, before, env)


async def test_a_command_signed_for_another_case_or_another_update_id_is_refused(env, cases, case_id, store, settings):
    await team_phase_with_consent_revoked(cases, case_id)
    before = store.stream_version(case_id)
    signer = command_signer(settings)
    request = ActRequest(command=parse_command(scenario.consent(VOLUNTEER)))
    for_other_case = request.model_copy(
        update={"signature": signer.sign("case.act", "another-case", request, "attack-1")}
    )
    sent_once = request.model_copy(update={"signature": signer.sign("case.act", case_id, request, "attack-2")})

    misdirected = await update_refused(client_with_codec_key(env), case_id, for_other_case, "attack-1")
    replayed = await update_refused(client_with_codec_key(env), case_id, sent_once, f"attack-{uuid.uuid4()}")

    assert rule_of(misdirected) == "command.forged"
    assert rule_of(replayed) == "command.misdirected"
    await nothing_new(store, case_id, before, env)


async def test_an_expired_signed_command_is_refused(env, cases, case_id, store, settings):
    await team_phase_with_consent_revoked(cases, case_id)
    before = store.stream_version(case_id)
    update_id = f"attack-{uuid.uuid4()}"
    request = ActRequest(command=parse_command(scenario.consent(VOLUNTEER)))
    long_ago = datetime.now(UTC) - settings.command_max_age - timedelta(minutes=1)
    request = request.model_copy(
        update={"signature": command_signer(settings).sign("case.act", case_id, request, update_id, now=long_ago)}
    )

    cause = await update_refused(client_with_codec_key(env), case_id, request, update_id)

    assert rule_of(cause) == "command.expired"
    await nothing_new(store, case_id, before, env)


def _case_input(case_id: str) -> CaseInput:
    forged = {**scenario.register(case_id), "actor": {"id": "anyone", "role": "caseworker"}}
    return CaseInput(registration=parse_command(forged), deadlines=PhaseDeadlines(), code_version=CURRENT_CODE)


@pytest.mark.parametrize("attacker", ["plain client", "codec key, no signature", "forged signature"])
async def test_a_case_opened_from_outside_a_front_door_fails_and_records_nothing(
    env, worker, settings, store, attacker
):
    """A start that carries a registration (signed or not) opens nothing: a case takes its
    registration only from the ``open`` update, verified, and the run ends after its wait."""
    case_id = f"attack-{uuid.uuid4().hex[:8]}"
    case_input = _case_input(case_id)
    argument: dict[str, Any] | CaseInput
    if attacker == "plain client":
        client, argument = plain_client(env), case_input.model_dump(mode="json")
    elif attacker == "codec key, no signature":
        client, argument = client_with_codec_key(env), case_input
    else:
        forger = CommandSigner(Ed25519PrivateKey.generate())
        client = client_with_codec_key(env)
        argument = case_input.model_copy(update={"signature": forger.sign("case.open", case_id, case_input, "x")})

    handle = await client.start_workflow("CaseWorkflow", argument, id=case_id, task_queue=settings.task_queue)

    await env.sleep(REGISTRATION_WAIT + timedelta(minutes=1))
    with pytest.raises(WorkflowFailureError):
        await asyncio.wait_for(handle.result(), timeout=30)
    assert store.stream_version(case_id) == 0
    assert store.read_stream(case_id) == []


@pytest.mark.parametrize("attacker", ["codec key, no signature", "forged signature", "signature of another case"])
async def test_an_opening_update_no_front_door_signed_is_refused_at_once(env, worker, settings, store, attacker):
    case_id = f"attack-{uuid.uuid4().hex[:8]}"
    case_input = _case_input(case_id)
    update_id = f"attack-{uuid.uuid4()}"
    assert case_input.registration is not None  # the client's signed input carries it
    request = OpenRequest(registration=case_input.registration)
    if attacker == "forged signature":
        forger = CommandSigner(Ed25519PrivateKey.generate())
        request = OpenRequest(
            registration=case_input.registration, signature=forger.sign("case.open", case_id, case_input, update_id)
        )
    elif attacker == "signature of another case":
        # a front door's real signature, made for the opening of another case
        request = OpenRequest(
            registration=case_input.registration,
            signature=command_signer(settings).sign("case.open", "another-case", case_input, update_id),
        )
    start = WithStartWorkflowOperation(
        CaseWorkflow.run,
        case_input.model_copy(update={"registration": None}),
        id=case_id,
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await client_with_codec_key(env).execute_update_with_start_workflow(
            CaseWorkflow.open, request, start_workflow_operation=start, id=update_id
        )

    expected = {"codec key, no signature": "command.unsigned"}.get(attacker, "command.forged")
    assert rule_of(refused.value.cause) == expected
    await nothing_new(store, case_id, 0, env)
    assert store.read_stream(case_id) == []


async def test_a_command_from_a_trusted_front_door_is_recorded_with_the_key_that_signed_it(
    cases, case_id, store, settings
):
    await cases.open_case(parse_command(scenario.register(case_id)))
    await cases.act(case_id, parse_command({"type": "open_visitation", "actor": scenario.CASEWORKER}))

    stored = store.read_stream(case_id)
    key_id = command_signer(settings).key_id
    assert [s.payload.get(ISSUER_FIELD) for s in stored] == [key_id, key_id]
    assert store.verify().ok


async def test_no_trusted_keys_means_every_command_is_refused(env, store, tmp_path, case_id):
    """A worker given no command-verifying key accepts nothing (fail closed), even a signed command."""
    from app.cases import CaseClient
    from app.settings import Settings
    from worker import build_worker
    from workflows.issuers import TrustedIssuers

    settings = Settings(
        task_queue=f"empty-{uuid.uuid4().hex[:8]}",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'eventlog.db'}",
    )
    untrusting = build_worker(env.client, settings, store, trusted_issuers=TrustedIssuers())
    async with untrusting:
        client = CaseClient(env.client, settings)
        with pytest.raises(CommandRejected) as refused:  # the caller hears it at once, not the case failing later
            await client.open_case(parse_command(scenario.register(case_id)))
        assert (refused.value.rule, refused.value.field) == ("command.forged", "signature")
        await env.sleep(REGISTRATION_WAIT + timedelta(minutes=1))
        with pytest.raises(WorkflowFailureError):
            await asyncio.wait_for(client.outcome(case_id), timeout=30)
    assert store.read_stream(case_id) == []


async def test_a_validly_signed_command_sent_without_encryption_is_still_refused(env, cases, case_id, store, settings):
    """The codec fails closed on its own: even a command a trusted front door signed is
    not read when it arrives in clear (it may have been read or changed on the way)."""
    await team_phase_with_consent_revoked(cases, case_id)
    before = store.stream_version(case_id)
    update_id = f"attack-{uuid.uuid4()}"
    request = ActRequest(command=parse_command(scenario.consent(VOLUNTEER)))
    request = request.model_copy(
        update={"signature": command_signer(settings).sign("case.act", case_id, request, update_id)}
    )

    await update_refused(plain_client(env), case_id, request.model_dump(mode="json"), update_id)

    await nothing_new(store, case_id, before, env)


async def test_the_codec_turns_a_clear_payload_into_a_non_retryable_refusal():
    from temporalio.api.common.v1 import Payload

    from app.converter import shared_payload_converter

    codec = data_converter(os.urandom(32)).payload_codec
    assert codec is not None  # the codec under test
    clear = pydantic_data_converter.payload_converter.to_payloads([{"command": FORGED_CONSENT}])
    decoded = await codec.decode(clear)

    assert decoded[0].data == b"" and decoded[0].metadata["encoding"] == b"binary/refused-unencrypted"
    with pytest.raises(ApplicationError) as refused:
        shared_payload_converter().from_payloads(decoded, [ActRequest])
    assert refused.value.type == "UnencryptedPayload" and refused.value.non_retryable
    assert isinstance(decoded[0], Payload)
