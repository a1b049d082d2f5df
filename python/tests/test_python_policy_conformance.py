"""The Python port of threshold_random decides as the C++ policy does.

Both run the same scenario and seed in one run: every invocation's record (origin,
node it ran on, hops, decision, outcome, times) must be equal, and the results JSON
equal byte for byte once the policy's name is set aside. The decisions draw from the
node's random stream, so equal records also mean equal draws.
"""

from __future__ import annotations

import json
import sys

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
