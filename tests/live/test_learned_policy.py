"""A learning policy in live mode: a model trained in the simulator (`fogsched train`)
served by a node that replays it (`learn=false`), and a node that keeps learning and
saves its table (`--policy-save`) when it is stopped with SIGTERM.

Every request has a timeout and every loop a bound; the nodes are killed at the end
of each test whatever happens.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cluster import CLI, Cluster

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "markov-small.yaml"
FAST = {"name": "fast", "synthetic": {"dist": "deterministic", "mean": "0s"}, "max_inflight": 4}
CALLS = 30
# The table's actions, in the order of a row (policies/tabular_learner.h).
RUN_HERE, REJECT = 0, 3


@pytest.fixture
def trained(tmp_path) -> Path:
    """A tiny model: two short episodes of a three-camera scenario."""
    out = tmp_path / "trained.json"
    subprocess.run([CLI, "train", str(SCENARIO), "--policy", "sarsa(epsilon=0.5)", "--episodes", "2",
                    "--duration", "30s", "--replications", "1", "--threads", "1", "--out", str(out)],
                   check=True, capture_output=True, timeout=60)
    return out


@pytest.fixture
def node_factory(tmp_path):
    started: list[Cluster] = []

    def make(policy: str, node_args: list[str] | None = None) -> Cluster:
        cluster = Cluster(tmp_path, 1, policy, [FAST], node_args=node_args or [])
        started.append(cluster)
        return cluster.start()

    yield make
    for cluster in started:
        cluster.close()


def visits(table: dict) -> int:
    return sum(table["visits"])


def parses_as_model(path: Path) -> bool:
    """Whether a node would start from `path`: `--print-config` configures the policy,
    which parses its model."""
    checked = subprocess.run([CLI, "serve", "--policy", f"sarsa(model={path},learn=false)", "--print-config"],
                             capture_output=True, timeout=30)
    return checked.returncode == 0


def test_a_trained_model_decides_without_learning(trained, node_factory):
    model = json.loads(trained.read_text())
    # One call at a time on an idle node: every decision is made in state 0, where
    # the node has no peers and may only run the call or reject it; the greedy choice
    # breaks ties toward running.
    row = model["nodes"]["0"]["values"][0:4]
    expected = "run_local" if row[RUN_HERE] >= row[REJECT] else "reject"
    node = node_factory(f"sarsa(model={trained},learn=false)")
    for _ in range(CALLS):
        reply = node.call(0, "POST", "/function/fast", b"x")
        assert reply.header("X-Fogsched-Decision") == expected, reply.body
        assert reply.status == (200 if expected == "run_local" else 429)

    # A table that prefers rejecting is followed as faithfully.
    row[REJECT] = row[RUN_HERE] + 1.0
    model["nodes"]["0"]["values"][0:4] = row
    rejecting = trained.with_name("rejecting.json")
    rejecting.write_text(json.dumps(model))
    node = node_factory(f"sarsa(model={rejecting},learn=false)")
    for _ in range(CALLS):
        reply = node.call(0, "POST", "/function/fast", b"x")
        assert reply.status == 429
        assert reply.header("X-Fogsched-Decision") == "reject"


def test_a_learning_node_saves_its_table_on_sigterm(trained, node_factory, tmp_path):
    saved = tmp_path / "learned-live.json"
    node = node_factory(f"sarsa(model={trained},learn=true,epsilon=0.5)", ["--policy-save", str(saved)])
    for _ in range(CALLS):
        assert node.call(0, "POST", "/function/fast", b"x").status in {200, 429}
    node.terminate_node(0)
    node.nodes[0].communicate(timeout=20)
    assert node.nodes[0].returncode == 0

    assert parses_as_model(saved)
    learned = json.loads(saved.read_text())
    started = json.loads(trained.read_text())["nodes"]["0"]
    assert learned["policy"].startswith("sarsa(")
    assert learned["episodes"] == 0
    assert learned["shared"] == learned["nodes"]["0"]
    assert visits(learned["nodes"]["0"]) > visits(started)
