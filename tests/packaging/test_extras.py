"""A command that needs an extra which is not installed says so in one line, naming the
extra and the pip install that adds it, and exits non-zero: no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

BLOCKED_RUN = textwrap.dedent(
    """
    import importlib.abc, sys

    class Missing(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == {blocked!r} or name.startswith({blocked!r} + "."):
                raise ImportError(name + " is not installed")

    sys.meta_path.insert(0, Missing())
    sys.argv = {argv!r}
    from app.cli import main
    main()
    """
)


def run_without(module: str, argv: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SAMSKAB_DATA_DIR": str(tmp_path), "SAMSKAB_DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}",
           "SAMSKAB_TEMPORAL_ADDRESS": "", "COLUMNS": "60"}  # fmt: skip
    code = BLOCKED_RUN.format(blocked=module, argv=argv)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_report_charts_without_the_charts_extra_is_one_line(tmp_path: Path):
    done = run_without("matplotlib", ["samskab", "report", "--charts", str(tmp_path / "charts")], tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr  # one line even on a 60-column terminal
    assert "samskab report --charts needs the 'charts' extra" in lines[0]
    assert "pip install 'samskab[charts]'" in lines[0]
    assert not (tmp_path / "charts").exists()
