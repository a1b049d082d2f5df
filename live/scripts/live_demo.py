#!/usr/bin/python3
"""The embedded live demo: a scenario simulated, then replayed against a real
loopback cluster, and the two compared metric by metric.

For each policy of the scenario (or each --policy): `fogsched run` simulates it;
one `fogsched host` and one `fogsched serve` per camera start on loopback, the hosts
running each scenario function as a synthetic function whose service time is the
scenario's divided by the speedup (and, when the scenario has a cloud, one more host
with the cloud's slots that adds its latency, divided by the speedup, each way); `fogsched load` replays the scenario's arrivals
(same generators, same seed) against the nodes; `fogsched compare` prints the
simulated and the live run side by side. The cluster is shut down after each policy,
whatever happened.

    live/scripts/live_demo.py scenarios/live-demo.yaml [--speedup 10] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster import CLI, Cluster  # noqa: E402

_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(ns|us|µs|ms|s|min|h)\s*$")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0}


def seconds(text: str, where: str) -> float:
    match = _DURATION.match(str(text))
    if not match:
        raise SystemExit(f"live_demo: {where}: '{text}' is not a duration such as 250ms or 1s")
    return float(match.group(1)) * _SECONDS[match.group(2)]


def host_service_time(spec: dict, speedup: float, where: str) -> str:
    """The scenario's service time, `speedup` times shorter, as the host's one word."""
    dist = spec.get("dist", "exponential")
    mean = seconds(spec["mean"], f"{where}.mean") / speedup
    if dist in ("exponential", "deterministic"):
        return f"{dist}({mean:.9f}s)"
    if dist == "lognormal":
        return f"lognormal({mean:.9f}s,{spec['cv']})"
    if dist == "uniform":
        low = seconds(spec["min"], f"{where}.min") / speedup
        high = seconds(spec["max"], f"{where}.max") / speedup
        return f"uniform({low:.9f}s,{high:.9f}s)"
    raise SystemExit(f"live_demo: {where}.dist: '{dist}' has no synthetic form on the host")


def cloud_host(scenario: dict, functions: list[dict], speedup: float) -> dict | None:
    """The cloud's host settings, or None when the scenario has no cloud. The host
    models slots and latency; speed, queue and bandwidth other than the defaults
    have no live counterpart here, and are refused."""
    cloud = scenario["cluster"].get("cloud")
    if cloud is None or cloud.get("enabled", True) is False:
        return None
    for key, neutral in (("speed", 1), ("queue", 0), ("bandwidth", 0)):
        if key in cloud and cloud[key] not in (neutral, str(neutral)):
            raise SystemExit(f"live_demo: cluster.cloud.{key}: '{cloud[key]}' has no live counterpart; "
                             f"the demo's cloud host needs {neutral}")
    slots = cloud.get("slots", 64)
    latency = seconds(cloud.get("latency", "0s"), "cluster.cloud.latency") / speedup
    return {"latency": f"{latency:.9f}s", "functions": [{**f, "max_inflight": slots} for f in functions]}


def policy_specs(scenario: dict) -> list[str]:
    """The scenario's policies in the compact form `name(key=value,...)`."""
    specs = []
    for entry in scenario.get("policies", ["local"]):
        if isinstance(entry, str):
            specs.append(entry)
        else:
            params = ",".join(f"{k}={v}" for k, v in entry.items() if k != "name")
            specs.append(f"{entry['name']}({params})" if params else entry["name"])
    return specs


@dataclass
class PolicyRun:
    policy: str
    simulated: dict
    live: dict
    comparison: str


def fogsched(*args: str, timeout: float) -> subprocess.CompletedProcess:
    result = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise SystemExit(f"live_demo: fogsched {' '.join(args[:2])} failed:\n{result.stderr}")
    return result


def run_policy(scenario_path: Path, policy: str, speedup: float, out: Path, log=print,
               replications: int | None = None) -> PolicyRun:
    """Simulates `policy` (the scenario's replications, or the first `replications`),
    replays replication 0's arrivals and service demands live, and compares."""
    scenario = yaml.safe_load(scenario_path.read_text())
    cameras = scenario["cluster"]["cameras"]
    slots = cameras.get("slots", 4)
    if not isinstance(slots, int):
        raise SystemExit("live_demo: cluster.cameras.slots must be one number for a live cluster")
    functions = [{"name": name, "synthetic": host_service_time(spec["service_time"], speedup,
                                                                f"functions.{name}.service_time"),
                  "max_inflight": slots, "seed": 1 + index}
                 for index, (name, spec) in enumerate(scenario["functions"].items())]
    out.mkdir(parents=True, exist_ok=True)
    label = re.sub(r"[^A-Za-z0-9_.-]+", "_", policy)
    simulated_json = out / f"sim-{label}.json"
    live_json = out / f"live-{label}.json"

    log(f"== {policy}: simulating")
    replication_args = ["--replications", str(replications)] if replications else []
    simulated_json.write_text(fogsched("run", str(scenario_path), "--policy", policy, "--json", *replication_args,
                                       timeout=600).stdout)

    duration = seconds(scenario["duration"], "duration")
    log(f"== {policy}: {cameras['count']} hosts and {cameras['count']} nodes on loopback, "
        f"replaying {duration:g} s of the scenario at {speedup:g}x ({duration / speedup:.0f} s)")
    with tempfile.TemporaryDirectory(prefix="fogsched-live-") as directory:
        cluster = Cluster(Path(directory), cameras["count"], policy, functions,
                          cloud=cloud_host(scenario, functions, speedup))
        try:
            cluster.start()
            fogsched("load", str(scenario_path), "--nodes", cluster.urls(), "--speedup", str(speedup),
                     "--json", str(live_json), timeout=duration / speedup + 300)
        finally:
            cluster.close()
    comparison = fogsched("compare", str(simulated_json), str(live_json), timeout=60).stdout
    return PolicyRun(policy, json.loads(simulated_json.read_text()), json.loads(live_json.read_text()), comparison)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--speedup", type=float, default=10.0,
                        help="scenario seconds per real second (default 10)")
    parser.add_argument("--policy", action="append", help="policy spec; repeat for several (default: the scenario's)")
    parser.add_argument("--out", type=Path, default=Path("build/live-demo"), help="where the JSON results go")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    policies = args.policy or policy_specs(yaml.safe_load(args.scenario.read_text()))
    for policy in policies:
        run = run_policy(args.scenario, policy, args.speedup, args.out)
        print(f"\n{policy}: A = simulated, B = live\n{run.comparison}", flush=True)
    print(f"results: {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
