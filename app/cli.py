"""The ``samskab`` command line: for caseworkers driving cases, auditors
reading the trail, and developers running the embedded stack."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.markup import escape

from activities import readmodels
from activities.eventlog import open_event_store
from app.appeal_cli import appeal_app
from app.audit_cli import PurposeOption, audit_app
from app.cases import CaseClient, CommandRejected, parse_command
from app.db_cli import db_app
from app.forum_cli import forum_app
from app.identity import AsOption, LocalAdminOption, TokenOption, authenticate, authorize_read, case_state
from app.keys import open_key_store
from app.kl_gateway_cli import kl_gateway_command
from app.logging import configure_logging
from app.projections_cli import projections_app
from app.report_cli import report_command
from app.settings import Settings, get_settings
from app.temporal import TemporalUnavailable, connect
from app.terminal import console, err
from app.views import case_panel
from domain.access import Action, may, visible_state
from domain.case.decider import ALLOWED
from domain.citizen import same_cpr
from domain.messages import Role
from domain.phases import Phase

app = typer.Typer(help="samskab: co-created social services as durable, auditable workflows.", no_args_is_help=True)
dev_app = typer.Typer(help="The embedded development stack.", no_args_is_help=True)
case_app = typer.Typer(help="Open cases and act on them.", no_args_is_help=True)
keys_app = typer.Typer(help="The installation's secrets.", no_args_is_help=True)
app.add_typer(dev_app, name="dev")
app.add_typer(keys_app, name="keys")
app.add_typer(case_app, name="case")
app.add_typer(audit_app, name="audit")
app.add_typer(forum_app, name="forum")
app.add_typer(appeal_app, name="appeal")
report_app = typer.Typer(help="Reports from the event log.")
report_app.callback(invoke_without_command=True)(report_command)
report_app.command("kl-gateway")(kl_gateway_command)
app.add_typer(report_app, name="report")
app.add_typer(projections_app, name="projections")
app.add_typer(db_app, name="db")

DataOption = Annotated[str, typer.Option("--data", "-d", help="The command's fields as JSON")]


#: Commands that run before secrets exist (they make them, or run the development stack).
_BEFORE_SECRETS = {"keys", "dev", "db"}


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"samskab {version('samskab')}")
        except PackageNotFoundError:  # run from a source tree that was never installed
            print("samskab (not installed)")
        raise typer.Exit(0)


@app.callback()
def _setup(
    ctx: typer.Context,
    show_version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit", callback=_version, is_eager=True)
    ] = False,
) -> None:
    from app.startup_checks import StartupRefused, check

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    if ctx.invoked_subcommand not in _BEFORE_SECRETS:
        try:
            check(settings, "cli")
        except StartupRefused as refused:
            err.print(f"[bold red]error:[/bold red] {refused}")
            raise typer.Exit(2) from None


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/bold red] {message}")
    return typer.Exit(code)


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError as error:
        raise _fail(f"{what} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}", 2) from None
    if not isinstance(data, dict):
        raise _fail(f"{what} must be a JSON object", 2)
    return data


async def _case_client(settings: Settings) -> CaseClient:
    try:
        client = await connect(settings, bounded=True)
    except TemporalUnavailable as error:
        hint = " (start it with 'samskab dev up')" if settings.embedded else ""
        raise _fail(f"no Temporal server answers at {error.address}{hint}") from None
    return CaseClient(client, settings)


def _show_rejection(error: CommandRejected) -> typer.Exit:
    where = f" [dim](field: {error.field}, rule: {error.rule})[/dim]" if error.field or error.rule else ""
    return _fail(f"refused: {error.message}{where}", 3)


# -- dev ---------------------------------------------------------------------


@dev_app.command("up")
def dev_up() -> None:
    """Run the embedded Temporal dev server and a worker in the foreground (Ctrl-C stops both)."""
    from app.api.metrics import enable_worker_metrics
    from app.api.serve import ApiProcess
    from app.devstack import DevServer, exit_on_sigterm, find_binary

    find_binary("temporal")  # the embedded extra: say so before anything starts
    exit_on_sigterm()
    from app.keys import init_secrets
    from worker import run_worker

    settings = get_settings()
    for made in init_secrets(settings):  # development secrets, made here on purpose (never in production)
        console.print(f"[dim]made {made}[/dim]")
    if settings.worker_metrics_address:
        enable_worker_metrics(settings.worker_metrics_address)

    async def main() -> None:
        async with DevServer(settings) as server, ApiProcess(settings) as api:
            console.print(f"Temporal at [b]{server.address}[/b], Web UI at [b]{server.ui_url}[/b]")
            console.print(f"Event log: {settings.database_url}")
            console.print(f"API and pages at [b]{api.url}[/b] (OpenAPI: {api.url}/docs, metrics: {api.url}/metrics)")
            await run_worker(settings)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass


@dev_app.command("token")
def dev_token(
    role: Annotated[
        str,
        typer.Option(
            help="citizen, caseworker, team_lead, staff, volunteer, relative, representative, auditor, administrator"
        ),
    ],
    user: Annotated[str, typer.Option(help="The person's id")],
    cpr: Annotated[str | None, typer.Option(help="A citizen's CPR number (a citizen's token needs it)")] = None,
    municipality: Annotated[str | None, typer.Option(help="Kommunekode (default: the installation's)")] = None,
    unit: Annotated[str | None, typer.Option(help="A case officer's team or unit (need-to-know)")] = None,
    hours: Annotated[float, typer.Option(help="How long the token is valid")] = 8.0,
) -> None:
    """Issue a bearer token for local use (signed with the configured key)."""
    from datetime import timedelta

    from app.tokens import issue_token

    try:
        token = issue_token(
            get_settings(),
            person_id=user,
            role=role,
            cpr=cpr,
            municipality=municipality,
            unit=unit,
            ttl=timedelta(hours=hours),
        )
    except ValueError as error:
        raise _fail(str(error), 2) from None
    print(token)


@keys_app.command("init")
def keys_init() -> None:
    """Make every secret that is missing (never replaces one): the key store secret, the codec key,
    the checkpoint-signing key and the command-signing key, each a file of mode 0600 under DATA_DIR/secrets."""
    from app.keys import command_signer, init_secrets
    from workflows.issuers import public_key_text

    settings = get_settings()
    made = init_secrets(settings)
    for line in made:
        console.print(f"made {line}")
    if not made:
        console.print("every secret is there already; nothing made")
    signer = command_signer(settings)
    console.print(
        f"command-signing key {signer.key_id}; give workers its public key: "
        f"SAMSKAB_COMMAND_VERIFY_KEYS={public_key_text(signer.private_key.public_key())}"
    )


@app.command("serve")
def serve_command(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default: SAMSKAB_API_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: SAMSKAB_API_PORT)")] = None,
) -> None:
    """Run the HTTP API and the web pages (uvicorn)."""
    from app.api.serve import serve

    serve(get_settings(), host, port)


@app.command("codec-server")
def codec_server_command(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on (default: SAMSKAB_CODEC_SERVER_HOST)")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: SAMSKAB_CODEC_SERVER_PORT)")] = None,
) -> None:
    """Serve Temporal's remote codec protocol (/decode, /encode) for the Web UI and 'temporal --codec-endpoint'."""
    from app.codec_server import serve_codec

    serve_codec(get_settings(), host, port)


