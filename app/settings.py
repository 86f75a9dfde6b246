"""Settings from the environment (prefix ``SAMSKAB_``) or a ``.env`` file.

Nested values use a double underscore, e.g. ``SAMSKAB_DEADLINES__VISITATION=PT2M``.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.deadlines import PhaseDeadlines

DEFAULT_DATA_DIR = Path(".data")


def _usable_cpus() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # no sched_getaffinity on this platform
        return os.cpu_count() or 1


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SAMSKAB_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    temporal_address: str = Field(
        default="",
        description="host:port of a Temporal frontend; empty: the embedded dev server on this machine",
    )
    temporal_namespace: str = "default"
    task_queue: str = "samskab-cases"
    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_DATA_DIR / 'eventlog.db'}",
        description="SQLAlchemy URL of the event log (sqlite:///FILE or postgresql+psycopg://...)",
    )
    data_dir: Path = DEFAULT_DATA_DIR
    dev_server_port: int = 7233
    dev_ui_port: int = 8233
    projections_in_worker: bool = Field(
        default=True,
        description="The worker keeps the read models up to date in a thread of its own; false when "
        "'samskab projections run' does it in a process of its own",
    )
    worker_max_cached_workflows: int = Field(
        default=500,
        ge=0,
        description="Cases a worker keeps in memory between commands; the rest replay from history on their next "
        "command. Bounds the worker's memory however many cases wait for a person.",
    )
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"
    deadlines: PhaseDeadlines = Field(default_factory=PhaseDeadlines)
    actor_id: str = Field(default="", description="Who you are when you use the CLI (a person id)")
    actor_role: str = Field(default="caseworker", description="Your role when you use the CLI")
    # Secrets (see docs/audit.md: each must be backed up, apart from the database).
    keystore_secret: str = Field(
        default="",
        description="base64 of >= 32 random bytes that wrap citizens' keys; empty: keystore_secret_file",
    )
    keystore_secret_file: Path | None = Field(
        default=None, description="file of the key store secret; default DATA_DIR/secrets/keystore.secret"
    )
    checkpoint_key_file: Path | None = Field(
        default=None, description="Ed25519 key that signs checkpoints; default DATA_DIR/secrets/checkpoint-signing.pem"
    )
    codec_key: str = Field(
        default="", description="base64 of the 32-byte AES key of the Temporal payload codec; empty: codec_key_file"
    )
    codec_key_file: Path | None = Field(
        default=None, description="file of the payload codec key; default DATA_DIR/secrets/codec.key"
    )
    people_directory: Path | None = Field(
        default=None,
        description="JSON file: person id -> {name, unit}, for the pages to show staff by name; empty: the bundled demo directory",
    )
    municipality: str = Field(default="0101", description="The municipality this installation serves (kommunekode)")
    jwt_key: str = Field(
        default="samskab-development-key-not-for-production-use",
        description="The key bearer tokens are verified with: an HMAC secret (HS256) or a PEM public key (RS256/ES256)",
    )
    jwt_algorithm: str = Field(default="HS256", description="HS256, RS256 or ES256")
    jwt_signing_key: str = Field(default="", description="Private key for 'samskab dev token' when the algorithm is not HMAC")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_read_threads: int = Field(
        default=4, ge=1,
        description="Threads that serve the API's case reads at once; more only contend for the interpreter lock",
    )
    api_workers: int = Field(
        default_factory=_usable_cpus, ge=1,
        description="API processes serving requests (one Python process uses one core at most)",
    )
    worker_metrics_address: str = Field(
        default="", description="host:port where the worker serves Temporal's Prometheus metrics; empty: off"
    )

    @property
    def embedded(self) -> bool:
        return not self.temporal_address

    @property
    def effective_temporal_address(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.dev_server_port}"


@cache
def get_settings() -> Settings:
    return Settings()
