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

Every value a template outputs (``{{ v.case_id }}``) is escaped by ``markupsafe.escape``,
which wraps the escaped text in a ``Markup`` made in Python: 0.4-0.6 µs a value, a tenth
of the caseworker's list (fifty rows of a dozen values). What is output is joined into the
page at once, never escaped again, so here it is the escaped text itself
(``escape_for_output``: the same C escaping, the same bytes), and ``Markup`` stays where
it matters (macros, ``{% set %}`` blocks and the ``|e`` filter are untouched).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
from starlette.templating import Jinja2Templates

try:
    from markupsafe import _escape_inner  # the C escaping that markupsafe.escape wraps in a Markup
except ImportError:  # a markupsafe without it: the public function, slower, the same text

    def _escape_inner(text: str, /) -> str:
        return str(markupsafe.escape(text))


#: What ``v.<name>`` reads as dict's own attribute on a dict (Jinja prefers the attribute).
_DICT_ATTRIBUTES = frozenset(dir(dict))


def escape_for_output(value: Any) -> str:
    """What ``markupsafe.escape`` gives, as text: for a value going straight into the page."""
    if type(value) is str:
        return _escape_inner(value)
    html = getattr(value, "__html__", None)
    if html is not None:
        return html()
    return _escape_inner(str(value))


class PageTemplate(jinja2.Template):
    @classmethod
    def _from_namespace(cls, environment: jinja2.Environment, namespace: MutableMapping[str, Any],
                        globals: MutableMapping[str, Any]) -> jinja2.Template:  # fmt: skip
        # A compiled template calls ``escape`` only on what it outputs (jinja2.compiler's
        # ``_output_child_pre``); its module has bound the name by now.
        namespace["escape"] = escape_for_output
        return super()._from_namespace(environment, namespace, globals)


class PageEnvironment(jinja2.Environment):
    template_class = PageTemplate

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
