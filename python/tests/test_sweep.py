"""Sweeps over a grid, locally and on a Dask cluster."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

import fogsched
from conftest import SCENARIOS

CITY = SCENARIOS / "city-default.yaml"
GRID = {"load": [0.5, 0.8], "cluster.cameras.slots": [2, 4], "policy": ["local", "power_of_d(d=2,threshold=3)"]}


@pytest.fixture(scope="module")
def local_sweep():
    return fogsched.sweep(CITY, grid=GRID, replications=2, seed=11, duration="30s")


def test_grid_points_are_the_cartesian_product():
    points = fogsched.grid_points({"a": [1, 2], "b": ["x", "y", "z"]})
    assert points == [{"a": a, "b": b} for a in (1, 2) for b in ("x", "y", "z")]
    with pytest.raises(ValueError, match="empty"):
        fogsched.grid_points({"a": []})
    with pytest.raises(TypeError, match="list of values"):
        fogsched.grid_points({"a": "0.5"})


def test_sweep_is_tidy(local_sweep):
    assert len(local_sweep) == 2 * 2 * 2
    assert list(local_sweep.columns[:3]) == ["load", "cluster.cameras.slots", "policy"]
    assert set(local_sweep["policy"]) == {"local", "power_of_d(d=2,threshold=3)"}
    assert (local_sweep["seed"] == 11).all()
    assert not local_sweep.duplicated(["load", "cluster.cameras.slots", "policy"]).any()


def test_each_point_equals_a_direct_run(local_sweep):
    scenario = fogsched.Scenario.load(CITY).set("workload.0.arrivals.load", 0.8).set("cluster.cameras.slots", 2)
    direct = fogsched.run(scenario, policies=["power_of_d(d=2,threshold=3)"], replications=2, seed=11,
                          duration="30s").summary()
    row = local_sweep[(local_sweep["load"] == 0.8) & (local_sweep["cluster.cameras.slots"] == 2)
                      & (local_sweep["policy"] == "power_of_d(d=2,threshold=3)")]
    pd.testing.assert_frame_equal(row[direct.columns].reset_index(drop=True), direct)


def test_load_raises_rejections_for_local(local_sweep):
    local = local_sweep[(local_sweep["policy"] == "local") & (local_sweep["cluster.cameras.slots"] == 4)]
    low, high = local.sort_values("load")["rejection_probability_mean"]
    assert high > low


def test_sweep_without_policy_key_runs_the_scenario_policies():
    frame = fogsched.sweep(SCENARIOS / "erlang-b.yaml", grid={"workload.0.arrivals.rate": ["2/s", "4/s"]},
                           replications=2, duration="1min")
    assert list(frame["policy"]) == ["local", "local"]
    assert list(frame["workload.0.arrivals.rate"]) == ["2/s", "4/s"]


def test_a_local_sweep_runs_every_point_on_one_pool_of_threads(monkeypatch):
    """All points' replications are tasks of one multi-run call, so a point of one
    replication does not leave the other cores idle; the frame is the same on 1 and
    2 threads and the same as each point run alone."""
    grid = {"load": [0.5, 0.7, 0.9], "policy": ["local", "power_of_d"]}
    calls = []
    run_many = fogsched._core.run_many

    def counting_run_many(runs, **kwargs):
        calls.append((len(runs), kwargs["threads"]))
        return run_many(runs, **kwargs)

    monkeypatch.setattr(fogsched._core, "run_many", counting_run_many)
    on_one = fogsched.sweep(CITY, grid=grid, replications=1, seed=5, duration="20s", threads=1)
    on_two = fogsched.sweep(CITY, grid=grid, replications=1, seed=5, duration="20s", threads=2)
    assert calls == [(6, 1), (6, 2)]
    pd.testing.assert_frame_equal(on_one, on_two)
    for (load, policy), row in on_two.groupby(["load", "policy"], sort=False):
        alone = fogsched.run(fogsched.Scenario.load(CITY).set("workload.0.arrivals.load", load), policies=[policy],
                             replications=1, seed=5, duration="20s", threads=1).summary()
        pd.testing.assert_frame_equal(row[alone.columns].reset_index(drop=True), alone)


def test_dask_sweep_equals_local_sweep(local_sweep):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.ERROR) as cluster, distributed.Client(cluster) as client:
        on_dask = fogsched.sweep(CITY, grid=GRID, replications=2, seed=11, duration="30s", client=client)
        # The points really ran in the workers' processes.
        assert len(client.scheduler_info()["workers"]) == 2
    pd.testing.assert_frame_equal(on_dask, local_sweep)
