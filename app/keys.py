"""The installation's secrets: where they live and how they are made on first use.

Three secrets, each a file under ``DATA_DIR/secrets/`` (mode 0600, made on
first use) unless the settings give it:

* the key store secret, which wraps every citizen's key and keys the CPR
  lookup (``SAMSKAB_KEYSTORE_SECRET`` / ``SAMSKAB_KEYSTORE_SECRET_FILE``);
* the Ed25519 key that signs checkpoints (``SAMSKAB_CHECKPOINT_KEY_FILE``),
  its public key beside it as ``.pub``;
* the AES key of the Temporal payload codec (``SAMSKAB_CODEC_KEY`` /
  ``SAMSKAB_CODEC_KEY_FILE``), which every worker and client must share.

Losing the key store secret makes every citizen's personal data unreadable;
losing the codec key makes running workflows' histories unreadable.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.settings import Settings
from eventlog import EventStore
from eventlog.checkpoints import load_or_create_signing_key, load_public_key, public_key_path
from eventlog.keystore import KeyStore

SECRET_BYTES = 32


def secrets_dir(settings: Settings) -> Path:
    return settings.data_dir / "secrets"


def _decode(name: str, text: str) -> bytes:
    try:
        value = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{name} must be base64 (e.g. from: openssl rand -base64 32)") from None
    if len(value) < SECRET_BYTES:
        raise ValueError(f"{name} must hold at least {SECRET_BYTES} bytes, it holds {len(value)}")
    return value


def _file_secret(path: Path, name: str) -> bytes:
    """The secret in ``path``; made (random, mode 0600) if the file does not exist."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii") + "\n")
    return _decode(f"{name} in {path}", path.read_text())


def keystore_secret(settings: Settings) -> bytes:
    if settings.keystore_secret:
        return _decode("SAMSKAB_KEYSTORE_SECRET", settings.keystore_secret)
    return _file_secret(settings.keystore_secret_file or secrets_dir(settings) / "keystore.secret", "the key store secret")


def codec_key(settings: Settings) -> bytes:
    if settings.codec_key:
        return _decode("SAMSKAB_CODEC_KEY", settings.codec_key)[:SECRET_BYTES]
    return _file_secret(settings.codec_key_file or secrets_dir(settings) / "codec.key", "the codec key")[:SECRET_BYTES]


def checkpoint_key_path(settings: Settings) -> Path:
    return settings.checkpoint_key_file or secrets_dir(settings) / "checkpoint-signing.pem"


def checkpoint_signing_key(settings: Settings) -> Ed25519PrivateKey:
    return load_or_create_signing_key(checkpoint_key_path(settings))


def trusted_checkpoint_key(settings: Settings, public_key_file: Path | None) -> Ed25519PublicKey | None:
    """The public key checkpoints must be signed with: the file given, else this
    installation's own (if it has one yet)."""
    if public_key_file is not None:
        return load_public_key(public_key_file)
    own = checkpoint_key_path(settings)
    if public_key_path(own).exists():
        return load_public_key(public_key_path(own))
    if own.exists():
        return load_or_create_signing_key(own).public_key()
    return None


def open_key_store(store: EventStore, settings: Settings) -> KeyStore:
    return KeyStore(store.engines, keystore_secret(settings))
