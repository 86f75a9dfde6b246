"""Browser tests: Playwright drives Debian's chromium against the app served by
uvicorn on a free port, with a real time-skipping Temporal server and SQLite log.

``make test`` installs chromium when it is missing, so these always run."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import uvicorn

from app.api import create_app
from app.devstack import free_port
from app.keys import open_key_store
from projections.setup import build_projector, projector_running
from tests.api.conftest import Api
from tests.workflows.conftest import TrackedCases, case_id, cases, env, settings, store, worker  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest_asyncio.fixture
async def base_url(settings, store, cases) -> AsyncIterator[str]:
    app = create_app(settings, store=store, cases=cases)
    following = projector_running(
        build_projector(store, open_key_store(store, settings), settings.deadlines), idle_s=0.01
    )
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
async def api(base_url, settings) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        yield Api(http, settings)


@pytest_asyncio.fixture
async def browser():
    from playwright.async_api import async_playwright

    if not CHROMIUM.exists():
        pytest.fail(
            "chromium is missing: run 'make test' (it installs chromium with apt-get) or apt-get install chromium"
        )
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


# -- what every page is checked for ---------------------------------------------------------

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Text a Danish page must not show: pydantic's English, the domain's identifiers, English refusals.
UNTRANSLATED = re.compile(
    r"String should|Field required|Input should|should have at least|at least \d+ characters|value is not|"
    r"\b[a-z]+_[a-z_]+\b|\b(?:granted|refused|volunteer|relative|caseworker|team_lead|joined|invited|declined|"
    r"pending|approved|returned|window_open|awaiting|citizen|staff)\b|\bnot (?:valid|allowed|on the team)\b|"
    r"\bthe (?:case|citizen|team)\b|\{\"detail\""
)


def axe_source() -> str:
    path = NODE_MODULES / "axe-core" / "axe.min.js"
    if not path.exists():
        pytest.fail("axe-core is missing: run 'make test' (it runs npm ci) or 'npm ci'")
    return path.read_text(encoding="utf-8")


async def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now (the script is evaluated
    through the browser's debugging protocol, so a Content-Security-Policy does not block it)."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(axe_source())
    result = await page.evaluate(
        "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)})); }",
        AXE_TAGS,
    )
    return result


async def untranslated(page) -> list[str]:
    """Words in the page's visible text that are not Danish (parts marked lang="en" are left out)."""
    text = await page.evaluate(
        "() => { const c = document.body.cloneNode(true); c.querySelectorAll('[lang=en], code, script, style').forEach(e => e.remove());"
        " return c.innerText; }"
    )
    return sorted({m.group(0) for m in UNTRANSLATED.finditer(text)})


async def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no sideways scrolling)."""
    return await page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


async def check_page(page, name: str, results: list, *, widths=(1280, 390), reflow: bool = True) -> None:
    """axe at each width, the untranslated-text check, a screenshot per width, and reflow at 320 px."""
    for width in widths:
        await page.set_viewport_size({"width": width, "height": 900})
        violations = await axe_violations(page)
        results.append((f"{name}@{width}", violations))
        await screenshot(page, f"{name}-{width}.png")
    words = await untranslated(page)
    results.append((f"{name} untranslated", words))
    if reflow:
        await page.set_viewport_size({"width": 320, "height": 800})
        over = await horizontal_overflow(page)
        results.append((f"{name}@320 overflow", over))
    await page.set_viewport_size({"width": 1280, "height": 900})


def failures(results: list) -> list:
    return [(name, found) for name, found in results if found]


async def tab_to(page, selector: str, limit: int = 250) -> None:
    """Presses Tab until the element matching ``selector`` has focus (the keyboard reaches it)."""
    for _ in range(limit):
        if await page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"the keyboard never reached {selector}")


async def choose_by_keyboard(page, select_id: str, option_text: str) -> None:
    """Picks an option of a focused select with the arrow keys alone."""
    await tab_to(page, f"#{select_id}")
    texts = await page.evaluate(
        "(id) => Array.from(document.getElementById(id).options).map(o => o.textContent.trim())", select_id
    )
    target = texts.index(option_text)
    current = await page.evaluate("(id) => document.getElementById(id).selectedIndex", select_id)
    key = "ArrowDown" if target > current else "ArrowUp"
    for _ in range(abs(target - current)):
        await page.keyboard.press(key)
    assert await page.evaluate("(id) => document.getElementById(id).selectedIndex", select_id) == target
