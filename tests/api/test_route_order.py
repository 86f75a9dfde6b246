"""The pages' routes come before the API's (``create_app``): a page then does not walk past
every API route first. That is safe only while no path is both a page's and the API's."""

from __future__ import annotations

import base64
import os
import re
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import Match, Mount

from app.api import create_app
from app.api.routes import build_operations_router, build_router
from app.settings import Settings
from eventlog import EventStore


def _example(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def _paths(routes: list[APIRoute | Mount]) -> list[str]:
    return [_example(r.path if isinstance(r, APIRoute) else f"{r.path}/x") for r in routes]


def test_no_path_is_both_a_page_s_and_the_api_s(tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'events.db'}", jwt_key="k" * 64,
                        keystore_secret=base64.b64encode(os.urandom(32)).decode())  # fmt: skip
    store = EventStore.from_url(settings.database_url)
    store.create_schema()
    try:
        app = create_app(settings, store=store)
    finally:
        store.dispose()
    api = [r for r in [*build_operations_router().routes, *build_router().routes] if isinstance(r, APIRoute)]
    api_paths = {r.path for r in api}
    pages = [r for r in app.router.routes if isinstance(r, (APIRoute, Mount)) and r.path not in api_paths
             and r.path != "/metrics"]  # fmt: skip
    assert any(r.path == "/borger" for r in pages) and any(r.path == "/static" for r in pages)
    assert any(r.path == "/cases" for r in api)
    both: list[tuple[list[APIRoute | Mount], list[APIRoute | Mount]]] = [(pages, [*api]), ([*api], pages)]
    for ours, theirs in both:
        for path in _paths(ours):
            for method in ("GET", "POST"):
                scope: dict[str, Any] = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
                clashes = [r.path for r in theirs if r.matches(scope)[0] is not Match.NONE]
                assert not clashes, f"{method} {path} is both a page's and the API's: {clashes}"
