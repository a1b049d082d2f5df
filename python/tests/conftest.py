"""Shared fixtures: the repository's scenarios and the CLI of the same build."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
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


def assert_sigint_stops(call: Callable[[], object]) -> None:
    """Sends this process SIGINT 0.5 s into `call` and checks that it raised
    KeyboardInterrupt within 2 s of the signal. Give `call` seconds of work: it is
    bounded even if the GIL were held, as the timer thread could then only fire after
    the call, and the assertions fail."""
    sent_at: list[float] = []

    def interrupt() -> None:
        sent_at.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    # Python's own handler, whatever this process inherited: a shell's background job
    # starts with SIGINT ignored, and Python then leaves it ignored.
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, interrupt)
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            call()
    finally:
        timer.cancel()
        stopped = time.monotonic()
        signal.signal(signal.SIGINT, inherited)
    assert sent_at, "the call ended before it could be interrupted"
    assert stopped - sent_at[0] < 2.0
    assert stopped - started < 5.0
