#!/usr/bin/python3
"""What a policy written in Python costs against the same policy in C++, in one run.

1. Simulator: the built-in ``threshold_random`` and its Python port
   (examples/python-policy/threshold_random.py) on the same scenario and seed, one
   replication on one thread each, in this process. Both make the same decisions,
   so the engine processes the same events; events per second, the ratio, and the
   added cost per ``decide`` call (the Python policy's calls are counted in a third,
   untimed run).
2. Live: a ``fogsched host`` with a no-op function, and two ``fogsched serve`` nodes
   in front of it, one with ``threshold_random``, one with
   ``python:threshold_random:ThresholdRandom``; ``bench_live_latency`` at a fixed
   rate through each and direct, in rounds whose order rotates (bench/live's
   helpers); the median over rounds of p50 and p99, and what each node adds.

Needs the build's ``fogsched`` package on PYTHONPATH and, for the live part,
``build/bench/bench_live_latency``:

    PYTHONPATH=build/python /usr/bin/python3 bench/python_policy_bench.py [--duration 10min] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench" / "live"))
sys.path.insert(0, str(ROOT / "examples" / "python-policy"))

import bench_live  # noqa: E402
import fogsched  # noqa: E402
from threshold_random import ThresholdRandom  # noqa: E402

SCENARIO = ROOT / "scenarios" / "city-default.yaml"
PYTHON_SPEC = "python:threshold_random:ThresholdRandom"


class CountingThresholdRandom(ThresholdRandom):
    name = "counting_threshold_random"
    calls = 0

    def decide(self, invocation, ctx):
        type(self).calls += 1
        return super().decide(invocation, ctx)


def simulate(policy, duration: str, seed: int) -> tuple[float, int]:
    """Wall seconds and engine events of one replication on one thread."""
    document = fogsched.Scenario.load(SCENARIO).document
    specs, python_policies = ["threshold_random"], []
    if not isinstance(policy, str):
        specs = [fogsched._policy.policy_name(policy)]
        python_policies = [(specs[0], policy)]
    started = time.perf_counter()
    output = fogsched._core.run(document, policies=specs, replications=1, seed=seed, threads=1, duration=duration,
                                python_policies=python_policies)
    return time.perf_counter() - started, output["engine_events"][0]


def simulator_figures(duration: str, seed: int) -> dict:
    load_before = os.getloadavg()[0]
    cpp_s, cpp_events = simulate("threshold_random", duration, seed)
    python_s, python_events = simulate(ThresholdRandom, duration, seed)
    CountingThresholdRandom.calls = 0
    simulate(CountingThresholdRandom, duration, seed)
    decides = CountingThresholdRandom.calls
    return {
        "scenario": SCENARIO.name, "duration": duration, "seed": seed,
        "events": cpp_events, "same_events": cpp_events == python_events, "decide_calls": decides,
        "cpp": {"seconds": round(cpp_s, 3), "events_per_s": round(cpp_events / cpp_s)},
        "python": {"seconds": round(python_s, 3), "events_per_s": round(python_events / python_s)},
        "python_over_cpp_time": round(python_s / cpp_s, 1),
        "added_us_per_decide": round((python_s - cpp_s) / decides * 1e6, 2),
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def live_figures(cli: Path, generator: Path, rate: float, seconds: float, rounds: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="fogsched-python-policy-bench-") as tmp, bench_live.Processes() as procs:
        directory = Path(tmp)
        secrets = directory / "secrets"
        secrets.mkdir()
        (secrets / "basic-auth-user").write_text("admin\n")
        (secrets / "basic-auth-password").write_text("bench-secret\n")
        (secrets / "fogsched-peer-token").write_text(bench_live.PEER_TOKEN + "\n")
        listening = r"^listening on .*:(\d+)$"
        host_config = bench_live.write_host_config(directory, "host", secrets)
        host = procs.start("host", [str(cli), "host", "--config", str(host_config), "--threads", "2"], listening)
        host_port = int(host.ready_match.group(1))
        ports = {"direct": host_port}
        pids = {"direct": {"host": host.process.pid}}
        for name, policy in (("cpp", "threshold_random"), ("python", PYTHON_SPEC)):
            port = bench_live.free_port()
            config = bench_live.write_node_config(directory, f"node-{name}", f"127.0.0.1:{port}", host_port, policy,
                                                  [], secrets)
            node = procs.start(f"node-{name}", [str(cli), "serve", "--config", str(config)], listening)
            ports[name] = port
            pids[name] = {"host": host.process.pid, "node": node.process.pid}
        per_path: dict[str, list[dict]] = {name: [] for name in ports}
        names = list(ports)
        for r in range(rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                print(f"live, round {r + 1}/{rounds}: {name} ...", file=sys.stderr, flush=True)
                per_path[name].append(bench_live.run_latency(generator, ports[name], pids[name], rate, seconds))
    paths = {name: {q: statistics.median(run["latency_us"][q] for run in runs) for q in ("p50", "p99")}
             for name, runs in per_path.items()}
    errors = {name: sum(run["errors"] for run in runs) for name, runs in per_path.items()}
    node_cpu = {name: statistics.median(run["per_request"]["node"]["cpu_us"] for run in per_path[name])
                for name in ("cpp", "python")}
    added = {name: {q: round(paths[name][q] - paths["direct"][q], 1) for q in ("p50", "p99")}
             for name in ("cpp", "python")}
    return {"rate": rate, "seconds_per_round": seconds, "rounds": rounds, "latency_us": paths, "added_us": added,
            "python_minus_cpp_us": {q: round(added["python"][q] - added["cpp"][q], 1) for q in ("p50", "p99")},
            "node_cpu_us_per_request": node_cpu, "errors": errors,
            "load_average_1min": round(os.getloadavg()[0], 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", default="10min", help="simulated time of each run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=1000.0, help="live requests per second")
    parser.add_argument("--seconds", type=float, default=3.0, help="live seconds per path and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-live", action="store_true", help="the simulator part only")
    parser.add_argument("--cli", type=Path, default=ROOT / "build" / "cli" / "fogsched")
    parser.add_argument("--generator", type=Path, default=ROOT / "build" / "bench" / "bench_live_latency")
    args = parser.parse_args()
    report = {"simulator": simulator_figures(args.duration, args.seed)}
    if not args.no_live:
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT / "examples" / "python-policy"), os.environ.get("PYTHONPATH", "")])
        report["live"] = live_figures(args.cli, args.generator, args.rate, args.seconds, args.rounds)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
