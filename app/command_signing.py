"""A front door's command-signing key: signs each command it sends (``workflows.issuers``)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel

from workflows.issuers import CommandSignature, key_id_of, statement


@dataclass(frozen=True)
class CommandSigner:
    """A front door's command-signing key."""

    private_key: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return key_id_of(self.private_key.public_key())

    def sign(
        self, kind: str, target: str, request: BaseModel, request_id: str, now: datetime | None = None
    ) -> CommandSignature:
        issued_at = (now or datetime.now(UTC)).astimezone(UTC)
        signature = self.private_key.sign(statement(kind, target, request, issued_at, request_id))
        return CommandSignature(
            key_id=self.key_id,
            issued_at=issued_at,
            request_id=request_id,
            signature=base64.b64encode(signature).decode(),
        )
