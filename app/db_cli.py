"""``samskab db``: the database schema's revision, its upgrade, and the application role's grants.

``db upgrade`` is the database owner's job (and the only DDL samskab runs in production);
the API, the worker and the rest of the CLI connect as a role with the grants
``db grants`` prints, and refuse to start against a schema at another revision.
"""

from __future__ import annotations

from typing import Annotated

import typer

from app.settings import get_settings
from app.terminal import console, err
from eventlog.engines import make_engines
from eventlog.migrations import SchemaMismatch, current_revision, head_revision, schema_revision_check, upgrade
from eventlog.migrations.grants import APP_PRIVILEGES, grant_statements

db_app = typer.Typer(help="The database schema: its revision, upgrades, and the application role's grants.",
                     no_args_is_help=True)  # fmt: skip

UrlOption = Annotated[
    str | None,
    typer.Option("--database-url", help="Connect as this URL (the owner's) instead of SAMSKAB_DATABASE_URL"),
]


def _engines(url: str | None):
    return make_engines(url or get_settings().database_url)


@db_app.command("upgrade")
def db_upgrade(database_url: UrlOption = None) -> None:
    """Create the schema, or bring it to this release's revision (tables, indexes, triggers). Run as the owner."""
    engines = _engines(database_url)
    try:
        before, after = upgrade(engines.write)
    except SchemaMismatch as error:
        err.print(f"[bold red]error:[/bold red] {error}")
        raise typer.Exit(2) from None
    finally:
        engines.dispose()
    if before == after:
        console.print(f"schema already at revision {after}")
    else:
        console.print(f"schema upgraded from {before or 'none'} to revision {after}")


@db_app.command("current")
def db_current(database_url: UrlOption = None) -> None:
    """Show the database's schema revision and the one this release needs; exit 1 when they differ."""
    engines = _engines(database_url)
    try:
        current = current_revision(engines.read)
        ok, detail = schema_revision_check(engines.read)
    finally:
        engines.dispose()
    console.print(f"database: {current or 'none'}  this release: {head_revision()}")
    if not ok:
        err.print(detail)
        raise typer.Exit(1)


@db_app.command("grants")
def db_grants(
    role: Annotated[str, typer.Option("--role", help="The application's PostgreSQL role (not the owner)")],
    schema: Annotated[str, typer.Option("--schema", help="The schema the tables are in")] = "public",
    apply: Annotated[
        bool, typer.Option("--apply", help="Run the statements (as the owner) instead of printing them")
    ] = False,
    database_url: UrlOption = None,
) -> None:
    """Print (or --apply) the GRANTs that let the application's role append and read, never rewrite the logs."""
    try:
        statements = grant_statements(role, schema)
    except ValueError as error:
        err.print(f"[bold red]error:[/bold red] {error}")
        raise typer.Exit(2) from None
    if not apply:
        for statement in statements:
            print(statement + ";")
        return
    engines = _engines(database_url)
    try:
        if engines.write.dialect.name != "postgresql":
            err.print("[bold red]error:[/bold red] grants apply to PostgreSQL only (SQLite has no roles)")
            raise typer.Exit(2)
        with engines.write.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engines.dispose()
    console.print(f"granted the application's privileges to {role} on {len(APP_PRIVILEGES)} tables")
