"""Who you are on the command line, proven the way the API proves it.

A CLI command acts or reads as the person a bearer token names (``--token`` or
``SAMSKAB_TOKEN``), verified by the same ``TokenVerifier`` as the API (the
configured key, or the identity provider's JWKS). ``samskab dev token`` issues
one on a development installation.

The one exception is the operator at the machine: ``--local-admin`` (with
``--as ROLE:PERSON_ID``, or SAMSKAB_ACTOR_ROLE / SAMSKAB_ACTOR_ID) trusts the
name typed, because whoever runs the CLI there can read the database anyway.
It is refused in production unless SAMSKAB_ALLOW_LOCAL_ADMIN is set, and every
read in that mode is logged with the role ``local_admin``, so a citizen sees
that nobody proved who read their case.

Every read of a case goes through ``authorize_read``: the permission matrix
(``domain.access.may``) decides, a refusal is logged, and an allowed read is
logged with its purpose before anything is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import typer

from app.settings import Settings
from app.terminal import err
from domain.access import Action, Decision, Subject, may
from domain.messages import Role

AsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="With --local-admin only: who you act as, ROLE:PERSON_ID (default: SAMSKAB_ACTOR_ROLE / SAMSKAB_ACTOR_ID)",
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="SAMSKAB_TOKEN",
        show_envvar=True,
        help="Your bearer token (as for the API); 'samskab dev token' issues one for development",
    ),
]
LocalAdminOption = Annotated[
    bool,
    typer.Option(
        "--local-admin",
        help="Act as the operator at this machine, without a token (refused in production "
        "unless SAMSKAB_ALLOW_LOCAL_ADMIN=true); every read is logged with the role local_admin",
    ),
]

#: The role the access log records for a read made in local administrator mode.
LOCAL_ADMIN_ROLE = "local_admin"


def _refuse(message: str, rule: str, field: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/bold red] {message} [dim](field: {field}, rule: {rule})[/dim]")
    return typer.Exit(code)


@dataclass(frozen=True, slots=True)
class Caller:
    """The person at the command line, and how we know."""

    who: Subject
    local_admin: bool = False

    @property
    def actor(self) -> dict[str, str]:
        return {"id": self.who.person_id, "role": self.who.role.value}

    @property
    def logged_role(self) -> str:
        return LOCAL_ADMIN_ROLE if self.local_admin else self.who.role.value

    def logged_what(self, what: str) -> str:
        if not self.local_admin:
            return what
        return f"{what} [local-admin as {self.who.role.value}:{self.who.person_id}]"


def authenticate(
    token: str | None, as_: str | None, local_admin: bool, settings: Settings, example: str = "caseworker:anne"
) -> Caller:
    """The caller a token proves, or the operator in local administrator mode; exits with code 2 otherwise."""
    if token:
        if as_ or local_admin:
            raise _refuse(
                "a token says who you are: leave out --as and --local-admin", "access.token_or_local_admin", "--as"
            )
        from app.tokens import InvalidToken, TokenVerifier

        try:
            who = TokenVerifier(settings, ttl_seconds=0)(token.strip())
        except InvalidToken as error:
            raise _refuse(f"your token is refused: {error}", "access.token_invalid", "--token") from None
        return Caller(who)
    if not local_admin:
        hint = f" (and --as {example})" if as_ else ""
        raise _refuse(
            "say who you are with a token: --token or SAMSKAB_TOKEN (on a development installation: "
            f"samskab dev token --role ROLE --user ID), or act as the operator at this machine with --local-admin{hint}",
            "access.actor_required",
            "--token",
        )
    if settings.production and not settings.allow_local_admin:
        raise _refuse(
            "--local-admin is refused in production: use a token from the identity provider "
            "(or set SAMSKAB_ALLOW_LOCAL_ADMIN=true, which every read then records)",
            "access.local_admin_refused",
            "--local-admin",
        )
    if as_:
        role_text, _, person = as_.partition(":")
    else:
        role_text, person = settings.actor_role, settings.actor_id
    if not person or not role_text:
        raise _refuse(
            f"say who you act as: --as {example} (or set SAMSKAB_ACTOR_ID and SAMSKAB_ACTOR_ROLE)",
            "access.actor_required",
            "--as",
        )
    try:
        role = Role(role_text)
    except ValueError:
        raise _refuse(f"{role_text!r} is not a role samskab knows", "access.role_unknown", "--as") from None
    if role is Role.SYSTEM:
        raise _refuse("no person acts as the system", "access.role_unknown", "--as")
    return Caller(Subject(person_id=person, role=role, municipality=settings.municipality), local_admin=True)


def case_state(store, case_id: str, settings: Settings):
    """The case as the event log holds it now (None: no such case), for the permission matrix."""
    from activities import readmodels
    from app.keys import open_key_store
    from eventlog import EventLogError

    stored = store.read_stream(case_id)
    if not stored or stored[0].event_type != "need_registered":
        return None
    keys = open_key_store(store, settings)
    try:
        return readmodels.fold_case(readmodels.to_domain_event(s, keys) for s in stored)
    except (
        EventLogError
    ) as error:  # a key that does not unwrap (another secret, a changed key row): say so, no traceback
        raise _refuse(f"case {case_id}: {error}", "crypto.decrypt", "payload", code=1) from None


def _now_for(state) -> datetime:
    now = datetime.now(UTC)
    seen = [state.phase_since] if state is not None and state.phase_since else []
    if state is not None:
        seen += [c.revoked_at for c in state.consents.values() if c.revoked_at]
    return max([now, *seen])


def authorize_read(
    store,
    caller: Caller,
    action: Action,
    case_id: str | None,
    purpose: str | None,
    what: str,
    settings: Settings,
    *,
    state=None,
) -> Decision:
    """Decide the read with the permission matrix and log it (refused or allowed) before anything is shown.

    A refused read exits with code 3 and is logged as ``refused:<action>``; an
    allowed one needs a purpose and is logged with it."""
    from eventlog.access_log import AccessLog

    if state is None and case_id is not None:
        state = case_state(store, case_id, settings)
    decision = may(caller.who, action, state=state, at=_now_for(state), municipality=settings.municipality)
    log = AccessLog(store.engines)
    if not decision:
        log.record(
            actor_id=caller.who.person_id,
            actor_role=caller.logged_role,
            stream_id=case_id,
            what=caller.logged_what(f"refused:{action.value} ({what})")[:200],
            purpose=decision.reason[:200],
        )
        raise _refuse(f"refused: {decision.reason}", "access.denied", "--token", code=3)
    if purpose is None or not purpose.strip():
        raise _refuse(
            "say why you read this: --purpose, e.g. 'klagesag 2024-113'", "access.purpose_required", "--purpose"
        )
    try:
        log.record(
            actor_id=caller.who.person_id,
            actor_role=caller.logged_role,
            stream_id=case_id,
            what=caller.logged_what(what)[:200],
            purpose=purpose,
        )
    except ValueError as error:
        raise _refuse(str(error), "access.record_required", "--purpose") from None
    return decision
