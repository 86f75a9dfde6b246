"""Measure 10: the pages' server time at a large log (issue 21: p99 <= 100 ms at 100,000 cases).

The log is measure 9's (the demo scenario's real events, ~17 per case, cached by
size), projected by the product's projector. The projected log is cached too, beside
the log and keyed by the product code it follows from (catching up 1.7 million events
takes minutes); each run measures a copy of it. Beside its N plaintext cases, a few
cases of one citizen of their own are appended as the worker appends them
(personal fields encrypted under the citizen's key), with a volunteer of their
own on the team: the citizen's page lists a citizen's own cases through the key
derived from their CPR number, and the volunteer's landing page the cases they are
on, as in a real municipality (in the cached log one citizen and one volunteer
are on every case).

Each page is requested in this process through the product's ASGI app (the
pages and the API in one app, as ``samskab serve`` runs it), logged in with a
signed token and a purpose, one request at a time; every read is checked for
status 200 and logged in the access log as any read is. The figure is the
request's wall time in the server (no network). Its baseline is the same read
through the API's JSON route in the same run, so the ratio shows what rendering
the page adds. The time is the server's: a stopwatch around the ASGI app (``ServerTime``), from
the request's arrival to its last byte, without the test client's own work.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import biglog
from bench.common import Result, event_templates, fresh_case, percentile
from bench.read_side import EVENTS_PER_CASE

TARGET_MS = 100.0
#: The citizen and volunteer of the measured own cases (their CPR is a test number).
OWN_CPR, OWN_NAME, OWN_VOLUNTEER, OWN_CASES = "010190-0000", "Bente Bench", "vol-bench", 3


def _own_cases(store, keys, template_cpr: str, template_volunteer: str) -> list[str]:
    """Appends OWN_CASES cases of one citizen of their own, encrypted as the worker stores them."""
    from dataclasses import replace

    from activities.eventlog import protect_payload

    ids = []
    template = event_templates()[0]
    for index in range(OWN_CASES):
        case_id = f"bench-own-{index}"
        events = []
        for event in fresh_case(template):
            text = json.dumps(event.payload, ensure_ascii=False)
            text = text.replace(template_cpr, OWN_CPR).replace(template_volunteer, OWN_VOLUNTEER)
            payload = json.loads(text)
            if event.event_type == "need_registered":
                payload["citizen"]["name"] = OWN_NAME
                payload["case_id"] = case_id
            actor = OWN_VOLUNTEER if event.actor_id == template_volunteer else event.actor_id
            events.append(replace(event, actor_id=actor,
                                  payload=protect_payload(keys, case_id, event.event_type, event.event_id, payload)))  # fmt: skip
        store.append(case_id, 0, events)
        ids.append(case_id)
    return ids


class ServerTime:
    """The ASGI app with a stopwatch around it: from the request's arrival in the app to its
    last body byte sent (what the server spends; not the test client's own work)."""

    def __init__(self, app) -> None:
        self.app = app
        self.last_ms = 0.0

    async def __call__(self, scope, receive, send) -> None:
        t0 = time.perf_counter()
        await self.app(scope, receive, send)
        self.last_ms = (time.perf_counter() - t0) * 1000


def _timed(
    client, timer: ServerTime, path: str, requests: int, headers: dict[str, str] | None = None
) -> tuple[float, float]:
    """p99 and p50 of the server time of ``requests`` GETs of ``path`` (each must answer 200)."""
    samples = []
    for _ in range(requests):
        response = client.get(path, headers=headers or {}, follow_redirects=False)
        samples.append(timer.last_ms)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    return percentile(samples, 99), percentile(samples, 50)


#: What a prepared log's content follows from: the product's code that encrypts, appends and projects it.
PREPARED_FROM = ("activities", "domain", "eventlog", "projections", "app/keys.py")
#: Of those, the code that only reads the read models: a change there does not change the prepared log.
READS_ONLY = ("projections/queries.py",)
#: Bump when what this file adds to the log (``_own_cases``) changes, so old prepared logs are not reused.
PREPARED_LAYOUT = 1


def _code_digest() -> str:
    import hashlib

    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for name in PREPARED_FROM:
        top = root / name
        for path in sorted(top.rglob("*") if top.is_dir() else [top]):
            if path.is_file() and "__pycache__" not in path.parts and str(path.relative_to(root)) not in READS_ONLY:
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _prepared(log_path: Path, cases: int, progress=None) -> tuple[Path, list[str]]:
    """The log with the own cases appended and both read models caught up, in a folder with its
    key store; cached beside the log (keyed by the code it follows from), since catching up
    1.7 million events takes a quarter of an hour on a busy machine. Each run measures a copy."""
    from app.keys import open_key_store
    from app.settings import Settings
    from eventlog import EventStore
    from projections.setup import build_projector

    folder = log_path.parent / f"pages-{log_path.stem}-p{PREPARED_LAYOUT}-{_code_digest()}"
    if (folder / "own.json").exists():
        return folder, json.loads((folder / "own.json").read_text())
    for stale in log_path.parent.glob(f"pages-{log_path.stem}-*"):  # prepared by other code: 2 GB each at full size
        shutil.rmtree(stale, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(log_path, folder / "eventlog.db")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'eventlog.db'}", data_dir=folder, jwt_key=os.urandom(32).hex()
    )
    store = EventStore.from_url(settings.database_url)
    store.create_schema()  # the cached log may predate this release's schema revision: upgrade the copy
    try:
        keys = open_key_store(store, settings)
        template = event_templates()[0]
        registered = next(e for e in template if e.event_type == "need_registered").payload
        volunteer = next(e for e in template if e.event_type == "consent_given").payload["person_id"]
        own = _own_cases(store, keys, registered["citizen"]["cpr"], volunteer)
        projector = build_projector(store, keys, settings.deadlines, batch_size=2000)
        task = progress.add_task(f"pages @{cases:,}: projecting (cached)", total=None) if progress else None
        for name in projector.projections:
            while projector.step(name):
                pass
        if progress:
            progress.update(task, completed=1, total=1)
    finally:
        store.dispose()
    (folder / "own.json").write_text(json.dumps(own))  # written last: the folder is complete
    return folder, own


