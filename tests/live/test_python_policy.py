"""`fogsched serve --policy python:module:Class`: a policy written in Python decides
live, embedded from the separately built fogsched_python_policy module.

Every request has a timeout; the processes are killed at the end whatever happens.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cluster import CLI, Cluster

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python-policy"
SPEC = "python:threshold_random:ThresholdRandom"
SLOW = {"name": "slow", "synthetic": {"dist": "deterministic", "mean": "1.5s"}, "max_inflight": 2}


@pytest.fixture
def python_path(monkeypatch):
    """The example policy and the `fogsched` package of the CLI's build on the nodes' PYTHONPATH."""
    build_python = Path(CLI).resolve().parents[1] / "python"
    paths = [str(EXAMPLES), str(build_python), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))


def test_a_python_policy_runs_cold_calls_here_and_forwards_hot_ones(tmp_path, python_path):
    cluster = Cluster(tmp_path, 2, SPEC, [SLOW])
    try:
        cluster.start()
        cold = cluster.call(0, "POST", "/function/slow", b"cold")
        assert cold.status == 200, cold.body
        assert cold.header("X-Fogsched-Decision") == "run_local"
        hot, busy = cluster.call_when_full(0, "slow", 2)
        assert hot.status == 200, hot.body
        assert hot.header("X-Fogsched-Decision") == "forward"
        assert hot.header("X-Fogsched-Node") == "n1"
        assert hot.header("X-Fogsched-Hops") == "1"
        assert all(reply.status == 200 for reply in busy)
    finally:
        cluster.close()


def serve_error(*env: tuple[str, str], policy: str) -> str:
    """The stderr of a node that must refuse to start (exit code 2)."""
    completed = subprocess.run([CLI, "serve", "--listen", "127.0.0.1:0", "--policy", policy], capture_output=True,
                               text=True, timeout=60, env={**os.environ, **dict(env)}, check=False)
    assert completed.returncode == 2, completed
    return completed.stderr


def test_an_import_error_is_reported_with_its_text(python_path):
    stderr = serve_error(policy="python:no_such_module:Policy")
    assert "python:no_such_module:Policy: ModuleNotFoundError: No module named 'no_such_module'" in stderr
    stderr = serve_error(policy="python:threshold_random:Missing")
    assert "AttributeError: module 'threshold_random' has no attribute 'Missing'" in stderr
    stderr = serve_error(policy="python:os:getcwd")
    assert "os.getcwd is <built-in function getcwd>, not a fogsched.Policy subclass or instance" in stderr


def test_a_missing_embedding_is_reported(tmp_path, python_path):
    stderr = serve_error(("FOGSCHED_PYTHON_POLICY_MODULE", str(tmp_path / "absent.so")), policy=SPEC)
    assert "policies written in Python need libfogsched_python_policy.so" in stderr
    assert "-DFOGSCHED_BUILD_PYTHON=ON" in stderr


def test_a_config_file_names_a_python_policy(tmp_path):
    config = tmp_path / "node.yaml"
    config.write_text(f"policy: {SPEC}\n")
    completed = subprocess.run([CLI, "serve", "--config", str(config), "--print-config"], capture_output=True,
                               text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    assert f"policy: {SPEC}" in completed.stdout


RAISING = '''
import fogsched

class Raising(fogsched.Policy):
    def decide(self, invocation, ctx):
        raise ValueError("no decision today")
'''


def test_a_policy_that_raises_fails_the_call_and_logs_its_traceback(tmp_path, python_path, monkeypatch):
    (tmp_path / "raising.py").write_text(RAISING)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), os.environ["PYTHONPATH"]]))
    cluster = Cluster(tmp_path, 1, "python:raising:Raising", [SLOW])
    try:
        cluster.start()
        for _ in range(2):
            assert cluster.call(0, "POST", "/function/slow", b"x").status == 500
        assert cluster.nodes[0].poll() is None, "the node goes on"
    finally:
        cluster.close()
    stderr = cluster.stderr_file("n0").read_text()
    assert "policy 'Raising' (Python) raised in decide on node 0, deciding invocation 1 (function 0, hops 0)" in stderr
    assert 'raise ValueError("no decision today")' in stderr
