"""Live and simulated runs agree (issue: live benchmarking, agreement test).

`scenarios/live-demo.yaml` (seed 11: eight cameras, K = 2, loss nodes, Poisson
arrivals at 0.6 Erlang per slot, exponential 1 s service, a cloud of 4 slots 100 ms
away) is simulated, and its replication 0 is replayed against eight `fogsched host` +
`fogsched serve` pairs on loopback, with one more host as the cloud that adds the
scenario's latency: five scenario minutes at 10x, so 30 s per policy. The replay sends the very
arrivals and service demands of replication 0, so the live run and the simulated one
follow the same sample path; what may differ is only what real time does to it
(network and scheduling delays, timer slack). The rejection probability and the
forwarded fraction must agree within 0.03 absolute.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from live_demo import run_policy

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "live-demo.yaml"
SPEEDUP = 10
TOLERANCE = 0.03


@pytest.mark.parametrize("policy", ["local", "power_of_d(d=2,threshold=2)", "cloud_offload(threshold=2)"])
def test_live_rejection_and_forwarding_agree_with_the_simulation(tmp_path, policy):
    run = run_policy(SCENARIO, policy, SPEEDUP, tmp_path, log=lambda *_: None, replications=1)
    simulated, live = run.simulated["results"][0], run.live["results"][0]
    assert live["invocations"] == simulated["invocations"], "the replay sends every simulated arrival"
    assert live["failed_fraction"]["mean"] == 0
    for metric in ("rejection_probability", "forwarded_fraction"):
        difference = live[metric]["mean"] - simulated[metric]["mean"]
        assert abs(difference) <= TOLERANCE, (
            f"{metric}: simulated {simulated[metric]['mean']:.4f}, live {live[metric]['mean']:.4f}\n{run.comparison}")
    if not policy.startswith("local"):
        assert simulated["forwarded_fraction"]["mean"] > 0.1, "the scenario really moves calls"