def _measure(
    log_path: Path, cases: int, requests: int, progress=None
) -> dict[str, tuple[float, float, float, float, str]]:
    """Each page's p99 and p50 and its baseline's p99 and p50 (ms), at this log."""
    from fastapi.testclient import TestClient

    from app.api import create_app
    from app.keys import open_key_store
    from app.pages.routes import PURPOSE_COOKIE, STAFF_TABS, TOKEN_COOKIE
    from app.settings import Settings
    from app.tokens import issue_token
    from eventlog import EventStore

    prepared, own = _prepared(log_path, cases, progress)
    folder = Path(tempfile.mkdtemp(prefix="samskab-pages-bench-"))
    try:
        shutil.copytree(prepared, folder, dirs_exist_ok=True)  # each run's reads are logged in a copy of its own
        path = folder / "eventlog.db"
        settings = Settings(database_url=f"sqlite:///{path}", data_dir=folder, jwt_key=os.urandom(32).hex())
        store = EventStore.from_url(settings.database_url)
        store.create_schema()
        try:
            keys = open_key_store(store, settings)
            template = event_templates()[0]
            task = progress.add_task(f"pages @{cases:,}: measuring", total=None) if progress else None
            app = create_app(settings, store=store, keys=keys)
            caseworker = next(e for e in template if e.event_type == "visitation_opened").payload["caseworker_id"]
            lead = next(e for e in template if e.event_type == "decision_made").actor_id
            rng = random.Random(10)
            streams = [biglog.stream_id(rng.randrange(cases)) for _ in range(20)]
            figures: dict[str, tuple[float, float, float, float, str]] = {}
            timer = ServerTime(app)
            with TestClient(timer) as client:

                def as_person(person_id: str, role: str, **claims: Any) -> tuple[dict[str, str], dict[str, str]]:
                    token = issue_token(settings, person_id=person_id, role=role, **claims)
                    client.cookies.clear()
                    client.cookies.set(TOKEN_COOKIE, token)
                    client.cookies.set(PURPOSE_COOKIE, "benchmark")
                    return {"Authorization": f"Bearer {token}", "X-Purpose": "benchmark"}, {}

                def both(name: str, page: str, api: str, bearer: dict[str, str], api_name: str) -> None:
                    _timed(client, timer, page, 5)  # warm-up: templates compiled, caches filled
                    page_p99, page_p50 = _timed(client, timer, page, requests)
                    cookies = dict(client.cookies)
                    client.cookies.clear()
                    api_p99, api_p50 = _timed(client, timer, api, requests, bearer)
                    for key, value in cookies.items():
                        client.cookies.set(key, value)
                    figures[name] = (page_p99, page_p50, api_p99, api_p50, api_name)
                    if progress:
                        progress.update(task, description=f"pages @{cases:,}: {name} {page_p99:.1f} ms")

                bearer, _ = as_person(caseworker, "caseworker")
                both("/sager (work list, first page)", "/sager", "/cases?mine=true", bearer, "GET /cases?mine=true")
                both("/sager (name search, 3 matches)", "/sager?soeg=bente+bench", "/cases?mine=true&name=bente+bench", bearer,
                     "GET /cases, same search")  # fmt: skip
                found = client.get("/sager?soeg=bente+bench").text
                if not all(f"/sager/{case_id}" in found for case_id in own):
                    raise RuntimeError("the name search on /sager did not find the citizen's own cases")
                # the worst case: the template's citizen is on every case of the log, so the name matches them all
                both("/sager (phase, overdue, a name on every case)", "/sager?fase=closed&overskredet=ja&soeg=jonas+holm",
                     "/cases?mine=true&phase=closed&overdue=true&name=jonas+holm", bearer, "GET /cases, same filters")  # fmt: skip
                case = streams[0]
                for tab, _ in STAFF_TABS:
                    api = {"historik": f"/cases/{case}/timeline", "adgang": f"/cases/{case}/access-log"}.get(
                        tab, f"/cases/{case}"
                    )
                    both(
                        f"/sager/{{id}}?fane={tab}",
                        f"/sager/{case}?fane={tab}",
                        api,
                        bearer,
                        "GET " + api.replace(case, "{id}"),
                    )
                bearer, _ = as_person(lead, "team_lead")
                both("/sager/{id} (team lead)", f"/sager/{own[0]}", f"/cases/{own[0]}", bearer, "GET /cases/{id}")
                bearer, _ = as_person("citizen-bench", "citizen", cpr=OWN_CPR)
                both(f"/borger ({OWN_CASES} cases)", "/borger", "/cases", bearer, "GET /cases (citizen)")
                both("/sager/{id}?fane=afgoerelse (citizen)", f"/sager/{own[0]}?fane=afgoerelse", f"/cases/{own[0]}", bearer,
                     "GET /cases/{id} (citizen)")  # fmt: skip
                bearer, _ = as_person(OWN_VOLUNTEER, "volunteer")
                both(f"/hold ({OWN_CASES} cases)", "/hold", "/cases", bearer, "GET /cases (volunteer)")
                bearer, _ = as_person("bench-auditor", "auditor")
                both("/revision/sager/{id} (audit)", f"/revision/sager/{case}", f"/audit/cases/{case}/trail", bearer,
                     "GET /audit/cases/{id}/trail")  # fmt: skip
            return figures
        finally:
            store.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


