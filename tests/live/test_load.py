"""`fogsched load` end to end: a scenario's arrivals replayed against a loopback
cluster of `fogsched host` + `fogsched serve` processes, checked against the
simulator's own arrivals and the nodes' /metrics; then `fogsched compare`.

The functions' service times are the scenario's divided by the speedup, so a minute
of scenario time runs in about three seconds. Every process has a timeout and the
cluster is killed at the end of each test whatever happens.
"""

from __future__ import annotations

import csv
import json
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from cluster import CLI, Cluster

SPEEDUP = 20
RUN_TIMEOUT_S = 120
OUTCOMES = ("completed", "deadline_missed", "rejected", "failed")
# 4 cameras with K = 2 at 1.6 calls/s of a 1 s exponential service: offered load 0.8
# per slot, so about a third of the calls find no free slot at home.
SCENARIO = """\
name: live-load-test
seed: 5
duration: {duration}
warmup: {warmup}
replications: 2
cluster:
  cameras: {{count: 4, layout: grid, spacing: 200m, slots: 2, queue: 0}}
functions:
  plate:
    service_time: {{dist: exponential, mean: 1s}}
    payload: 2KB
    deadline: 3s
workload:
  - function: plate
    arrivals: {{process: poisson, rate: 1.6/s}}
policies:
  - local
"""


def plate_function(service: str = f"exponential({1000 // SPEEDUP}ms)") -> dict:
    """The scenario's function on a host: its service time scaled by the speedup."""
    return {"name": "plate", "synthetic": service, "max_inflight": 2, "seed": 3}


@pytest.fixture
def cluster_factory(tmp_path):
    started: list[Cluster] = []

    def make(policy: str, size: int = 4, functions=None) -> Cluster:
        cluster = Cluster(tmp_path, size, policy, functions or [plate_function()])
        started.append(cluster)
        return cluster.start()

    yield make
    for cluster in started:
        cluster.close()


def write_scenario(directory: Path, duration: str = "60s", warmup: str = "0s") -> Path:
    path = directory / "scenario.yaml"
    path.write_text(SCENARIO.format(duration=duration, warmup=warmup))
    return path


def fogsched(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


def simulate(directory: Path, scenario: Path, policy: str) -> tuple[dict, list[dict]]:
    """Replication 0 of the simulator: its results JSON and its trace rows."""
    trace = directory / "sim.csv"
    done = fogsched("run", str(scenario), "--policy", policy, "--replications", "1", "--json", "--trace", str(trace))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), read_trace(trace)


def load(directory: Path, scenario: Path, cluster: Cluster, *extra: str) -> tuple[dict, list[dict], str]:
    """`fogsched load` against the cluster: its results JSON, trace rows and stderr."""
    results, trace = directory / "live.json", directory / "live.csv"
    done = fogsched("load", str(scenario), "--nodes", cluster.urls(), "--speedup", str(SPEEDUP),
                    "--json", str(results), "--trace", str(trace), *extra)
    assert done.returncode == 0, done.stderr
    assert "batch means" in done.stdout
    return json.loads(results.read_text()), read_trace(trace), done.stderr


