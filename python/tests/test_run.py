"""fogsched.run against the CLI, summaries and traces."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import fogsched
from conftest import SCENARIOS

CITY = SCENARIOS / "city-default.yaml"
POLICIES = ["local", "power_of_d(d=2,threshold=3)", "least_loaded(gossip_interval=1s)"]


@pytest.fixture(scope="module")
def city_results():
    return fogsched.run(CITY, policies=POLICIES, replications=3, seed=7, duration="1min", trace=True)


def test_run_equals_the_cli_json_for_the_same_seed(city_results, cli_json):
    args = [str(CITY), "--replications", "3", "--seed", "7", "--duration", "1min"]
    for policy in POLICIES:
        args += ["--policy", policy]
    expected = cli_json(*args)
    assert city_results.report == expected  # every number exactly
    assert json.loads(city_results.to_json()) == expected


def test_overrides_and_scenario_defaults_match_the_cli(cli_json):
    scenario = fogsched.Scenario.load(CITY).set("cluster.cameras.slots", 2).set("workload.0.arrivals.load", 0.7)
    results = fogsched.run(scenario, duration="30s", threads=1)
    expected = cli_json(str(CITY), "--set", "cluster.cameras.slots=2", "--set", "workload.0.arrivals.load=0.7",
                        "--duration", "30s")
    assert results.report == expected
    assert len(results.policies) == 7  # the scenario's own list


def test_summary_columns_are_the_flattened_cli_json(city_results, cli_json):
    summary = city_results.summary()
    assert list(summary["policy"]) == [r["policy"] for r in city_results.report["results"]]
    for column in ("rejection_probability_mean", "rejection_probability_ci95", "response_time_s_p95_mean",
                   "alerts_latency_s_p95_mean", "alerts_blacklisted_missed_ci95", "invocations", "seed"):
        assert column in summary.columns
    for row, result in zip(summary.to_dict("records"), city_results.report["results"]):
        assert row["rejection_probability_mean"] == result["rejection_probability"]["mean"]
        assert row["rejection_probability_ci95"] == result["rejection_probability"]["ci95"]
        assert row["response_time_s_p95_mean"] == result["response_time_s"]["p95"]["mean"]
        assert row["alerts_latency_s_p99_ci95"] == result["alerts"]["latency_s"]["p99"]["ci95"]
        assert row["invocations"] == result["invocations"]

    def metric_count(node) -> int:
        if isinstance(node, dict) and set(node) == {"mean", "ci95"}:
            return 1
        return sum(metric_count(v) for v in node.values()) if isinstance(node, dict) else 0

    metric_columns = [c for c in summary.columns if c.endswith(("_mean", "_ci95"))]
    assert len(metric_columns) == 2 * metric_count(city_results.report["results"][0])


def test_single_replication_has_nan_intervals():
    summary = fogsched.run(SCENARIOS / "erlang-b.yaml", replications=1, duration="1min").summary()
    assert summary["rejection_probability_ci95"].isna().all()
    assert summary["rejection_probability_mean"].notna().all()


def test_results_do_not_depend_on_threads():
    one = fogsched.run(CITY, policies=POLICIES[:2], replications=4, duration="30s", threads=1)
    two = fogsched.run(CITY, policies=POLICIES[:2], replications=4, duration="30s", threads=2)
    assert one.to_json() == two.to_json()


def test_trace_equals_the_cli_trace_csv(city_results, run_cli, tmp_path):
    csv_path = tmp_path / "trace.csv"
    args = ["run", str(CITY), "--replications", "3", "--seed", "7", "--duration", "1min", "--trace", str(csv_path)]
    for policy in POLICIES:
        args += ["--policy", policy]
    completed = run_cli(*args)
    assert completed.returncode == 0, completed.stderr
    expected = pd.read_csv(csv_path, keep_default_na=False, na_values={"vehicle": [""], "alert_s": [""]})
    trace = city_results.trace()
    assert list(trace.columns) == list(expected.columns)
    assert len(trace) == len(expected) > 0
    for column in ("id", "replication", "function", "origin", "executed_on", "hops", "probes"):
        np.testing.assert_array_equal(trace[column].to_numpy(), expected[column].to_numpy(), err_msg=column)
    for column in ("policy", "decision", "outcome"):
        np.testing.assert_array_equal(trace[column].astype(str).to_numpy(), expected[column].to_numpy(),
                                      err_msg=column)
    for column in ("arrival_s", "start_s", "end_s", "response_s"):
        np.testing.assert_allclose(trace[column].to_numpy(), expected[column].to_numpy(), rtol=0, atol=1e-9,
                                   err_msg=column)
    assert trace["vehicle"].isna().all() and expected["vehicle"].isna().all()
    assert not trace["blacklisted"].any()


def test_trace_columns_are_typed_arrays(city_results):
    trace = city_results.trace()
    assert trace["id"].dtype == np.uint64
    assert trace["arrival_s"].dtype == np.float64
    assert isinstance(trace["policy"].dtype, pd.CategoricalDtype)
    assert set(trace["outcome"].cat.categories) == {"completed", "rejected", "deadline_missed", "failed"}
    assert list(trace["policy"].cat.categories) == sorted(city_results.policies)
    assert set(trace["replication"]) == {0, 1, 2}


def test_trace_needs_to_be_kept():
    results = fogsched.run(SCENARIOS / "erlang-b.yaml", replications=1, duration="30s")
    assert not results.has_trace
    with pytest.raises(ValueError, match="trace=True"):
        results.trace()


def test_policies_accept_dicts():
    results = fogsched.run(CITY, policies=[{"name": "power_of_d", "d": 3}, "local"], replications=1, duration="20s")
    assert results.policies[0].startswith("power_of_d(d=3,")
    assert results.policies[1] == "local"


def test_saved_results_load_back_and_tabulate(city_results, tmp_path):
    path = tmp_path / "results.json"
    city_results.save(path)
    loaded = fogsched.Results.load(path)
    pd.testing.assert_frame_equal(loaded.summary(), city_results.summary())
    assert "power_of_d(d=2,threshold=3)" in loaded.table()


def test_table_columns_as_the_command_chooses_them(city_results):
    header = city_results.table(metrics=["probes", "rejection"]).splitlines()[2]
    assert header.split() == ["policy", "probes/inv", "rejection"]
    assert "jain" in city_results.table(wide=True)
    assert "not shown" not in city_results.table(wide=True)
    with pytest.raises(ValueError, match="unknown metric 'latency'"):
        city_results.table(metrics=["latency"])
