"""The Python threshold_random beside the C++ one and power_of_d, as a notebook cell.

    cd examples/python-policy
    PYTHONPATH=../../build/python /usr/bin/python3 compare_with_power_of_d.py [DURATION]
"""

import sys
from pathlib import Path

import fogsched
from threshold_random import ThresholdRandom

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "city-default.yaml"
duration = sys.argv[1] if len(sys.argv) > 1 else "5min"

results = fogsched.run(SCENARIO, policies=[ThresholdRandom, "threshold_random", "power_of_d(d=2,threshold=3)"],
                       replications=3, seed=1, duration=duration)
columns = ["policy", "rejection_probability_mean", "forwarded_fraction_mean", "probes_per_invocation_mean",
           "response_time_s_p95_mean"]
print(results.summary()[columns].to_string(index=False))
