"""``samskab audit``'s refusals, one per rule code: given a log (and a file), when a command, then
the exit code and the error naming the field and the rule ("(field: --since, rule: tree_head.invalid)").

Each is reached as an auditor or administrator uses the CLI: real commands on a real SQLite log."""

from __future__ import annotations

import base64
import os
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from activities.eventlog import open_event_store, to_new_event
from activities.messages import RecordedEvent
from app.keys import checkpoint_signing_key, open_key_store
from app.settings import Settings, get_settings
from domain.case.need import Need, NeedRegistered, ReportedBy
from domain.citizen import Citizen
from eventlog.checkpoints import load_or_create_signing_key, sign_checkpoint, write_checkpoint
from eventlog.tree_heads import sign_current, write_tree_head
from tests.eventlog.test_audit_cli import CW, as_, case, cli  # noqa: F401 - the fixtures: a log with one closed case

AUDITOR = as_("auditor", "ida")
ADMIN = as_("administrator", "ole")


def refused(result, rule: str, field: str | None = None, code: int = 1) -> None:
    """The command failed with ``code`` and an error naming the rule (and the field)."""
    assert result.exit_code == code, result.output
    named = f"(field: {field}, rule: {rule})" if field else f"rule: {rule})"
    assert named in " ".join(result.output.split()), result.output


def break_the_log(tmp_path: Path) -> None:
    """What an attacker with the database owner's rights does: remove the log's head row."""
    conn = sqlite3.connect(tmp_path / "eventlog.db")
    conn.execute("DROP TRIGGER log_head_no_delete")
    conn.execute("DELETE FROM log_head")
    conn.commit()
    conn.close()


def other_key(tmp_path: Path):
    return load_or_create_signing_key(tmp_path / "elsewhere" / "checkpoint.pem")


# -- reading a case ------------------------------------------------------------------


def test_case_unknown(cli, case):  # noqa: F811
    """Proofs and an export name the unknown case (a read of one is refused by the matrix: no such case)."""
    refused(cli("prove", "K-404", *AUDITOR, "--purpose", "revision"), "case.unknown", "case_id")
    refused(cli("export", "K-404", "--out", "x.jsonl", *AUDITOR, "--purpose", "revision"), "case.unknown", "case_id")


def test_crypto_decrypt(cli, case, monkeypatch):  # noqa: F811
    """The key store opened with another secret than the citizen's key was wrapped with:
    every read that decrypts the case says so (no traceback), and shows nothing."""
    monkeypatch.setenv("SAMSKAB_KEYSTORE_SECRET", base64.b64encode(os.urandom(32)).decode())
    get_settings.cache_clear()
    for command in ("events", "trail", "access"):
        result = cli(command, case, *AUDITOR, "--purpose", "revision")
        refused(result, "crypto.decrypt", "payload")
        assert "Jonas" not in result.output


# -- signing and verifying -----------------------------------------------------------


def test_checkpoint_broken_log(cli, case, tmp_path):  # noqa: F811
    break_the_log(tmp_path)
    refused(cli("checkpoint", "--out", str(tmp_path / "head.json")), "checkpoint.broken_log")
    assert not (tmp_path / "head.json").exists()


