"""Where the command line prints: one console for output and one for errors, for every command.

Output is as wide as the terminal; into a file or a pipe (no terminal, no ``COLUMNS``) it is
140 columns, wide enough for the audit trail and an appeal's table, so nothing a script reads
is cut off at the 80 columns a console would otherwise guess. An error is one line, however
narrow the terminal."""

from __future__ import annotations

import os
import sys

from rich.console import Console

console = Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 140)
err = Console(stderr=True, soft_wrap=True)