#: The pages measured through real API processes under load, each with who asks and its target (ms p99).
LOADED_PAGES = (("/sager", "caseworker", 100.0), ("/borger", "citizen", 50.0))


def _cookie_auth(person_id: str, role: str, **claims: Any):
    """Headers of a person logged in on the pages (the token and purpose cookies), signed with a
    key made for the server's run."""

    def auth(env: dict[str, str]) -> dict[str, str]:
        import secrets

        from app.pages.routes import PURPOSE_COOKIE, TOKEN_COOKIE
        from app.settings import Settings
        from app.tokens import issue_token

        env["SAMSKAB_JWT_KEY"] = secrets.token_hex(32)
        settings = Settings(jwt_key=env["SAMSKAB_JWT_KEY"], data_dir=Path(env["SAMSKAB_DATA_DIR"]))
        token = issue_token(settings, person_id=person_id, role=role, **claims)
        return {"Cookie": f"{TOKEN_COOKIE}={token}; {PURPOSE_COOKIE}=benchmark"}

    return auth


def _loaded(log_path: Path, cases: int, requests: int, progress=None, kind: str = "sqlite") -> dict[str, Result]:
    """The pages of ``LOADED_PAGES`` through ``samskab serve`` (its processes, on a copy of the
    prepared log and its key store, or on PostgreSQL: ``_on_postgres``) with wrk's 20
    connections, as measure 9 loads the API."""
    from bench import http_timeline

    prepared, own = _prepared(log_path, cases, progress)
    caseworker = next(e for e in event_templates()[0] if e.event_type == "visitation_opened").payload["caseworker_id"]
    people = {"caseworker": _cookie_auth(caseworker, "caseworker"),
              "citizen": _cookie_auth("citizen-bench", "citizen", cpr=OWN_CPR)}  # fmt: skip

    def load(database_url: str | None) -> dict[str, Result]:
        loaded = {}
        for page, who, target in LOADED_PAGES:
            loaded[page] = http_timeline.run(log_path, own, requests, cases * EVENTS_PER_CASE, progress, page,
                                             database_url, data_folder=prepared, auth=people[who], target_ms=target,
                                             name=f"10. HTTP {page} ({who}), {kind}", floor=True)  # fmt: skip
        return loaded

    if kind == "sqlite":
        return load(None)
    with _on_postgres(prepared, progress) as url:
        return load(url)