# -- case --------------------------------------------------------------------


@case_app.command("open")
def case_open(
    case_id: Annotated[str, typer.Option(help="The case number")],
    cpr: Annotated[str, typer.Option(help="The citizen's CPR number, DDMMYY-SSSS")],
    name: Annotated[str, typer.Option(help="The citizen's name")],
    need: Annotated[str, typer.Option(help="The need, in the words it was told")],
    reported_by: Annotated[str, typer.Option(help="citizen, caseworker, relative or volunteer")] = "caseworker",
    life_area: Annotated[list[str] | None, typer.Option(help="Life areas the need touches (repeatable)")] = None,
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Register a citizen's need: this opens the case."""
    settings = get_settings()
    caller = authenticate(token, as_, local_admin, settings)
    decision = may(caller.who, Action.OPEN_CASE, command_type="register_need", municipality=settings.municipality)
    if not decision:
        raise _fail(f"refused: {decision.reason} [dim](rule: access.denied)[/dim]", 3)
    if caller.who.role is Role.CITIZEN and not same_cpr(caller.who.cpr, cpr):
        raise _fail(
            "refused: a citizen registers a need only for themselves [dim](field: --cpr, rule: access.denied)[/dim]", 3
        )
    data = {
        "type": "register_need",
        "actor": caller.actor,
        "case_id": case_id,
        "citizen": {"cpr": cpr, "name": name},
        "need": {"description": need, "reported_by": reported_by, "life_areas": life_area or []},
    }

    async def main() -> None:
        cases = await _case_client(settings)
        await cases.open_case(parse_command(data))

    try:
        asyncio.run(main())
    except CommandRejected as error:
        raise _show_rejection(error) from None
    console.print(f"Case [b]{case_id}[/b] opened.")


@case_app.command("act")
def case_act(
    case_id: Annotated[str, typer.Argument(help="The case number")],
    command: Annotated[
        str, typer.Argument(help="The command type, e.g. open_visitation (see 'samskab case commands')")
    ],
    data: DataOption = "{}",
    expected_version: Annotated[int | None, typer.Option(help="Refuse if the case has moved past this version")] = None,
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Give a case a command; the case accepts it or says why not."""
    settings = get_settings()
    caller = authenticate(token, as_, local_admin, settings)
    fields = _json_object(data, "--data")
    fields.pop("actor", None)  # who acts is who the token names, never what the data says
    store = open_event_store(settings.database_url, upgrade=not settings.production)
    try:
        state = case_state(store, case_id, settings)
    finally:
        store.dispose()
    decision = may(
        caller.who,
        Action.ACT,
        state=state,
        at=datetime.now(UTC),
        command_type=command,
        municipality=settings.municipality,
    )
    if not decision:
        raise _fail(f"refused: {decision.reason} [dim](rule: access.denied)[/dim]", 3)
    fields.update(type=command, actor=caller.actor)

    async def main():
        cases = await _case_client(settings)
        return await cases.act(case_id, parse_command(fields), expected_version)

    try:
        result = asyncio.run(main())
    except CommandRejected as error:
        raise _show_rejection(error) from None
    console.print(
        f"Accepted: {', '.join(result.events)}; case {result.case_id} is now in phase "
        f"[b]{result.phase.value}[/b] at version {result.version}."
    )


@case_app.command("show")
def case_show(
    case_id: str,
    purpose: PurposeOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print the state as JSON")] = False,
    as_: AsOption = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The case as it stood at a log position or a moment (ISO 8601 with zone), folded from the event log",
        ),
    ] = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Show a case as its workflow holds it now, or as it stood then (the read is recorded in the access log)."""
    settings = get_settings()
    caller = authenticate(token, as_, local_admin, settings)
    store = open_event_store(settings.database_url, upgrade=not settings.production)
    try:
        if as_of is not None:
            try:
                moment = readmodels.parse_as_of(as_of)
            except ValueError as error:
                raise _fail(f"--as-of: {error}", 2) from None
            decision = authorize_read(
                store,
                caller,
                Action.READ_CASE,
                case_id,
                purpose,
                f"read_case as_of={as_of} (samskab case show)",
                settings,
            )
            try:
                past = readmodels.case_as_of(store, case_id, open_key_store(store, settings), moment)
            except readmodels.PersonalDataErased as error:
                raise _fail(str(error)) from None
            if past.version == 0:
                raise _fail(f"case {case_id} has no events up to {as_of}")
            if decision.categories is not None or as_json:  # a reader limited by consent sees only what it covers
                console.print_json(
                    json.dumps(visible_state(decision, past.model_dump(mode="json")), ensure_ascii=False)
                )
            else:
                console.print(case_panel(past))
            return
        decision = authorize_read(
            store, caller, Action.READ_CASE, case_id, purpose, "read_case (samskab case show)", settings
        )
    finally:
        store.dispose()

    async def main():
        cases = await _case_client(settings)
        return await cases.state(case_id)

    try:
        state = asyncio.run(main())
    except Exception as error:  # noqa: BLE001 - shown to the person, not swallowed
        raise _fail(f"cannot read case {case_id}: {error}") from None
    if as_json or decision.categories is not None:
        console.print_json(json.dumps(visible_state(decision, state.model_dump(mode="json")), ensure_ascii=False))
        return
    console.print(case_panel(state))
    allowed = ", ".join(c.model_fields["type"].default for c in ALLOWED[state.phase] if not c.issued_by_system)
    console.print(f"Allowed now: {allowed or 'nothing'}")


@case_app.command("commands")
def case_commands() -> None:
    """List the commands each phase allows, with their type names for 'case act'."""
    for phase in Phase:
        names = [c.model_fields["type"].default for c in ALLOWED[phase] if not c.issued_by_system]
        console.print(f"[b]{phase.value}[/b] ({phase.label}): {', '.join(names) or '-'}")


# -- demo --------------------------------------------------------------------


@app.command("demo")
def demo() -> None:
    """Start the embedded stack, take three citizens through all five phases, print their trails."""
    from app.demo import run_demo
    from app.devstack import exit_on_sigterm, find_binary

    if get_settings().embedded:
        find_binary("temporal")  # the embedded extra: say so before anything starts
    exit_on_sigterm()  # before the loop runs: a SIGTERM stops the dev server, as Ctrl-C does
    try:
        ok = asyncio.run(_cancelled_by_sigterm(run_demo(get_settings(), console)))
    except asyncio.CancelledError:
        raise KeyboardInterrupt("stopped") from None  # stopped by Ctrl-C or SIGTERM: exit 130, no traceback
    raise typer.Exit(0 if ok else 1)


async def _cancelled_by_sigterm(work):
    """Runs ``work`` so that Ctrl-C or a SIGTERM cancels it (the main task): every ``async with``
    unwinds at an await, the worker drains, the dev server stops. An exception raised from a
    signal handler at an arbitrary point could interrupt the SDK mid-step and hang the shutdown;
    a watchdog still ends a shutdown that hangs. A stopped run is reported as stopped even when
    the work let the cancellation go and returned (a library that swallows it): never as done."""
    import signal

    from app.devstack import start_stop_watchdog

    task = asyncio.current_task()
    assert task is not None
    stopped: list[int] = []

    def _stop(signum: int) -> None:
        stopped.append(signum)
        start_stop_watchdog(signum)
        task.cancel()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _stop, signum)
    result = await work
    if stopped:
        raise asyncio.CancelledError
    return result


def known_failure(error: BaseException) -> str | None:
    """The one line a person reads for a failure that is not a bug (a missing extra, a server
    that does not answer, a case that does not exist); None for anything else."""
    import sqlalchemy.exc
    from temporalio.client import WorkflowQueryFailedError
    from temporalio.service import RPCError, RPCStatusCode

    from app.devstack import DevServerError
    from app.extras import MissingExtra
    from app.temporal import UNREACHABLE

    if isinstance(error, (MissingExtra, DevServerError, TemporalUnavailable)):
        return str(error)
    if isinstance(error, RPCError):
        if error.status is RPCStatusCode.NOT_FOUND:
            return f"not found: {error.message}"
        if error.status in UNREACHABLE:
            return f"Temporal at {get_settings().effective_temporal_address} does not answer ({error.status.name}): {error.message}"
        if error.status is RPCStatusCode.PERMISSION_DENIED:
            return f"Temporal refused this client: {error.message}"
        return None
    if isinstance(error, WorkflowQueryFailedError):
        return f"the case could not answer: {error}"
    if isinstance(error, sqlalchemy.exc.OperationalError):
        first = (str(error.orig or error).strip().splitlines() or ["no answer"])[0]
        return f"the database does not answer: {first}"
    if isinstance(error, CommandRejected):
        return f"refused: {error}"
    return None


def main() -> None:
    from eventlog.migrations import SchemaMismatch

    try:
        app()
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except SchemaMismatch as mismatch:  # production: the schema is the owner's to upgrade
        err.print(f"[bold red]error:[/bold red] {escape(str(mismatch))}", highlight=False)
        raise SystemExit(2) from None
    except Exception as error:  # a known failure gets one line; anything else is a bug, traceback and all
        line = known_failure(error)
        if line is None:
            raise
        err.print(f"[bold red]error:[/bold red] {escape(line)}", highlight=False)
        raise SystemExit(1) from None
