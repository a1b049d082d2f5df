"""The policy SDK as a researcher uses it: `make install` into a prefix, the example
plugin (examples/policy-plugin) built against it out of tree with its unit test, then
simulated with `--plugin` and run by a live node of the installed `fogsched`; the
Python example imported from the installed package and run live the same way.

One install and one example build per module (about a minute on 2 cores); every
command has a timeout, every live cluster is killed at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cluster import CLI, Cluster

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("FOGSCHED_BUILD_DIR", Path(CLI).resolve().parents[1]))
PLUGIN_EXAMPLE = REPO / "examples" / "policy-plugin"
PYTHON_EXAMPLE = REPO / "examples" / "python-policy"
SLOW = {"name": "slow", "synthetic": {"dist": "deterministic", "mean": "1.5s"}, "max_inflight": 2}


def run(argv: list[str], timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    completed = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout,
                               check=False, **kwargs)
    assert completed.returncode == 0, f"{argv}\n{completed.stdout}\n{completed.stderr}"
    return completed


@pytest.fixture(scope="module")
def prefix(tmp_path_factory) -> Path:
    """`make install` of this build, into a fresh prefix."""
    prefix = tmp_path_factory.mktemp("prefix")
    run(["cmake", "--install", BUILD, "--prefix", prefix])
    return prefix


@pytest.fixture(scope="module")
def example(prefix, tmp_path_factory) -> Path:
    """examples/policy-plugin copied to a folder of its own and built against `prefix`."""
    project = tmp_path_factory.mktemp("example") / "policy-plugin"
    shutil.copytree(PLUGIN_EXAMPLE, project)
    run(["cmake", "-S", project, "-B", project / "build", "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
         f"-DCMAKE_PREFIX_PATH={prefix}"])
    run(["cmake", "--build", project / "build", "-j", "2"], timeout=900)
    return project


def python_site(prefix: Path) -> Path:
    return prefix / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "dist-packages"


def test_install_holds_the_command_the_sdk_and_no_simulator_headers(prefix):
    assert (prefix / "bin" / "fogsched").is_file()
    assert (prefix / "lib" / "cmake" / "fogsched" / "fogschedConfig.cmake").is_file()
    headers = prefix / "include" / "fogsched"
    for header in ["core/policy.h", "policies/policy_definition.h", "testing/fake_node_context.h", "version.h"]:
        assert (headers / header).is_file(), header
    assert not (headers / "core" / "scenario.h").exists()
    assert not (headers / "sim").exists() and not (headers / "live").exists()
    # The installed command finds its libraries in the prefix, not in the build tree.
    listed = run(["ldd", prefix / "bin" / "fogsched"]).stdout
    assert f"{prefix}/bin/../lib/libfogsched_core.so" in listed, listed


def test_the_python_package_goes_where_debian_python_looks_under_usr_local(prefix):
    site = python_site(prefix)
    assert (site / "fogsched" / "__init__.py").is_file()
    # With the prefix /usr/local, `import fogsched` needs no PYTHONPATH: Debian's python3
    # has /usr/local/lib/python3.X/dist-packages on its path.
    search_path = run(["/usr/bin/python3", "-c", "import sys; print('\\n'.join(sys.path))"],
                      env={"PATH": os.environ["PATH"]}).stdout.split()
    assert "/usr/local/" + str(site.relative_to(prefix)) in search_path, search_path


def test_the_example_plugin_builds_out_of_tree_and_its_test_passes(example):
    assert (example / "build" / "ring.so").is_file()
    tested = run(["ctest", "--test-dir", example / "build", "--output-on-failure"])
    assert "100% tests passed" in tested.stdout and "out of 5" in tested.stdout, tested.stdout


def test_the_installed_command_simulates_the_plugin(prefix, example):
    fogsched = prefix / "bin" / "fogsched"
    listed = run([fogsched, "policies", "--plugin", example / "build" / "ring.so"]).stdout
    assert "ring" in listed and f"from {example / 'build' / 'ring.so'}" in listed, listed
    # The scenario names the plugin itself (plugins: [build/ring.so]).
    results = json.loads(run([fogsched, "run", example / "scenario.yaml", "--json", "--threads", "2"]).stdout)
    by_policy = {r["policy"]: r for r in results["results"]}
    assert set(by_policy) == {"local", "ring(threshold=2,use_cloud=false)"}, by_policy.keys()
    # The busy camera's overflow moves: ring forwards, and rejects less than local.
    ring, local = by_policy["ring(threshold=2,use_cloud=false)"], by_policy["local"]
    assert ring["forwarded_fraction"]["mean"] > 0 and local["forwarded_fraction"]["mean"] == 0
    assert ring["rejection_probability"]["mean"] < local["rejection_probability"]["mean"], (ring, local)


def test_a_live_node_of_the_installed_command_runs_the_plugin(prefix, example, tmp_path):
    cluster = Cluster(tmp_path, 3, "ring(threshold=2)", [SLOW], cli=str(prefix / "bin" / "fogsched"),
                      node_args=["--plugin", str(example / "build" / "ring.so")])
    try:
        cluster.start()
        hot, busy = cluster.call_when_full(1, "slow", 2)
        assert hot.status == 200, hot.body
        assert hot.header("X-Fogsched-Decision") == "forward"
        # Another camera ran it (which one follows the ids this node gives its peers).
        assert hot.header("X-Fogsched-Node") in {"n0", "n2"}, hot.header("X-Fogsched-Node")
        assert all(reply.status == 200 for reply in busy)
    finally:
        cluster.close()


def test_the_python_example_runs_from_the_installed_package(prefix, tmp_path):
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": os.pathsep.join([str(python_site(prefix)), str(PYTHON_EXAMPLE)])}
    script = ("import fogsched, threshold_random\n"
              "r = fogsched.run('" + str(REPO / "scenarios" / "markov-small.yaml") + "', "
              "policies=[threshold_random.ThresholdRandom, 'threshold_random'], duration='2min', replications=1)\n"
              "print(fogsched.__file__)\n"
              "print(len(r.policies))\n")
    out = run(["/usr/bin/python3", "-c", script], env=env, cwd=tmp_path).stdout.split()
    assert out[0].startswith(str(prefix)), out
    assert out[1] == "2"


def test_a_live_node_of_the_installed_command_runs_the_python_policy(prefix, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(python_site(prefix)), str(PYTHON_EXAMPLE)]))
    cluster = Cluster(tmp_path, 2, "python:threshold_random:ThresholdRandom", [SLOW],
                      cli=str(prefix / "bin" / "fogsched"))
    try:
        cluster.start()
        hot, busy = cluster.call_when_full(0, "slow", 2)
        assert hot.status == 200, hot.body
        assert hot.header("X-Fogsched-Decision") == "forward"
        assert all(reply.status == 200 for reply in busy)
    finally:
        cluster.close()