@contextmanager
def _on_postgres(prepared: Path, progress=None) -> Iterator[str]:
    """The prepared log in a PostgreSQL schema of its own (dropped on exit): its events (with
    the tree), its citizens' keys, and the read models projected there by the product's
    projector; vacuumed and checkpointed, as a server in service finds it. Yields the URL a
    server process opens it with."""
    import sqlite3
    import subprocess
    import sys

    from bench.read_side import _schema_url, _settle

    with biglog.postgres_log(prepared / "eventlog.db", progress) as db:
        source, target = sqlite3.connect(prepared / "eventlog.db"), db.raw()
        try:
            for table in ("citizen_keys", "case_keys"):
                cursor = source.execute(f"SELECT * FROM {table}")
                columns = ", ".join(d[0] for d in cursor.description)
                with target.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in cursor:
                        copy.write_row(row)
            target.commit()
        finally:
            source.close()
            target.close()
        url = _schema_url(db)
        env = {**os.environ, "SAMSKAB_DATABASE_URL": url, "SAMSKAB_DATA_DIR": str(prepared)}
        subprocess.run([sys.executable, "-m", "app", "projections", "rebuild"], env=env, check=True,
                       capture_output=True)  # fmt: skip
        _own_cases_found(db, prepared)
        _settle(db)
        yield url


def _own_cases_found(db, prepared: Path) -> None:
    """The citizen's own cases are found on PostgreSQL through the key their CPR number derives
    (so ``/borger`` is measured showing them, not an empty page)."""
    from datetime import UTC, datetime

    from app.keys import open_key_store
    from app.settings import Settings
    from domain.citizen import cpr_digits
    from projections import queries

    store = db.store()
    try:
        keys = open_key_store(store, Settings(data_dir=prepared, jwt_key=os.urandom(32).hex()))
        key = keys.key_id_for_citizen(cpr_digits(OWN_CPR))
        found = queries.list_cases(store.engines, queries.CaseFilter(citizen_key=key), now=datetime.now(UTC)).rows
    finally:
        store.dispose()
    if len(found) != OWN_CASES:
        raise RuntimeError(f"PostgreSQL lists {len(found)} cases of the citizen, not {OWN_CASES}")


def run(sizes: list[int], requests: int, progress=None, http_requests: int = 0,
        kinds: tuple[str, ...] = ("sqlite",)) -> list[Result]:  # fmt: skip
    measured: dict[int, Any] = {}
    loaded: dict[tuple[str, int], dict[str, Result]] = {}
    for cases in sizes:
        log_path, _ = biglog.sqlite_log(cases * EVENTS_PER_CASE, progress)
        measured[cases] = _measure(log_path, cases, requests, progress)
        for kind in kinds if http_requests else ():
            loaded[kind, cases] = _loaded(log_path, cases, http_requests, progress, kind)
    largest = max(sizes)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    results = []
    for name, (p99, p50, api_p99, api_p50, api_name) in measured[largest].items():
        smaller = ", ".join(f"{n:,} cases p99 {measured[n][name][0]:.1f} ms" for n in sizes if n != largest)
        results.append(Result(f"10. page {name}", round(p99, 1), f"ms p99 (p50 {p50:.1f})", round(api_p99, 1),
                              f"ms p99 (p50 {api_p50:.1f}) {api_name}", ratio=round(p99 / max(api_p99, 1e-9), 2),
                              target=f"p99 <= {TARGET_MS:g} ms", met=p99 <= TARGET_MS,
                              notes=f"{largest:,} cases, sqlite, server time in-process, {requests} requests, "
                                    f"load average {load:.1f}" + (f"; {smaller}" if smaller else ""),
                              extra={"p50_ms": p50, "api_p50_ms": api_p50}))  # fmt: skip
    smallest = min(sizes)
    for kind, (page, who, target) in itertools.product(kinds, LOADED_PAGES) if loaded else ():
        big, small = loaded[kind, largest][page], loaded[kind, smallest][page]
        if big.figure is None or small.figure is None:
            results.append(big if big.figure is None else small)
            continue
        flat = big.figure / small.figure
        results.append(Result(f"10. HTTP {page} ({who}), {kind}", round(big.figure, 1), big.unit, round(small.figure, 1),
                              f"ms p99 at {smallest:,} cases", ratio=round(flat, 2),
                              target=f"p99 <= {target:g} ms; large/small <= 1.5",
                              met=big.figure <= target and flat <= 1.5 and big.met is not False,
                              notes=f"{largest:,} cases; {big.notes}"))  # fmt: skip
    return results