def read_trace(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def node_counts(cluster: Cluster) -> Counter:
    """fogsched_invocations_total over all nodes, by (decision, outcome)."""
    counts: Counter = Counter()
    for node in range(cluster.size):
        for key, value in cluster.metrics(node).items():
            if key.startswith("fogsched_invocations_total{"):
                labels = dict(part.split("=") for part in key[key.index("{") + 1:-1].split(","))
                counts[(labels["decision"].strip('"'), labels["outcome"].strip('"'))] += int(value)
    return counts


def test_load_replays_the_simulators_arrivals_and_accounts_for_each(cluster_factory, tmp_path):
    scenario = write_scenario(tmp_path)
    simulated, sim_trace = simulate(tmp_path, scenario, "local")
    cluster = cluster_factory("local")
    live, live_trace, _ = load(tmp_path, scenario, cluster)

    [sim_result], [live_result] = simulated["results"], live["results"]
    assert live["scenario"] == "live-load-test"
    assert live_result["policy"] == "local"
    assert live_result["invocations"] == sim_result["invocations"] == len(live_trace) > 100
    # The same invocations, at the same times, from the same cameras (the
    # simulator's trace leaves out the few still running at its end).
    by_id = {row["id"]: row for row in live_trace}
    assert len(by_id) == len(live_trace)
    assert len(live_trace) - 10 < len(sim_trace) <= len(live_trace)
    for row in sim_trace:
        replayed = by_id[row["id"]]
        assert replayed["origin"] == row["origin"]
        assert replayed["arrival_s"] == row["arrival_s"]

    outcomes = Counter(row["outcome"] for row in live_trace)
    assert sum(outcomes[o] for o in OUTCOMES) == live_result["invocations"]
    assert outcomes["rejected"] > 0 and outcomes["completed"] > 0 and outcomes["failed"] == 0
    # `local` never forwards or probes; it rejects on the camera itself.
    for row in live_trace:
        assert (row["hops"], row["probes"], row["executed_on"]) == ("0", "0", row["origin"])
        assert row["decision"] == ("reject" if row["outcome"] == "rejected" else "run_local")
        assert float(row["start_s"]) <= float(row["end_s"])

    # With no warm-up and no forwards, the nodes counted exactly the client's calls
    # (a deadline miss is a completed call to the node, which knows no deadlines).
    counted = node_counts(cluster)
    assert counted[("run_local", "completed")] == outcomes["completed"] + outcomes["deadline_missed"]
    assert counted[("reject", "rejected")] == outcomes["rejected"]
    assert sum(counted.values()) == len(live_trace)


def test_power_of_d_decisions_and_hops_are_recorded_as_the_nodes_reported_them(cluster_factory, tmp_path):
    scenario = write_scenario(tmp_path, duration="90s", warmup="10s")
    simulated, sim_trace = simulate(tmp_path, scenario, "power_of_d(d=2,threshold=2)")
    cluster = cluster_factory("power_of_d(d=2,threshold=2)")
    live, live_trace, _ = load(tmp_path, scenario, cluster)

    [sim_result], [live_result] = simulated["results"], live["results"]
    assert live_result["policy"] == "power_of_d(d=2,threshold=2)"
    # Warm-up arrivals are sent but not counted, as in the simulator.
    assert live_result["invocations"] == sim_result["invocations"] == len(live_trace)
    assert {row["id"] for row in live_trace} >= {row["id"] for row in sim_trace}
    assert min(float(row["arrival_s"]) for row in live_trace) >= 10.0

    forwarded = [row for row in live_trace if row["decision"] == "forward"]
    assert forwarded, "a hot camera must forward some calls"
    for row in forwarded:
        assert row["hops"] == "1" and row["probes"] == "2"
        assert row["executed_on"] != row["origin"]
    for row in live_trace:
        if row["decision"] == "run_local":
            assert row["executed_on"] == row["origin"] and row["hops"] == "0"
    measured_forwarded = len([r for r in live_trace if r["executed_on"] != r["origin"]])
    assert live_result["forwarded_fraction"]["mean"] == pytest.approx(measured_forwarded / len(live_trace), abs=0.03)

    # Every origin decision the nodes counted, warm-up included, is at least what the
    # measured trace shows.
    counted = node_counts(cluster)
    assert sum(v for (decision, _), v in counted.items() if decision == "forward") >= len(forwarded)


def test_compare_prints_simulated_and_live_side_by_side(cluster_factory, tmp_path):
    scenario = write_scenario(tmp_path, duration="60s", warmup="6s")
    simulated = tmp_path / "sim.json"
    done = fogsched("run", str(scenario), "--policy", "local", "--replications", "5", "--json")
    assert done.returncode == 0, done.stderr
    simulated.write_text(done.stdout)
    cluster = cluster_factory("local", size=4)
    load(tmp_path, scenario, cluster)

    compared = fogsched("compare", str(simulated), str(tmp_path / "live.json"))
    assert compared.returncode == 0, compared.stderr
    rows = compared.stdout.splitlines()
    for label in ["rejection probability", "forwarded fraction", "probes per invocation", "response mean [ms]",
                  "response p50 [ms]", "response p95 [ms]", "response p99 [ms]", "deadline-miss rate",
                  "utilization", "failed fraction"]:
        [row] = [r for r in rows if r.startswith(label + "  ")]
        assert row.rstrip().endswith(("yes", "no")), row
    as_json = fogsched("compare", str(simulated), str(tmp_path / "live.json"), "--json")
    assert as_json.returncode == 0
    [policy] = json.loads(as_json.stdout)["policies"]
    assert policy["policy_a"] == policy["policy_b"] == "local"
    assert len(policy["metrics"]) == 10


def test_requests_beyond_max_outstanding_are_counted_as_failed_not_dropped(cluster_factory, tmp_path):
    scenario = write_scenario(tmp_path, duration="30s")
    cluster = cluster_factory("local", size=2)
    live, live_trace, stderr = load(tmp_path, scenario, cluster, "--max-outstanding", "1")
    [result] = live["results"]
    outcomes = Counter(row["outcome"] for row in live_trace)
    assert outcomes["failed"] > 0
    assert sum(outcomes[o] for o in OUTCOMES) == result["invocations"] == len(live_trace)
    assert f"not sent over --max-outstanding: {outcomes['failed']}" in stderr
    assert result["failed_fraction"]["mean"] == pytest.approx(outcomes["failed"] / len(live_trace), abs=0.05)


def test_hard_stop_abandons_outstanding_requests_as_failed(cluster_factory, tmp_path):
    scenario = write_scenario(tmp_path, duration="10s")
    # Every call holds its slot far longer than the hard stop allows.
    cluster = cluster_factory("local", size=2, functions=[plate_function("deterministic(20s)")])
    started = time.monotonic()
    live, live_trace, stderr = load(tmp_path, scenario, cluster, "--hard-stop", "1s", "--batches", "2",
                                   "--no-service-times")
    assert time.monotonic() - started < 15
    outcomes = Counter(row["outcome"] for row in live_trace)
    assert outcomes["completed"] == 0
    assert outcomes["failed"] > 0
    assert outcomes["failed"] + outcomes["rejected"] == len(live_trace) == live["results"][0]["invocations"]
    assert f"abandoned at the hard stop: {outcomes['failed']}" in stderr


def test_bad_input_exits_2_naming_what_is_wrong(tmp_path):
    scenario = write_scenario(tmp_path)
    bad_url = fogsched("load", str(scenario), "--nodes", "ftp://127.0.0.1:1")
    assert bad_url.returncode == 2 and "ftp://127.0.0.1:1" in bad_url.stderr
    silent = fogsched("load", str(scenario), "--nodes", "http://127.0.0.1:1", "--speedup", "20")
    assert silent.returncode == 2 and "http://127.0.0.1:1" in silent.stderr and "/status" in silent.stderr
    missing = fogsched("load", str(tmp_path / "missing.yaml"), "--nodes", "http://127.0.0.1:1")
    assert missing.returncode == 2 and "missing.yaml" in missing.stderr


AZURE_SCENARIO = """\
name: live-load-azure
seed: 5
duration: 40s
replications: 1
cluster:
  cameras: {count: 2, layout: grid, spacing: 200m, slots: 8, queue: 0}
functions:
  plate:
    service_time: {dist: exponential, mean: 1s}
    payload: 2KB
workload:
  - function: plate
    arrivals: {process: azure2019, invocations: inv.csv, durations: dur.csv, within_minute: poisson}
  - function: plate
    arrivals: {process: azure2021, file: trace2021.csv, placement: spread}
policies:
  - local
"""


def write_azure_scenario(directory: Path) -> Path:
    """Small files in both Azure formats: 2019 (one minute, two apps) and 2021
    (80 invocations over 40 s)."""
    percentiles = "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum," + ",".join(
        f"percentile_Average_{p}" for p in (0, 1, 25, 50, 75, 99, 100))
    (directory / "dur.csv").write_text(percentiles + "\no,a0,f0,400,1,100,900,100,150,300,400,500,800,900\n"
                                       "o,a1,f1,200,1,50,500,50,80,150,200,250,400,500\n")
    (directory / "inv.csv").write_text("HashOwner,HashApp,HashFunction,Trigger,1\no,a0,f0,http,40\no,a1,f1,timer,30\n")
    rows = ["app,func,end_timestamp,duration"]
    for i in range(80):
        duration = 0.2 + (i % 5) * 0.1
        rows.append(f"app{i % 3},fn{i % 4},{i * 0.5 + duration:.3f},{duration:.3f}")
    (directory / "trace2021.csv").write_text("\n".join(rows) + "\n")
    path = directory / "azure.yaml"
    path.write_text(AZURE_SCENARIO)
    return path


def test_load_replays_azure_traces_with_the_simulators_arrivals_and_demands(cluster_factory, tmp_path):
    scenario = write_azure_scenario(tmp_path)
    simulated, sim_trace = simulate(tmp_path, scenario, "local")
    cluster = cluster_factory("local", size=2, functions=[{**plate_function(), "max_inflight": 8}])
    live, live_trace, _ = load(tmp_path, scenario, cluster)

    [sim_result], [live_result] = simulated["results"], live["results"]
    assert live_result["invocations"] == sim_result["invocations"] == len(live_trace) > 100
    by_id = {row["id"]: row for row in live_trace}
    assert len(live_trace) - 10 < len(sim_trace) <= len(live_trace)
    for row in sim_trace:
        replayed = by_id[row["id"]]
        assert (replayed["origin"], replayed["arrival_s"]) == (row["origin"], row["arrival_s"])
    # The service demands travel with the calls: the nodes spend about the
    # simulator's service time in total (wall-clock jitter aside).
    def busy(rows):
        return sum(float(r["end_s"]) - float(r["start_s"]) for r in rows if r["outcome"] == "completed")

    both = [by_id[row["id"]] for row in sim_trace]
    assert all(r["outcome"] == "completed" for r in both)
    assert busy(both) == pytest.approx(busy(sim_trace), rel=0.15)
