"""The installation's secrets: where they live, and who may make them.

Four secrets, each a file under ``DATA_DIR/secrets/`` (mode 0600) unless the
settings give it:

* the key store secret, which wraps every citizen's key and keys the CPR
  lookup (``SAMSKAB_KEYSTORE_SECRET`` / ``SAMSKAB_KEYSTORE_SECRET_FILE``);
* the Ed25519 key that signs checkpoints (``SAMSKAB_CHECKPOINT_KEY_FILE``),
  its public key beside it as ``.pub``;
* the AES key of the Temporal payload codec (``SAMSKAB_CODEC_KEY`` /
  ``SAMSKAB_CODEC_KEY_FILE``), which every worker and client must share;
* the Ed25519 key that signs the commands a front door sends
  (``SAMSKAB_COMMAND_SIGNING_KEY`` / ``SAMSKAB_COMMAND_SIGNING_KEY_FILE``); a
  worker trusts its public half and ``SAMSKAB_COMMAND_VERIFY_KEYS``.

A missing secret is made on first use only in development (the embedded
stack, ``SAMSKAB_ENV`` not production). Anywhere else it is made only by an
explicit ``samskab keys init`` (or ``samskab dev ...``): a worker that made
its own key store secret would wrap a second key for a citizen who has one,
and an erasure by CPR would miss it.

Losing the key store secret makes every citizen's personal data unreadable;
losing the codec key makes running workflows' histories unreadable.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.command_signing import CommandSigner
from app.settings import Settings
from eventlog import EventStore
from eventlog.checkpoints import load_or_create_signing_key, load_public_key, public_key_path
from eventlog.keystore import KeyStore
from workflows.issuers import TrustedIssuers, public_key_from_text

SECRET_BYTES = 32


class MissingSecret(RuntimeError):
    """A secret is not there and may not be made here; the message names the setting."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting


def secrets_dir(settings: Settings) -> Path:
    return settings.data_dir / "secrets"


def may_generate(settings: Settings) -> bool:
    """Whether a missing secret may be made on first use: only in development."""
    return not settings.production


def _decode(name: str, text: str) -> bytes:
    try:
        value = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{name} must be base64 (e.g. from: openssl rand -base64 32)") from None
    if len(value) < SECRET_BYTES:
        raise ValueError(f"{name} must hold at least {SECRET_BYTES} bytes, it holds {len(value)}")
    return value


