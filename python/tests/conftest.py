"""Shared fixtures: the repository's scenarios and the CLI of the same build."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import fogsched

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"


def cli_path() -> Path:
    """The `fogsched` executable of the build the module was imported from."""
    if "FOGSCHED_CLI" in os.environ:
        return Path(os.environ["FOGSCHED_CLI"])
    # build/python/fogsched/__init__.py -> build/cli/fogsched
    return Path(fogsched.__file__).parents[2] / "cli" / "fogsched"


@pytest.fixture(scope="session")
def cli() -> Path:
    path = cli_path()
    if not path.is_file():
        pytest.fail(f"the fogsched CLI is not built at {path} (set FOGSCHED_CLI)")
    return path


@pytest.fixture(scope="session")
def run_cli(cli):
    """Runs the CLI; returns the CompletedProcess (text mode)."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(cli), *args], capture_output=True, text=True, timeout=120, check=False)

    return run


@pytest.fixture(scope="session")
def cli_json(run_cli):
    """Runs `fogsched run ... --json` and returns the parsed document."""

    def run(*args: str) -> dict:
        completed = run_cli("run", *args, "--json")
        assert completed.returncode == 0, completed.stderr
        return json.loads(completed.stdout)

    return run
