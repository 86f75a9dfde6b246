"""Production refuses defaults (issue 18, finding 2), written as the attacks and
the mistakes: the API, the worker and the CLI started against a real Temporal
address without each secret, or with the published JWT key, refuse and name
the setting; nothing makes a secret behind the operator's back."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt
import pytest
from typer.testing import CliRunner

from app.api import create_app
from app.keys import MissingSecret, init_secrets, keystore_secret, keystore_secret_path
from app.settings import DEFAULT_JWT_KEY, Settings
from app.startup_checks import StartupRefused, check
from app.tokens import AUDIENCE

PRODUCTION_TEMPORAL = "temporal.kommune.example:7233"
STRONG_JWT_KEY = base64.b64encode(os.urandom(48)).decode()
REPO = Path(__file__).resolve().parents[2]


def production(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        temporal_address=PRODUCTION_TEMPORAL,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'eventlog.db'}",
        jwt_key=STRONG_JWT_KEY,
    )
    values.update(overrides)
    return Settings(**values)


def with_every_secret(tmp_path: Path, **overrides: Any) -> Settings:
    made = init_secrets(Settings(data_dir=tmp_path))  # as 'samskab keys init' does
    assert len(made) == 4
    return production(tmp_path, **overrides)


def upgraded_schema(settings: Settings) -> None:
    from eventlog.engines import make_engines
    from eventlog.migrations import upgrade

    engines = make_engines(settings.database_url)
    try:
        upgrade(engines.write)
    finally:
        engines.dispose()


def settings_named(refused: StartupRefused) -> set[str]:
    return {setting for setting, _ in refused.problems}


@pytest.mark.parametrize("component", ["api", "worker", "cli"])
def test_the_published_jwt_key_is_refused_in_production(tmp_path, component):
    settings = with_every_secret(tmp_path, jwt_key=DEFAULT_JWT_KEY)

    with pytest.raises(StartupRefused) as refused:
        check(settings, component)

    assert settings_named(refused.value) == {"SAMSKAB_JWT_KEY"}


@pytest.mark.parametrize("jwt_key", ["", "   ", "short-secret"])
def test_an_empty_or_short_hmac_jwt_key_is_refused_in_production(tmp_path, jwt_key):
    with pytest.raises(StartupRefused) as refused:
        check(with_every_secret(tmp_path, jwt_key=jwt_key), "api")
    assert settings_named(refused.value) == {"SAMSKAB_JWT_KEY"}


def test_samskab_env_production_refuses_even_with_the_embedded_server(tmp_path):
    settings = with_every_secret(tmp_path, temporal_address="", env="production", jwt_key=DEFAULT_JWT_KEY)
    with pytest.raises(StartupRefused):
        check(settings, "api")


SECRET_FILES = {
    "SAMSKAB_KEYSTORE_SECRET": "keystore.secret",
    "SAMSKAB_CODEC_KEY": "codec.key",
    "SAMSKAB_CHECKPOINT_KEY_FILE": "checkpoint-signing.pem",
    "SAMSKAB_COMMAND_SIGNING_KEY": "command-signing.pem",
}


@pytest.mark.parametrize("setting", sorted(SECRET_FILES))
@pytest.mark.parametrize("component", ["api", "cli"])
def test_each_missing_secret_is_refused_by_name_and_never_made(tmp_path, setting, component):
    settings = with_every_secret(tmp_path)
    missing = tmp_path / "secrets" / SECRET_FILES[setting]
    missing.unlink()

    with pytest.raises(StartupRefused) as refused:
        check(settings, component)

    assert settings_named(refused.value) == {setting}
    assert setting in str(refused.value)
    assert not missing.exists()  # refused, not quietly made


def test_a_worker_without_the_key_store_secret_refuses_instead_of_making_a_second_one(tmp_path):
    settings = with_every_secret(tmp_path)
    keystore_secret_path(settings).unlink()

    with pytest.raises(StartupRefused) as refused:
        check(settings, "worker")
    with pytest.raises(MissingSecret):
        keystore_secret(settings)  # the loader itself refuses too, whoever calls it

    assert "SAMSKAB_KEYSTORE_SECRET" in settings_named(refused.value)
    assert not keystore_secret_path(settings).exists()


def test_a_worker_that_trusts_no_command_signing_key_refuses(tmp_path):
    settings = with_every_secret(tmp_path)
    (tmp_path / "secrets" / "command-signing.pem").unlink()

    with pytest.raises(StartupRefused) as refused:
        check(settings, "worker")

    assert settings_named(refused.value) == {"SAMSKAB_COMMAND_VERIFY_KEYS"}
    from app.keys import command_signing_key
    from workflows.issuers import public_key_text

    other = command_signing_key(Settings(data_dir=tmp_path / "api"))
    check(
        production(tmp_path, command_verify_keys=public_key_text(other.public_key())), "worker"
    )  # the API's key: fine


def test_the_api_app_itself_refuses_to_be_built_on_the_default_key(tmp_path):
    with pytest.raises(StartupRefused, match="SAMSKAB_JWT_KEY"):
        create_app(with_every_secret(tmp_path, jwt_key=DEFAULT_JWT_KEY))


def test_a_token_forged_with_the_published_key_is_refused_by_a_production_api(tmp_path):
    """The attack of finding 2: sign a token with the key in the source; the API started
    with its own key answers 401."""
    from fastapi.testclient import TestClient

    settings = with_every_secret(tmp_path)
    upgraded_schema(settings)  # production start-up does no DDL: the owner ran 'samskab db upgrade'
    forged = jwt.encode(
        {
            "sub": "anyone",
            "role": "auditor",
            "municipality": settings.municipality,
            "aud": AUDIENCE,
            "exp": 4_102_444_800,
        },
        DEFAULT_JWT_KEY,
        algorithm="HS256",
    )
    with TestClient(create_app(settings)) as http:
        answer = http.get("/audit/verify", headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401


def test_the_cli_refuses_in_production_naming_the_setting(tmp_path, monkeypatch):
    from app import settings as settings_module
    from app.cli import app

    monkeypatch.setenv("SAMSKAB_TEMPORAL_ADDRESS", PRODUCTION_TEMPORAL)
    monkeypatch.setenv("SAMSKAB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SAMSKAB_DATABASE_URL", f"sqlite:///{tmp_path / 'eventlog.db'}")
    settings_module.get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["audit", "verify"])
    finally:
        settings_module.get_settings.cache_clear()

    assert result.exit_code == 2
    assert "SAMSKAB_JWT_KEY" in result.output and "SAMSKAB_KEYSTORE_SECRET" in result.output
    assert not (tmp_path / "secrets").exists()


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SAMSKAB_")}
    environment.update(
        SAMSKAB_DATA_DIR=str(tmp_path),
        SAMSKAB_DATABASE_URL=f"sqlite:///{tmp_path / 'eventlog.db'}",
        SAMSKAB_TEMPORAL_ADDRESS=PRODUCTION_TEMPORAL,
        SAMSKAB_API_PORT="1",  # never reached: start-up is refused first
        **env,
    )
    return subprocess.run(
        [sys.executable, *args], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120
    )


def test_samskab_serve_and_the_worker_as_processes_refuse_without_secrets(tmp_path):
    """What a new operator does: start the API and a worker against a real Temporal, no secrets."""
    serve = _run(["-m", "app", "serve"], tmp_path)
    work = _run([str(REPO / "worker.py")], tmp_path, SAMSKAB_JWT_KEY=STRONG_JWT_KEY)

    assert serve.returncode != 0 and "SAMSKAB_JWT_KEY" in serve.stderr + serve.stdout
    assert work.returncode != 0 and "SAMSKAB_KEYSTORE_SECRET" in work.stderr
    assert not (tmp_path / "secrets").exists()


def test_keys_init_makes_the_missing_secrets_once_and_never_replaces_one(tmp_path):
    settings = Settings(data_dir=tmp_path)
    first = init_secrets(settings)
    secret = keystore_secret_path(settings).read_bytes()

    again = init_secrets(settings)

    assert len(first) == 4 and again == []
    assert keystore_secret_path(settings).read_bytes() == secret
    assert oct(keystore_secret_path(settings).stat().st_mode & 0o777) == "0o600"