def _write_new(path: Path, text: bytes) -> bool:
    """Writes ``text`` to a new file of mode 0600; False if it exists already."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as handle:
        handle.write(text)
    return True


def _missing(setting: str, what: str, path: Path) -> MissingSecret:
    return MissingSecret(
        setting,
        f"{setting}: {what} is missing ({path} does not exist); give it, or make it once with 'samskab keys init' "
        "(secrets are never made implicitly outside development)",
    )


def _file_secret(path: Path, name: str, setting: str, settings: Settings, *, create: bool = False) -> bytes:
    """The secret in ``path``; made (random, mode 0600) if missing and making it is allowed."""
    if not path.exists():
        if not (create or may_generate(settings)):
            raise _missing(setting, name, path)
        _write_new(path, (base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii") + "\n").encode())
    return _decode(f"{name} in {path}", path.read_text())


def keystore_secret_path(settings: Settings) -> Path:
    return settings.keystore_secret_file or secrets_dir(settings) / "keystore.secret"


def keystore_secret(settings: Settings, *, create: bool = False) -> bytes:
    if settings.keystore_secret:
        return _decode("SAMSKAB_KEYSTORE_SECRET", settings.keystore_secret)
    return _file_secret(
        keystore_secret_path(settings), "the key store secret", "SAMSKAB_KEYSTORE_SECRET", settings, create=create
    )


def codec_key_path(settings: Settings) -> Path:
    return settings.codec_key_file or secrets_dir(settings) / "codec.key"


def codec_key(settings: Settings, *, create: bool = False) -> bytes:
    if settings.codec_key:
        return _decode("SAMSKAB_CODEC_KEY", settings.codec_key)[:SECRET_BYTES]
    return _file_secret(codec_key_path(settings), "the codec key", "SAMSKAB_CODEC_KEY", settings, create=create)[
        :SECRET_BYTES
    ]


def checkpoint_key_path(settings: Settings) -> Path:
    return settings.checkpoint_key_file or secrets_dir(settings) / "checkpoint-signing.pem"


def checkpoint_signing_key(settings: Settings, *, create: bool = False) -> Ed25519PrivateKey:
    path = checkpoint_key_path(settings)
    if not path.exists() and not (create or may_generate(settings)):
        raise _missing("SAMSKAB_CHECKPOINT_KEY_FILE", "the checkpoint-signing key", path)
    return load_or_create_signing_key(path)


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


def command_signing_key_path(settings: Settings) -> Path:
    return settings.command_signing_key_file or secrets_dir(settings) / "command-signing.pem"


def _command_key_from_setting(text: str) -> Ed25519PrivateKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("SAMSKAB_COMMAND_SIGNING_KEY must be base64 of a 32-byte Ed25519 private key") from None
    if len(raw) != 32:
        raise ValueError(f"SAMSKAB_COMMAND_SIGNING_KEY must hold 32 bytes, it holds {len(raw)}")
    return Ed25519PrivateKey.from_private_bytes(raw)


def command_signing_key(settings: Settings, *, create: bool = False) -> Ed25519PrivateKey:
    """This front door's command-signing key."""
    if settings.command_signing_key:
        return _command_key_from_setting(settings.command_signing_key)
    path = command_signing_key_path(settings)
    if not path.exists():
        if not (create or may_generate(settings)):
            raise _missing("SAMSKAB_COMMAND_SIGNING_KEY", "the command-signing key", path)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        if _write_new(path, pem):
            public_key_path(path).write_bytes(
                key.public_key().public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            )
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"SAMSKAB_COMMAND_SIGNING_KEY_FILE: {path} does not hold an Ed25519 private key")
    return loaded


def command_signer(settings: Settings) -> CommandSigner:
    return CommandSigner(command_signing_key(settings))


def command_verify_keys(settings: Settings) -> list[Ed25519PublicKey]:
    """The public keys named by ``SAMSKAB_COMMAND_VERIFY_KEYS``."""
    keys = []
    for part in settings.command_verify_keys.split(","):
        if part.strip():
            try:
                keys.append(public_key_from_text(part))
            except ValueError as error:
                raise ValueError(f"SAMSKAB_COMMAND_VERIFY_KEYS: {error}") from None
    return keys


def trusted_issuers(settings: Settings) -> TrustedIssuers:
    """The front doors a worker accepts commands from: its own command-signing key's public
    half (when it has one) and every key in ``SAMSKAB_COMMAND_VERIFY_KEYS``."""
    keys = command_verify_keys(settings)
    own = command_signing_key_path(settings)
    if settings.command_signing_key or own.exists() or may_generate(settings):
        keys.append(command_signing_key(settings).public_key())
    return TrustedIssuers.of(keys, settings.command_max_age)


def init_secrets(settings: Settings) -> list[str]:
    """Makes every secret that is missing (``samskab keys init``); never replaces one. What it made."""
    made = []
    checks = [
        ("key store secret", settings.keystore_secret, keystore_secret_path(settings), keystore_secret),
        ("codec key", settings.codec_key, codec_key_path(settings), codec_key),
        ("checkpoint-signing key", "", checkpoint_key_path(settings), checkpoint_signing_key),
        ("command-signing key", settings.command_signing_key, command_signing_key_path(settings), command_signing_key),
    ]
    for what, given, path, load in checks:
        if given or path.exists():
            continue
        load(settings, create=True)
        made.append(f"{what}: {path}")
    return made


def open_key_store(store: EventStore, settings: Settings) -> KeyStore:
    return KeyStore(store.engines, keystore_secret(settings))
