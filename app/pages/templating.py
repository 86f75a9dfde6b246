"""The pages' templates: Jinja as Starlette would set it up, with two of its lookups made
cheap for what the pages render.

A page shows cases as JSON dicts (``v.deadline.due_at``). Jinja reads ``v.deadline`` as
an attribute first and as a key only once that has failed, so every dotted name on a
page raised and caught an ``AttributeError``: a fifth of the citizen's page's rendering.
Here a plain dict is read by key straight away, unless the name is one of dict's own
attributes (``v.items`` is still the method, as Jinja has it).

Jinja keeps each template's globals as a ``ChainMap`` over the environment's, so that a
change to the environment's globals after a template is loaded would still show. Every
include and import walks that map in Python (a sixth of the rendering). The pages set their
globals once, at import, before any template is loaded (Jinja asks for no less), so each
template's globals here are a plain dict made when it loads.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import jinja2
from starlette.templating import Jinja2Templates

#: What ``v.<name>`` reads as dict's own attribute on a dict (Jinja prefers the attribute).
_DICT_ATTRIBUTES = frozenset(dir(dict))


class PageEnvironment(jinja2.Environment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


def page_templates(directory: Path) -> Jinja2Templates:
    """The templates in ``directory``, HTML escaped, looked up once (they ship with the
    release: not checked on disk for changes on every page, as Jinja does by default)."""
    env = PageEnvironment(
        loader=jinja2.FileSystemLoader(directory), autoescape=jinja2.select_autoescape(), auto_reload=False
    )
    return Jinja2Templates(env=env)
