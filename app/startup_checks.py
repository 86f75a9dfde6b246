"""What the API, the worker and the CLI check before they start: outside
development, no default and no missing secret.

Production is ``SAMSKAB_ENV=production``, or any Temporal but the embedded dev
server (``SAMSKAB_TEMPORAL_ADDRESS`` set). There, start-up is refused, naming
the setting, when

* bearer tokens would be verified with the published development key, an empty
  key, or an HMAC key shorter than 32 bytes (``SAMSKAB_JWT_KEY``), unless they
  are verified against the identity provider's JWKS (``SAMSKAB_JWKS_URL``);
* the key store secret, the codec key, the checkpoint-signing key or the
  command-signing key is missing or unreadable (a worker needs at least one
  key to trust commands from: its own or ``SAMSKAB_COMMAND_VERIFY_KEYS``).

Nothing here makes a secret; ``samskab keys init`` does, once, on purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from app.settings import DEFAULT_JWT_KEY, Settings

Component = Literal["api", "worker", "cli"]
MIN_HMAC_KEY_BYTES = 32


class StartupRefused(RuntimeError):
    """Start-up refused; ``problems`` are (setting, what is wrong)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__(
            "samskab refuses to start outside development:\n"
            + "\n".join(f"  {setting}: {problem}" for setting, problem in problems)
        )


def problems(settings: Settings, component: Component) -> list[tuple[str, str]]:
    """Every reason ``component`` may not start with these settings (none in development)."""
    if not settings.production:
        return []
    from app import keys  # the secrets' loaders (cryptography) only when checking

    found: list[tuple[str, str]] = []
    jwks_url = getattr(settings, "jwks_url", "")
    if not jwks_url:
        key = settings.jwt_key.strip()
        if not key:
            found.append(("SAMSKAB_JWT_KEY", "is empty; set the key tokens are verified with (or SAMSKAB_JWKS_URL)"))
        elif key == DEFAULT_JWT_KEY:
            found.append(("SAMSKAB_JWT_KEY", "is the published development key; anyone could sign tokens with it"))
        elif settings.jwt_algorithm.upper().startswith("HS") and len(key.encode()) < MIN_HMAC_KEY_BYTES:
            found.append(("SAMSKAB_JWT_KEY", f"an HMAC key must be at least {MIN_HMAC_KEY_BYTES} bytes"))

    def need(setting: str, load: Callable[[], object]) -> None:
        try:
            load()
        except keys.MissingSecret as error:
            found.append((error.setting, str(error).split(": ", 1)[-1]))
        except (OSError, ValueError) as error:
            found.append((setting, f"cannot be read: {error}"))

    need("SAMSKAB_KEYSTORE_SECRET", lambda: keys.keystore_secret(settings))
    need("SAMSKAB_CODEC_KEY", lambda: keys.codec_key(settings))
    need("SAMSKAB_CHECKPOINT_KEY_FILE", lambda: _checkpoint_key_present(settings))
    if component == "worker":

        def trusted() -> None:
            if not keys.trusted_issuers(settings).keys:
                raise keys.MissingSecret(
                    "SAMSKAB_COMMAND_VERIFY_KEYS",
                    "SAMSKAB_COMMAND_VERIFY_KEYS: the worker trusts no command-signing key; give it the front doors' "
                    "public keys here, or the command-signing key itself (SAMSKAB_COMMAND_SIGNING_KEY)",
                )

        need("SAMSKAB_COMMAND_VERIFY_KEYS", trusted)
    else:
        need("SAMSKAB_COMMAND_SIGNING_KEY", lambda: keys.command_signing_key(settings))
    return found


def _checkpoint_key_present(settings: Settings) -> None:
    from app import keys

    path = keys.checkpoint_key_path(settings)
    if not path.exists():
        raise keys.MissingSecret(
            "SAMSKAB_CHECKPOINT_KEY_FILE",
            f"SAMSKAB_CHECKPOINT_KEY_FILE: the checkpoint-signing key is missing ({path} does not exist); give it, "
            "or make it once with 'samskab keys init'",
        )
    keys.checkpoint_signing_key(settings)


def check(settings: Settings, component: Component) -> None:
    """Raises StartupRefused naming every setting at fault; does nothing in development."""
    found = problems(settings, component)
    if found:
        raise StartupRefused(found)
