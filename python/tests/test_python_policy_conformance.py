"""The Python port of threshold_random decides as the C++ policy does.

Both run the same scenario and seed in one run: every invocation's record (origin,
node it ran on, hops, decision, outcome, times) must be equal, and the results JSON
equal byte for byte once the policy's name is set aside. The decisions draw from the
node's random stream, so equal records also mean equal draws.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import fogsched
from conftest import REPO, SCENARIOS

sys.path.insert(0, str(REPO / "examples" / "python-policy"))
from threshold_random import ThresholdRandom  # noqa: E402


def test_the_python_port_of_threshold_random_makes_the_cpp_decisions():
    results = fogsched.run(SCENARIOS / "city-default.yaml", policies=["threshold_random", ThresholdRandom],
                           replications=2, duration="1min", seed=4, trace=True)
    trace = results.trace()
    cpp_name, python_name = results.policies
    cpp = trace[trace.policy == cpp_name].drop(columns="policy").reset_index(drop=True)
    python = trace[trace.policy == python_name].drop(columns="policy").reset_index(drop=True)
    assert len(cpp) > 10000
    assert (cpp.decision == "forward").sum() > 1000, "the random forwards must be exercised"
    assert cpp.equals(python)

    cpp_result, python_result = results.report["results"]
    cpp_result.pop("policy")
    python_result.pop("policy")
    assert json.dumps(cpp_result) == json.dumps(python_result)


def test_the_example_comparison_runs():
    example = REPO / "examples" / "python-policy"
    completed = subprocess.run([sys.executable, "compare_with_power_of_d.py", "10s"], cwd=example, capture_output=True,
                               text=True, timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                   [str(Path(fogsched.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])},
                               check=False)
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert [line.split()[0] for line in lines[1:]] == [
        "threshold_random_py", "threshold_random(threshold=3)", "power_of_d(d=2,threshold=3)"]
