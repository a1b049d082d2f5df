"""fogsched.analyze: simulated values beside the exact models, failures named."""

from __future__ import annotations

import json
import math

import pytest

import fogsched
from conftest import SCENARIOS

MARKOV = SCENARIOS / "markov-small.yaml"
CITY = SCENARIOS / "city-default.yaml"
COLUMNS = ["policy", "metric", "simulated_mean", "simulated_ci95", "model", "applies", "exact", "within_ci",
           "failed_assumptions"]


def erlang_b(slots: int, offered_load: float) -> float:
    blocking = 1.0
    for k in range(1, slots + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    return blocking


@pytest.fixture(scope="module")
def markov_local():
    # Seed 11, 3 replications of 5 minutes: only the structure and the exact values are checked.
    return fogsched.analyze(MARKOV, policies=["local"], replications=3, seed=11, duration="5min")


def test_the_frame_has_the_documented_columns(markov_local):
    assert list(markov_local.columns) == COLUMNS
    assert set(markov_local["metric"]) == {"rejection_probability", "forwarded_fraction", "mean_busy"}
    assert set(markov_local["model"]) == {"erlang_b", "ctmc"}
    assert markov_local["applies"].all()
    assert (markov_local["failed_assumptions"] == "").all()
    assert markov_local.attrs["failed_assumptions"] == []
    assert markov_local["simulated_mean"].notna().all()
    assert markov_local["within_ci"].notna().all()


def test_local_exact_values_are_erlang_b_per_camera(markov_local):
    # markov-small: 3 cameras of 2 slots, mean service 1 s, 0.9/s with camera 1 at three times that.
    rates = [0.9, 2.7, 0.9]
    slots = 2
    blocked = [rate * erlang_b(slots, rate) for rate in rates]
    rejection = sum(blocked) / sum(rates)
    mean_busy = sum(rate - b for rate, b in zip(rates, blocked))
    for model in ("erlang_b", "ctmc"):
        rows = markov_local[markov_local["model"] == model].set_index("metric")
        assert rows.loc["rejection_probability", "exact"] == pytest.approx(rejection, rel=1e-9)
        assert rows.loc["forwarded_fraction", "exact"] == pytest.approx(0.0, abs=1e-12)
        assert rows.loc["mean_busy", "exact"] == pytest.approx(mean_busy, rel=1e-9)


def test_every_policy_of_the_scenario_is_analysed_by_default():
    frame = fogsched.analyze(MARKOV, replications=2, seed=3, duration="1min")
    assert list(dict.fromkeys(frame["policy"])) == [
        "local", "random", "threshold_random(threshold=2)", "power_of_d(d=2,threshold=1)"]
    assert (frame.loc[frame["model"] == "ctmc", "applies"]).all()


def test_a_non_markovian_scenario_names_the_failing_assumptions():
    frame = fogsched.analyze(CITY, policies=["local"], replications=2, seed=1, duration="20s")
    assert not frame["applies"].any()
    assert frame["exact"].isna().all()
    assert frame["within_ci"].isna().all()
    assert (frame["failed_assumptions"] != "").all()
    failures = frame.attrs["failed_assumptions"]
    assert failures and all(f["policy"] == "local" and f["key"] and f["problem"] for f in failures)
    assert not math.isnan(frame.loc[frame["metric"] == "rejection_probability", "simulated_mean"].iloc[0])


def test_configuration_errors_keep_their_types():
    with pytest.raises(fogsched.PolicyError):
        fogsched.analyze(MARKOV, policies=["fastest"], duration="10s")
    with pytest.raises(fogsched.ScenarioError):
        fogsched.analyze(fogsched.Scenario.load(MARKOV).set("cluster.cameras.slots", "two"), duration="10s")
    with pytest.raises(ValueError, match="at least one policy"):
        fogsched.analyze(MARKOV, policies=[])


def test_the_cli_and_python_report_the_same_numbers(run_cli):
    # Cameras of 2, 3 and 2 slots (busy slots no longer need equal slot counts), a
    # policy no model covers, and short replications with invocations still running
    # at the end: every number of `fogsched analyze --json` must come back unchanged.
    slots = "[2, 3, 2]"
    policies = ["local", "power_of_d(d=2,threshold=1)", "least_loaded"]
    arguments = ["--replications", "3", "--seed", "5", "--duration", "3min", "--threads", "2"]
    completed = run_cli("analyze", str(MARKOV), "--json", "--set", f"cluster.cameras.slots={slots}",
                        *[a for p in policies for a in ("--policy", p)], *arguments)
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    frame = fogsched.analyze(fogsched.Scenario.load(MARKOV).set("cluster.cameras.slots", slots),
                             policies=policies, replications=3, seed=5, threads=2, duration="3min")

    compared = 0
    assert list(dict.fromkeys(frame["policy"])) == [r["policy"] for r in document["results"]]
    for result in document["results"]:
        rows = frame[frame["policy"] == result["policy"]]
        assert [m["model"] for m in result["models"]] == list(dict.fromkeys(rows["model"].dropna()))
        for metric, values in result["metrics"].items():
            metric_rows = rows[rows["metric"] == metric]
            assert (metric_rows["simulated_mean"] == values["simulated"]["mean"]).all()
            assert (metric_rows["simulated_ci95"] == values["simulated"]["ci95"]).all()
            for model in result["models"]:
                row = metric_rows[metric_rows["model"] == model["model"]].iloc[0]
                assert row["applies"] == model["applies"]
                if model["applies"]:
                    assert row["exact"] == values["models"][model["model"]]["value"]
                    assert row["within_ci"] == values["models"][model["model"]]["within_ci95"]
                    compared += 1
                else:
                    assert math.isnan(row["exact"]) and model["model"] not in values["models"]
    # local: erlang_b and ctmc; power_of_d: ctmc (mean_field needs 20 cameras); least_loaded: none.
    assert compared == 3 * 3
    assert frame.loc[frame["policy"] == "least_loaded", "model"].isna().all()
    assert frame["simulated_mean"].notna().all()


def test_optimal_sets_the_optimum_and_each_policys_gap_beside_the_frame():
    frame = fogsched.analyze(MARKOV, policies=["local", "power_of_d(d=2,threshold=1)", "least_loaded"],
                             replications=2, seed=3, duration="1min", optimal=True, forward_cost=0.1,
                             probe_cost=0.01)
    optimal = frame.attrs["optimal"]
    assert optimal["applies"] and optimal["failed_assumptions"] == []
    assert optimal["costs"] == {"forward": 0.1, "probe": 0.01}
    assert optimal["states"] == 27 and optimal["probes_per_arrival"] == 0
    assert optimal["lower_bound"] <= optimal["cost_per_arrival"] + 1e-12 <= optimal["upper_bound"] + 2e-12
    gaps = frame.attrs["optimal_gap"]
    assert list(gaps) == list(dict.fromkeys(frame["policy"]))
    for policy in ("local", "power_of_d(d=2,threshold=1)"):
        assert gaps[policy]["gap"] > 0
        assert gaps[policy]["cost_per_arrival"] - gaps[policy]["gap"] == pytest.approx(optimal["cost_per_arrival"])
    assert gaps["power_of_d(d=2,threshold=1)"]["probes_per_arrival"] > 0
    assert gaps[list(gaps)[2]] is None  # least_loaded has no exact chain
    assert "optimal" not in fogsched.analyze(MARKOV, policies=["local"], replications=2, duration="10s").attrs


def test_optimal_costs_must_not_be_negative():
    with pytest.raises(ValueError, match="forward cost"):
        fogsched.analyze(MARKOV, policies=["local"], duration="10s", optimal=True, forward_cost=-1)
