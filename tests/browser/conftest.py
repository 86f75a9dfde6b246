"""Browser tests: Playwright drives Debian's chromium against the app served by
uvicorn on a free port, with a real time-skipping Temporal server and SQLite log.

``make test`` installs chromium when it is missing, so these always run."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import uvicorn

from app.keys import open_key_store
from projections.setup import build_projector, projector_running

from app.api import create_app
from tests.api.conftest import Api
from tests.workflows.conftest import TrackedCases, case_id, cases, env, settings, store, worker  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest_asyncio.fixture
async def base_url(settings, store, cases) -> AsyncIterator[str]:  # noqa: F811
    app = create_app(settings, store=store, cases=cases)
    following = projector_running(build_projector(store, open_key_store(store, settings), settings.deadlines), idle_s=0.01)
    following.__enter__()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await asyncio.wait_for(task, 10)
    following.__exit__(None, None, None)


@pytest_asyncio.fixture
async def api(base_url, settings) -> AsyncIterator[Api]:  # noqa: F811
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        yield Api(http, settings)


@pytest_asyncio.fixture
async def browser():
    from playwright.async_api import async_playwright

    if not CHROMIUM.exists():
        pytest.fail("chromium is missing: run 'make test' (it installs chromium with apt-get) or apt-get install chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest_asyncio.fixture
async def page(browser):
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    page = await context.new_page()
    yield page
    await context.close()


async def log_in(page, base_url: str, api: Api, who: str, purpose: str = "sagsbehandling") -> None:
    await page.goto(f"{base_url}/log-ind")
    await page.get_by_label("Adgangstoken").fill(api.token(who))
    await page.get_by_label("Formål med dine opslag").fill(purpose)
    await page.get_by_role("button", name="Log ind").click()
    await page.wait_for_load_state()


async def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    await page.screenshot(path=str(path), full_page=True)
    return path