def test_verify_no_log(cli, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SAMSKAB_DATABASE_URL", f"sqlite:///{tmp_path / 'no-such-dir' / 'eventlog.db'}")
    get_settings.cache_clear()
    refused(cli("verify"), "verify.no_log", "SAMSKAB_DATABASE_URL", code=2)


def test_tree_head_invalid(cli, case, tmp_path):  # noqa: F811
    refused(cli("verify", "--checkpoint", str(tmp_path / "missing.json")), "tree_head.invalid", "--checkpoint", code=2)
    not_json = tmp_path / "head.json"
    not_json.write_text("not json")
    refused(cli("verify", "--checkpoint", str(not_json)), "tree_head.invalid", "--checkpoint", code=2)
    refused(cli("verify", "--since", str(not_json)), "tree_head.invalid", "--since", code=2)


def test_tree_head_untrusted(cli, case, tmp_path):  # noqa: F811
    head = tmp_path / "head.json"
    write_checkpoint(sign_checkpoint(other_key(tmp_path), 1, "0" * 64), head)
    # no key of this installation's yet, and none given
    refused(cli("verify", "--checkpoint", str(head)), "tree_head.untrusted", "--public-key", code=2)
    not_a_key = tmp_path / "key.pub"
    not_a_key.write_text("not a key")
    refused(
        cli("verify", "--checkpoint", str(head), "--public-key", str(not_a_key)),
        "tree_head.untrusted",
        "--public-key",
        code=2,
    )
    refused(
        cli("verify-export", str(head), "--public-key", str(not_a_key)), "tree_head.untrusted", "--public-key", code=2
    )


def test_tree_head_signature(cli, case, tmp_path):  # noqa: F811
    """A checkpoint signed by a key other than the trusted one."""
    assert cli("checkpoint", "--out", str(tmp_path / "ours.json")).exit_code == 0  # this installation has its key
    forged = tmp_path / "forged.json"
    write_checkpoint(sign_checkpoint(other_key(tmp_path), 1, "0" * 64), forged)
    refused(cli("verify", "--checkpoint", str(forged)), "tree_head.signature", "--checkpoint")


def test_tree_head_disagree(cli, case, tmp_path):  # noqa: F811
    """Two checkpoints, both signed with the trusted key, that disagree about the hash at one position."""
    settings = get_settings()
    key = checkpoint_signing_key(settings, create=True)
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    write_checkpoint(sign_checkpoint(key, 1, "a" * 64), first)
    write_checkpoint(sign_checkpoint(key, 1, "b" * 64), second)
    refused(
        cli("verify", "--checkpoint", str(first), "--checkpoint", str(second)), "tree_head.disagree", "--checkpoint"
    )


def test_tree_head_other_log(cli, case, tmp_path):  # noqa: F811
    """A head signed with the trusted key, but of another log: this one did not grow from it."""
    key = checkpoint_signing_key(get_settings(), create=True)
    other = Settings(data_dir=tmp_path / "other", database_url=f"sqlite:///{tmp_path / 'other.db'}")
    store = open_event_store(other.database_url)
    keys = open_key_store(store, other)
    for n in range(3):
        case_id = f"O-{n}"
        event = NeedRegistered(occurred_at=datetime.now(UTC), actor=CW, case_id=case_id, citizen=Citizen(cpr="0101901234", name="Anna"),
                               need=Need(description="Et andet behov", reported_by=ReportedBy.CASEWORKER))  # fmt: skip
        store.append(case_id, 0, [to_new_event(RecordedEvent(event_id=str(uuid.uuid4()), event=event), keys, case_id)])
    head, _ = sign_current(store, key)
    assert head is not None  # the log verifies, so a head is signed
    store.dispose()
    since = write_tree_head(head, tmp_path / "other-head.json")
    refused(cli("verify", "--since", str(since)), "tree_head.other_log", "--since")


# -- export and proofs ---------------------------------------------------------------


def test_export_scope(cli, case, tmp_path):  # noqa: F811
    out = str(tmp_path / "out.jsonl")
    refused(cli("export", "--out", out, *AUDITOR, "--purpose", "revision"), "export.scope", "case_id", code=2)
    refused(
        cli("export", case, "--all", "--out", out, *AUDITOR, "--purpose", "revision"), "export.scope", "case_id", code=2
    )


def test_export_and_prove_refused_for_a_log_that_does_not_verify(cli, case, tmp_path):  # noqa: F811
    break_the_log(tmp_path)
    out = tmp_path / "out.jsonl"
    refused(cli("export", case, "--out", str(out), *AUDITOR, "--purpose", "revision"), "export.refused")
    refused(cli("prove", case, "--out", str(out), *AUDITOR, "--purpose", "revision"), "prove.refused")
    assert not out.exists()


# -- erasure -------------------------------------------------------------------------


def test_erasure_basis_required(cli, case):  # noqa: F811
    refused(cli("erase", "041298-1234", "--basis", "  ", *ADMIN), "erasure.basis_required", "--basis")


def test_erasure_unknown_citizen(cli, case):  # noqa: F811
    refused(cli("erase", "010190-1234", "--basis", "GDPR art. 17(1)(a)", *ADMIN), "erasure.unknown_citizen", "citizen")
    refused(cli("erase", "K-404", "--basis", "GDPR art. 17(1)(a)", *ADMIN), "erasure.unknown_citizen", "citizen")


def test_erasure_failed(cli, case, monkeypatch):  # noqa: F811
    """A basis longer than the key store keeps: the erasure fails, naming the basis."""
    monkeypatch.setenv(
        "SAMSKAB_RETENTION", '{"by_kind": {"social_service": {"years": 0, "source": "testens kassationsplan"}}}'
    )
    get_settings.cache_clear()
    refused(
        cli("erase", "041298-1234", "--basis", "GDPR art. 17(1)(a) " + "x" * 2000, *ADMIN), "erasure.failed", "--basis"
    )


@pytest.fixture(autouse=True)
def _fresh_settings():
    yield
    get_settings.cache_clear()


def test_a_read_of_an_unknown_case_is_refused_by_the_matrix(cli, case):  # noqa: F811
    """``trail`` and ``events`` decide the read on the case first: an unknown one is no such case."""
    for command in ("trail", "events"):
        result = cli(command, "K-404", *AUDITOR, "--purpose", "revision")
        refused(result, "access.denied", "--token", code=3)
        assert "no such case" in result.output


# -- who is at the command line (app/identity.py, for every CLI that reads) ---------------


def test_access_token_or_local_admin(cli, case):  # noqa: F811
    refused(
        cli("trail", case, *AUDITOR, "--local-admin", "--purpose", "revision"),
        "access.token_or_local_admin",
        "--as",
        code=2,
    )


def test_access_role_unknown(cli, case):  # noqa: F811
    for who in ("revisor:ida", "system:samskab"):
        refused(
            cli("trail", case, "--local-admin", "--as", who, "--purpose", "revision"),
            "access.role_unknown",
            "--as",
            code=2,
        )


def test_access_record_required(cli, case):  # noqa: F811
    """A purpose longer than the access log keeps: the read is not made, since it cannot be recorded."""
    result = cli("events", case, *AUDITOR, "--purpose", "revision " * 200)
    refused(result, "access.record_required", "--purpose", code=2)
    assert "Jonas" not in result.output


def test_access_local_admin_refused(cli, case, tmp_path, monkeypatch):  # noqa: F811
    """In production the operator at the machine shows a token too (unless the installation allows local admin)."""
    from app.keys import init_secrets

    init_secrets(Settings(data_dir=tmp_path))  # a production installation has its secrets ('samskab keys init')
    monkeypatch.setenv("SAMSKAB_ENV", "production")
    monkeypatch.setenv("SAMSKAB_JWT_KEY", "p" * 64)
    get_settings.cache_clear()
    refused(cli("trail", case, "--local-admin", "--as", "auditor:ida", "--purpose", "revision"), "access.local_admin_refused",
            "--local-admin", code=2)  # fmt: skip
