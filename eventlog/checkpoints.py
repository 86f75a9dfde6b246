"""Signed checkpoints: the log's size and head hash, signed with Ed25519, kept outside the database.

A checkpoint is a small JSON file::

    {"format": "samskab-checkpoint/1", "position": 1234, "head_hash": "<64 hex>",
     "created_at": "2024-03-01T09:30:00.000000Z", "public_key": "<base64 raw 32 bytes>",
     "signature": "<base64 64 bytes>"}

The signature covers the compact JSON (sorted keys) of every field but
``signature``. Verifying the log against a checkpoint proves that the log
still holds that prefix unchanged: the hash at ``position`` commits to every
event up to it, so someone who rewrites the whole log and recomputes the chain
(which a plain ``verify`` cannot tell from the original) is caught, and so is
someone who cuts events off the end and moves the head back.

The signature is only worth the public key it is checked against: an auditor
pins the installation's public key (``--public-key``), never the one a file
brings along.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from eventlog.errors import EventLogError
from eventlog.hashing import format_timestamp
from eventlog.records import VerifyReport

FORMAT = "samskab-checkpoint/1"
_HEX = frozenset("0123456789abcdef")


class CheckpointInvalid(EventLogError):
    """A checkpoint file is malformed, its signature does not hold, or its key is not trusted."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    position: int
    head_hash: str
    created_at: str
    public_key: str
    signature: str
    format: str = FORMAT

    def statement(self) -> bytes:
        """The bytes the signature covers."""
        fields = {k: v for k, v in asdict(self).items() if k != "signature"}
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    @property
    def key_fingerprint(self) -> str:
        return fingerprint(base64.b64decode(self.public_key))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Checkpoint:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise CheckpointInvalid(f"not a checkpoint: the format field must be {FORMAT!r}")
        try:
            checkpoint = cls(
                position=data["position"],
                head_hash=data["head_hash"],
                created_at=data["created_at"],
                public_key=data["public_key"],
                signature=data["signature"],
            )
        except KeyError as err:
            raise CheckpointInvalid(f"the checkpoint has no {err.args[0]!r} field") from None
        if type(checkpoint.position) is not int or checkpoint.position < 0:
            raise CheckpointInvalid(f"position must be an integer >= 0, got {checkpoint.position!r}")
        if not (
            isinstance(checkpoint.head_hash, str)
            and len(checkpoint.head_hash) == 64
            and set(checkpoint.head_hash) <= _HEX
        ):
            raise CheckpointInvalid("head_hash must be 64 lowercase hex characters (a sha256 digest)")
        return checkpoint


def fingerprint(raw_public_key: bytes) -> str:
    """A short, printable name of a public key: sha256 of its raw bytes, first 16 hex."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign_checkpoint(private_key: Ed25519PrivateKey, position: int, head_hash: str) -> Checkpoint:
    unsigned = Checkpoint(
        position=position,
        head_hash=head_hash,
        created_at=format_timestamp(datetime.now(UTC)),
        public_key=base64.b64encode(raw_public(private_key.public_key())).decode("ascii"),
        signature="",
    )
    signature = private_key.sign(unsigned.statement())
    return Checkpoint(**{**asdict(unsigned), "signature": base64.b64encode(signature).decode("ascii")})


def check_signature(checkpoint: Checkpoint, trusted: Iterable[Ed25519PublicKey] | None) -> None:
    """Raise CheckpointInvalid unless the signature holds under a trusted key.

    ``trusted=None`` accepts the key the checkpoint carries (this only proves the
    file was not changed after signing; callers must say so to the person).
    """
    try:
        carried = Ed25519PublicKey.from_public_bytes(base64.b64decode(checkpoint.public_key, validate=True))
        signature = base64.b64decode(checkpoint.signature, validate=True)
    except ValueError as err:
        raise CheckpointInvalid(
            f"the checkpoint's public key or signature is not valid base64 Ed25519: {err}"
        ) from None
    if trusted is not None:
        trusted_raw = {raw_public(k) for k in trusted}
        if raw_public(carried) not in trusted_raw:
            raise CheckpointInvalid(
                f"the checkpoint is signed with key {checkpoint.key_fingerprint}, which is not the trusted key "
                f"({', '.join(sorted(fingerprint(k) for k in trusted_raw)) or 'none given'})"
            )
    try:
        carried.verify(signature, checkpoint.statement())
    except InvalidSignature:
        raise CheckpointInvalid(
            "the checkpoint's signature does not match its contents: the file was changed after it was signed"
        ) from None


def anchors(checkpoints: Iterable[Checkpoint]) -> dict[int, str]:
    """The positions and hashes the log must hold, from checkpoints whose signatures were checked."""
    result: dict[int, str] = {}
    for checkpoint in checkpoints:
        if checkpoint.position == 0:
            continue  # the empty prefix: nothing to prove
        if result.get(checkpoint.position, checkpoint.head_hash) != checkpoint.head_hash:
            raise CheckpointInvalid(f"two checkpoints disagree about the hash at position {checkpoint.position}")
        result[checkpoint.position] = checkpoint.head_hash
    return result


def checkpoint_log(store, private_key: Ed25519PrivateKey) -> tuple[Checkpoint | None, VerifyReport]:
    """Verify the log and, only if it verifies, sign its head. Never signs a broken log."""
    report = store.verify()
    if not report.ok:
        return None, report
    return sign_checkpoint(private_key, report.head_position, report.head_hash), report


def verify_against(
    store, checkpoints: Iterable[Checkpoint], trusted: Iterable[Ed25519PublicKey] | None
) -> VerifyReport:
    """Walk the whole log, and check that it still holds every checkpoint's prefix."""
    checkpoints = list(checkpoints)
    for checkpoint in checkpoints:
        check_signature(checkpoint, trusted)
    return store.verify(anchors=anchors(checkpoints))


# -- files -------------------------------------------------------------------------


def write_checkpoint(checkpoint: Checkpoint, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(checkpoint.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_checkpoint(path: Path) -> Checkpoint:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise CheckpointInvalid(f"cannot read checkpoint {path}: {err.strerror}") from None
    except json.JSONDecodeError as err:
        raise CheckpointInvalid(f"checkpoint {path} is not JSON: {err.msg} at line {err.lineno}") from None
    return Checkpoint.from_dict(data)


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 signing key in ``path`` (PEM, PKCS#8), made on first use with mode 0600.

    The public key is written beside it (``.pub``) for auditors to pin.
    """
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            _write_private(path, pem)
        except FileExistsError:
            pass  # another process made it first; use theirs
        else:
            public_key_path(path).write_bytes(
                key.public_key().public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            )
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise CheckpointInvalid(f"{path} does not hold an Ed25519 private key")
    return loaded


def public_key_path(private_key_path: Path) -> Path:
    return private_key_path.with_name(private_key_path.name + ".pub")


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A trusted public key from a file: PEM, or the base64 of the raw 32 bytes."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise CheckpointInvalid(f"cannot read public key {path}: {err.strerror}") from None
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
        else:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(data.strip(), validate=True))
    except ValueError as err:
        raise CheckpointInvalid(f"{path} is not an Ed25519 public key (PEM or base64 raw): {err}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointInvalid(f"{path} holds a public key that is not Ed25519")
    return key
