"""A run releases the GIL and stops promptly on Ctrl-C."""

from __future__ import annotations

import threading
import time

import pytest

import fogsched
from conftest import SCENARIOS, assert_sigint_stops

CITY = SCENARIOS / "city-default.yaml"


def test_another_python_thread_progresses_during_a_run():
    stamps: list[float] = []
    stop = threading.Event()

    def count() -> None:
        while not stop.is_set():
            stamps.append(time.monotonic())

    counter = threading.Thread(target=count)
    counter.start()
    try:
        started = time.monotonic()
        # About 1.5 s of work on one thread: long enough to tell on a fast machine.
        fogsched.run(CITY, replications=2, duration="10min", threads=1)
        ended = time.monotonic()
    finally:
        stop.set()
        counter.join()
    # Only the middle of the run counts: a thread holding the GIL would let the
    # counter run at most right after the call started and right before it returned.
    margin = (ended - started) / 5
    during = [t for t in stamps if started + margin < t < ended - margin]
    assert ended - started > 0.2, "the run is too short to tell"
    assert len(during) > 1000


class RunHere(fogsched.Policy):
    """`local` in Python: the run's workers take the GIL for every decision."""

    def decide(self, invocation, ctx):
        return fogsched.RunLocal() if ctx.local_load().can_accept() else fogsched.Reject()


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                    reason="Python delivers signals to the main thread only")
@pytest.mark.parametrize("policies", [None, [RunHere]], ids=["builtin", "python"])
def test_sigint_stops_a_long_run_with_keyboard_interrupt(policies):
    # Three hours of the whole city on one thread: about 20 s of work if it were not stopped.
    assert_sigint_stops(lambda: fogsched.run(CITY, policies=policies, duration="3h", replications=1, threads=1))
    # The module is still usable afterwards.
    assert fogsched.run(SCENARIOS / "erlang-b.yaml", replications=1, duration="10s").policies == ["local"]
