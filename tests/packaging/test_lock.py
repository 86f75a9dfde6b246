"""requirements-dev.lock, which ``make`` installs from, agrees with pyproject.toml: every
dependency (runtime and every extra) is pinned there at a version its specifier allows,
with hashes, and the project itself is not in it (it is installed from the tree)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)")


def pins() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in (ROOT / "requirements-dev.lock").read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def test_the_lock_file_pins_every_dependency_of_pyproject_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        wanted += [Requirement(r) for r in extra]
    pinned = pins()
    checked = 0
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        if name == "samskab":
            continue  # the dev extra pulling the project's own extras
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        assert name in pinned, (
            f"{requirement.name} is in pyproject.toml but not in requirements-dev.lock: run make lock"
        )
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{requirement.name}=={pinned[name]} in the lock file does not satisfy {requirement.specifier}: run make lock"
        )
        checked += 1
    assert checked > 25
    text = (ROOT / "requirements-dev.lock").read_text(encoding="utf-8")
    assert "samskab @" not in text and "file://" not in text
    for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n\n", 1)[-1]):
        if PIN.match(block):
            assert "--hash=sha256:" in block, f"no hash for {block.splitlines()[0]}"
