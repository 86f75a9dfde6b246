"""Settings from the environment (prefix ``SAMSKAB_``) or a ``.env`` file.

Nested values use a double underscore, e.g. ``SAMSKAB_DEADLINES__VISITATION=PT2M``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.case.deadlines import PhaseDeadlines
from domain.retention import RetentionPolicy

DEFAULT_DATA_DIR = Path(".data")
#: The published development key for bearer tokens: refused outside development (``app.startup_checks``).
DEFAULT_JWT_KEY = "samskab-development-key-not-for-production-use"


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
    env: Literal["development", "production"] = Field(
        default="development",
        description="production: refuse to start on a default or missing secret (also whenever "
        "SAMSKAB_TEMPORAL_ADDRESS names a server other than the embedded dev server)",
    )
    temporal_namespace: str = "default"
    temporal_profile: str = Field(
        default="",
        description="A profile of Temporal's own client configuration (temporalio.envconfig: a TOML file "
        "and TEMPORAL_* variables) to connect with: address, namespace, TLS, API key; samskab's settings override it",
    )
    temporal_config_file: Path | None = Field(
        default=None, description="The TOML file of temporal_profile (default: Temporal's)"
    )
    temporal_tls: bool = Field(default=False, description="Connect to Temporal over TLS (implied by the files below)")
    temporal_tls_ca_file: Path | None = Field(
        default=None, description="PEM of the CA that signed Temporal's certificate"
    )
    temporal_tls_cert_file: Path | None = Field(
        default=None, description="mTLS: this process's client certificate (PEM)"
    )
    temporal_tls_key_file: Path | None = Field(
        default=None, description="mTLS: the client certificate's private key (PEM)"
    )
    temporal_tls_server_name: str = Field(default="", description="The name Temporal's certificate is checked against")
    temporal_api_key: str = Field(default="", description="API key for Temporal (e.g. Temporal Cloud); implies TLS")
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
    worker_max_concurrent_workflow_tasks: int = Field(
        default=100,
        ge=2,
        description="Workflow tasks (a command, a timer that fired) one worker runs at once; the SDK's 100. Measured "
        "(python -m bench --only bursts, docs/benchmarks.md): one worker's Python thread is the limit, not this; at 10 "
        "200 commands at once took longer (p99 5.4 s against 4.4 s) and people's commands during a timer burst fared "
        "worse (1.6x against 1.1x). For more commands at once run more workers",
    )
    worker_max_concurrent_activities: int = Field(
        default=16,
        ge=1,
        description="Activities (letters, the KL gateway) one worker runs at once: as many as its activity threads, "
        "so a started activity does not wait for a thread while its timeout runs",
    )
    worker_max_concurrent_local_activities: int = Field(
        default=16,
        ge=1,
        description="Local activities (each event a case records) one worker runs at once: as many as its activity "
        "threads; more only queue for a thread and for the event log's write lock",
    )
    worker_activity_threads: int = Field(
        default=16,
        ge=1,
        description="Threads that run the worker's activities and local activities (database writes)",
    )
    worker_sticky_schedule_to_start_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="How long a case's next task waits for the worker that has it cached before any worker may take "
        "it (and replay it); Temporal's 10 s default. Measured (python -m bench --only bursts, 11e): after a killed "
        "worker, 2 s halved the p99 of 200 commands on 150 cases and helped less on 2,000, where the burst's own "
        "queue is nearly as long; a short one makes a busy live worker's cases replay. Lower it when workers are killed "
        "more often than they are busy",
    )

    @model_validator(mode="after")
    def _slots_have_threads(self) -> Settings:
        """An activity slot without a thread would start the activity's timeout while it waits for one."""
        for name in ("worker_max_concurrent_activities", "worker_max_concurrent_local_activities"):
            if getattr(self, name) > self.worker_activity_threads:
                raise ValueError(
                    f"{name} ({getattr(self, name)}) must not exceed worker_activity_threads ({self.worker_activity_threads})"
                )
        return self

    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"
    deadlines: PhaseDeadlines = Field(default_factory=PhaseDeadlines)
    deadline_spread: timedelta = Field(
        default=timedelta(minutes=5),
        ge=timedelta(0),
        le=timedelta(minutes=10),
        description="A case's deadline timers (phase, processing, hearing, follow-up, invitations, check-ins, its "
        "appeals' windows) fire up to this long after their moment, by a share fixed per case, so deadlines that pass "
        "together (cases opened in the same batch, or on the same day) do not wake all their cases at once and hold "
        "back people's commands; what is recorded carries the real due time. Set for cases opened from now on. "
        "Measured (python -m bench --only bursts, 11b): 500 deadlines at once over 30 s held people's commands "
        "back 12.5x, over 5 min 1.6x",
    )
    retention: RetentionPolicy = Field(
        default_factory=RetentionPolicy,
        description="Years a closed case is kept before erasure, per kind of case (domain/retention.py)",
    )
    actor_id: str = Field(default="", description="Who you are when you use the CLI (a person id)")
    actor_role: str = Field(default="caseworker", description="Your role when you use the CLI")
    allow_local_admin: bool = Field(
        default=False,
        description="Allow the CLI's --local-admin (no token) in production; every read in that mode is logged as local_admin",
    )
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
    command_signing_key: str = Field(
        default="",
        description="base64 of the 32-byte Ed25519 private key that signs the commands this front door "
        "sends (API, CLI); empty: command_signing_key_file",
    )
    command_signing_key_file: Path | None = Field(
        default=None, description="PEM file of the command-signing key; default DATA_DIR/secrets/command-signing.pem"
    )
    command_verify_keys: str = Field(
        default="",
        description="comma-separated public keys (base64 of 32 raw bytes) of the front doors whose "
        "commands a worker accepts, besides its own command-signing key's",
    )
    command_max_age: timedelta = Field(
        default=timedelta(minutes=5), description="how long a signed command stays valid (ISO 8601 duration or seconds)"
    )
    people_directory: Path | None = Field(
        default=None,
        description="JSON file: person id -> {name, unit}, for the pages to show staff by name; empty: the bundled demo directory",
    )
    municipality: str = Field(default="0101", description="The municipality this installation serves (kommunekode)")
    jwt_key: str = Field(
        default=DEFAULT_JWT_KEY,
        description="The key bearer tokens are verified with: an HMAC secret (HS256) or a PEM public key (RS256/ES256)",
    )
    jwt_algorithm: str = Field(default="HS256", description="HS256, RS256 or ES256")
    jwks_url: str = Field(
        default="",
        description="The identity provider's JWKS URL (OIDC: jwks_uri); set, bearer tokens are verified "
        "against its keys (RS256/ES256/PS256), with jwt_issuer and jwt_audience checked, instead of SAMSKAB_JWT_KEY",
    )
    jwt_issuer: str = Field(default="", description="The 'iss' every token must carry (required with SAMSKAB_JWKS_URL)")
    jwt_audience: str = Field(default="samskab", description="The 'aud' every token must carry")
    jwt_role_claim: str = Field(default="role", description="The claim that holds the samskab role (Entra ID: 'roles')")
    jwt_signing_key: str = Field(
        default="", description="Private key for 'samskab dev token' when the algorithm is not HMAC"
    )
    max_body_bytes: int = Field(
        default=1_000_000, ge=1_000, description="Largest request body the API reads; larger is a 413"
    )
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    otlp_endpoint: str = Field(
        default="",
        description="OpenTelemetry: send traces over OTLP/HTTP to this collector (e.g. http://otel:4318); "
        "empty: OTEL_EXPORTER_OTLP_ENDPOINT, and without it tracing is off (needs samskab[otel])",
    )
    codec_server_host: str = Field(default="127.0.0.1", description="Interface 'samskab codec-server' listens on")
    codec_server_port: int = Field(default=8081, description="Port of 'samskab codec-server'")
    codec_cors_origin: str = Field(
        default="",
        description="The Temporal Web UI's origin (e.g. https://temporal.kommune.dk) the codec server "
        "answers CORS for; empty: no browser may call it",
    )
    api_read_threads: int = Field(
        default=4,
        ge=1,
        description="Threads that serve the API's case reads at once; more only contend for the interpreter lock",
    )
    api_workers: int = Field(
        default_factory=_usable_cpus,
        ge=1,
        description="API processes serving requests (one Python process uses one core at most)",
    )
    worker_metrics_address: str = Field(
        default="", description="host:port where the worker serves Temporal's Prometheus metrics; empty: off"
    )
    temporal_call_seconds: float = Field(
        default=1.5,
        gt=0,
        le=60,
        description="How long the API and the CLI try to reach a Temporal that does not answer (connecting, and "
        "retrying a call) before they give up: the API then answers 503 with Retry-After",
    )
    retry_after_seconds: int = Field(
        default=5, ge=1, description="The Retry-After of a 503 (Temporal or the database down)"
    )
    readiness_timeout_seconds: float = Field(
        default=1.0, gt=0, le=30, description="How long /readyz waits for each dependency (database, Temporal)"
    )
    max_projector_lag: int = Field(
        default=1000,
        ge=0,
        description="/readyz fails when the read models are more than this many events behind the event log",
    )

    @property
    def embedded(self) -> bool:
        return not self.temporal_address

    @property
    def production(self) -> bool:
        """Whether defaults and missing secrets are refused: ``SAMSKAB_ENV=production``, or any
        Temporal but the embedded dev server."""
        return self.env == "production" or not self.embedded

    @property
    def effective_temporal_address(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.dev_server_port}"


@cache
def get_settings() -> Settings:
    return Settings()
