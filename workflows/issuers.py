"""Who issued a command: the signature of the front door that authenticated the person.

Temporal accepts a workflow start or an update from anyone who can reach it;
it knows nothing of our tokens, the permission matrix or the access log. So
the process that authenticated a person (the API, or the CLI acting with a
token) signs every command it sends with its **command-signing key**
(Ed25519), and the workflow refuses, in the update's validator (before
anything enters history; a case's registration is its ``open`` update, whose
signature covers the case's start input too) or before a closed case is
revived, a command that is

* unsigned (``command.unsigned``),
* signed with a key this worker does not trust, or whose signature does not
  hold for what arrived (``command.forged``): the signature covers the kind of
  request, the workflow it is meant for, the actor and role, the whole request
  (the command with its fields, ``expected_version``) and the request id,
* issued too long ago, or in the future (``command.expired``),
* meant for another workflow or another update id (``command.misdirected``).

The statement signed is the compact, key-sorted JSON of::

    {"format": "samskab-command/1", "kind": "case.act", "target": "<workflow id>",
     "actor": {"id", "role"}, "request_id": "...", "issued_at": "<ISO 8601>",
     "request": <the request as JSON, without its signature and the command's 'at'>}

The workflow records the id of the key that signed (``key_id``: 16 hex of the
sha256 of the raw public key) with every event the command produced (the
``$issuer`` of the stored payload), so an auditor can tell which front door
issued each command. The trusted public keys are given to the worker
(``trust``), per task queue, never by a caller.

Replay never runs an update's validator; a revival's start is verified only when
it first runs (``workflow.unsafe.is_replaying``), so rotating keys never
breaks the replay of a case whose command was verified when it came in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field

FORMAT = "samskab-command/1"
#: How long a signed command stays valid (the default; a setting).
DEFAULT_MAX_AGE = timedelta(minutes=5)
#: How far a signer's clock may run ahead of the workflow's.
MAX_CLOCK_SKEW = timedelta(minutes=2)
from domain.messages import ISSUER_FIELD  # noqa: E402,F401 - where a stored payload names the signing key


class CommandSignature(BaseModel):
    """What a front door adds to a command it sends: which key signed, when, for which request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key_id: str = Field(min_length=1, max_length=64)
    issued_at: datetime
    request_id: str = Field(min_length=1, max_length=200)
    signature: str = Field(min_length=1, max_length=200, description="base64 of the 64-byte Ed25519 signature")


class CommandRefused(Exception):
    """A command whose issuer cannot be verified; ``rule`` says why."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """A public key from base64 of its 32 raw bytes, or from PEM."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("a command-verifying key must be an Ed25519 public key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a command-verifying key is base64 of 32 raw Ed25519 bytes, or PEM") from None
    if len(raw) != 32:
        raise ValueError(f"a command-verifying key is 32 bytes, this one is {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def public_key_text(public_key: Ed25519PublicKey) -> str:
    return base64.b64encode(
        public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ).decode()


def _request_json(request: BaseModel) -> Any:
    data = request.model_dump(mode="json", exclude={"signature"})
    for name in ("command", "registration"):  # 'at' is stamped by the workflow's clock, never the caller's
        if isinstance(data.get(name), dict):
            data[name].pop("at", None)
    return data


def _actor_of(request: BaseModel) -> dict[str, Any]:
    for name in ("command", "registration"):
        inner = getattr(request, name, None)
        if inner is not None and hasattr(inner, "actor"):
            return inner.actor.model_dump(mode="json")
    opened_by = getattr(request, "opened_by", None)
    return opened_by.model_dump(mode="json") if opened_by is not None else {}


def statement(kind: str, target: str, request: BaseModel, issued_at: datetime, request_id: str) -> bytes:
    """The bytes a command's signature covers."""
    body = {
        "format": FORMAT,
        "kind": kind,
        "target": target,
        "actor": _actor_of(request),
        "request_id": request_id,
        "issued_at": issued_at.astimezone(UTC).isoformat(),
        "request": _request_json(request),
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class TrustedIssuers:
    """The public keys a worker accepts commands from, and how old a command may be."""

    keys: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    max_age: timedelta = DEFAULT_MAX_AGE

    @classmethod
    def of(cls, public_keys, max_age: timedelta = DEFAULT_MAX_AGE) -> TrustedIssuers:
        return cls({key_id_of(k): k for k in public_keys}, max_age)


_TRUSTED: dict[str, TrustedIssuers] = {}


def trust(task_queue: str, issuers: TrustedIssuers) -> None:
    """Sets the keys the workflows on ``task_queue`` accept commands from (the worker calls this)."""
    _TRUSTED[task_queue] = issuers


def trusted(task_queue: str) -> TrustedIssuers:
    """The keys trusted on ``task_queue``; none (every command refused) if the worker set none."""
    return _TRUSTED.get(task_queue) or TrustedIssuers()


def verify(
    kind: str, target: str, request: BaseModel, *, now: datetime, issuers: TrustedIssuers, request_id: str | None = None
) -> str:
    """The id of the key that signed ``request``; CommandRefused naming the rule otherwise."""
    signature: CommandSignature | None = getattr(request, "signature", None)
    if signature is None:
        raise CommandRefused(
            "the command is not signed by a front door samskab trusts (the API, or the CLI with a token); refused",
            "command.unsigned",
        )
    key = issuers.keys.get(signature.key_id)
    if key is None:
        raise CommandRefused(
            f"the command is signed with key {signature.key_id}, which this worker does not trust", "command.forged"
        )
    if request_id is not None and signature.request_id != request_id:
        raise CommandRefused("the command's signature was made for another request id", "command.misdirected")
    try:
        raw = base64.b64decode(signature.signature, validate=True)
        key.verify(raw, statement(kind, target, request, signature.issued_at, signature.request_id))
    except (InvalidSignature, binascii.Error, ValueError):
        # Also what a signature made for another case or another kind of request gives.
        raise CommandRefused(
            f"the command's signature does not hold for {kind} on {target} (changed, forged, or meant elsewhere)",
            "command.forged",
        ) from None
    issued_at = signature.issued_at if signature.issued_at.tzinfo else signature.issued_at.replace(tzinfo=UTC)
    if issued_at < now - issuers.max_age or issued_at > now + MAX_CLOCK_SKEW:
        raise CommandRefused(
            f"the command was issued at {issued_at.isoformat()}, outside the {issuers.max_age} it stays valid; send it again",
            "command.expired",
        )
    return signature.key_id


def refusal_of(error: CommandRefused):
    """The refusal as Temporal carries it to the caller (never retried)."""
    from temporalio.exceptions import ApplicationError

    return ApplicationError(
        error.message, {"rule": error.rule, "field": "signature"}, type="UnverifiedIssuer", non_retryable=True
    )


def verify_in_workflow(kind: str, request: BaseModel, *, update: bool = True, at: datetime | None = None) -> str:
    """Verifies a request inside a workflow (an update's validator, or a start):
    for this workflow, against the keys its task queue trusts; the signing key's id."""
    from temporalio import workflow

    info = workflow.info()
    update_info = workflow.current_update_info() if update else None
    try:
        return verify(
            kind,
            info.workflow_id,
            request,
            now=at or workflow.now(),
            issuers=trusted(info.task_queue),
            request_id=update_info.id if update_info is not None else None,
        )
    except CommandRefused as error:
        raise refusal_of(error) from None
