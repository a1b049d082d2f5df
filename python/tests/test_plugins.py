"""fogsched.load_plugin: a C++ policy plugin (the example ring policy, built with the
tests) named by runs like a built-in; what is no plugin is refused by name."""

from __future__ import annotations

import pytest

import fogsched
from conftest import SCENARIOS


@pytest.fixture(scope="module")
def ring_plugin(cli):
    # build/cli/fogsched -> build/tests/plugins/ring.so (tests/CMakeLists.txt)
    path = cli.parents[1] / "tests" / "plugins" / "ring.so"
    if not path.is_file():
        pytest.fail(f"the example plugin is not built at {path}")
    return path


def test_a_loaded_plugin_policy_runs_and_is_listed_with_its_source(ring_plugin):
    assert fogsched.load_plugin(ring_plugin) == ["ring"]
    assert fogsched.load_plugin(str(ring_plugin)) == ["ring"]  # once per registry, whatever the form
    (ring,) = [p for p in fogsched.policies() if p["name"] == "ring"]
    assert ring["source"] == str(ring_plugin.resolve())
    assert [p["name"] for p in ring["params"]] == ["threshold", "use_cloud"]
    results = fogsched.run(SCENARIOS / "markov-small.yaml", policies=["local", "ring(threshold=1)"],
                           duration="5min", replications=1, seed=3)
    assert results.policies == ["local", "ring(threshold=1,use_cloud=false)"]
    forwarded = {r["policy"]: r["forwarded_fraction"]["mean"] for r in results.report["results"]}
    assert forwarded["ring(threshold=1,use_cloud=false)"] > 0 == forwarded["local"]


def test_what_is_no_plugin_is_refused_by_name(tmp_path):
    with pytest.raises(fogsched.PolicyError, match="plugin .*missing.so: No such file or directory"):
        fogsched.load_plugin(tmp_path / "missing.so")
    not_elf = tmp_path / "text.so"
    not_elf.write_text("not a shared object")
    with pytest.raises(fogsched.PolicyError, match="not a fogsched policy plugin"):
        fogsched.load_plugin(not_elf)
