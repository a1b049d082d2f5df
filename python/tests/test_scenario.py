"""Scenario loading, overrides and round trips."""

from __future__ import annotations

import pickle

import pytest

import fogsched
from conftest import SCENARIOS

CITY = SCENARIOS / "city-default.yaml"


def test_to_dict_from_dict_round_trip_keeps_every_value():
    scenario = fogsched.Scenario.load(CITY)
    as_dict = scenario.to_dict()
    again = fogsched.Scenario.from_dict(as_dict)
    assert again.to_dict() == as_dict
    assert as_dict["cluster"]["cameras"]["slots"] == 4  # integers stay integers
    assert as_dict["duration"] == "10min"  # quantities keep their unit
    assert again.info() == scenario.info()


def test_every_shipped_scenario_round_trips_through_dict_and_yaml():
    for path in sorted(SCENARIOS.glob("*.yaml")):
        scenario = fogsched.Scenario.load(path)
        from_dict = fogsched.Scenario.from_dict(scenario.to_dict(), origin=str(path))
        from_yaml = fogsched.Scenario.from_yaml(scenario.to_yaml(), origin=str(path))
        from_dict.validate()
        assert from_dict.to_dict() == scenario.to_dict(), path.name
        assert from_yaml.to_dict() == scenario.to_dict(), path.name


def test_round_tripped_scenario_simulates_identically():
    scenario = fogsched.Scenario.load(SCENARIOS / "erlang-b.yaml")
    again = fogsched.Scenario.from_dict(scenario.to_dict())
    first = fogsched.run(scenario, replications=2, duration="2min")
    second = fogsched.run(again, replications=2, duration="2min")
    assert first.to_json() == second.to_json()


def test_set_uses_cli_paths_and_converts_python_values():
    scenario = fogsched.Scenario.load(CITY)
    returned = scenario.set("cluster.cameras.slots", 8)
    assert returned is scenario
    scenario.set("cluster.cloud.enabled", False)
    scenario.set("workload.0.arrivals.load", 0.8)
    scenario.set("policies", ["local", {"name": "power_of_d", "d": 3}])
    scenario.set("duration", "2min")
    data = scenario.to_dict()
    assert data["cluster"]["cameras"]["slots"] == 8
    assert data["cluster"]["cloud"]["enabled"] is False
    assert data["workload"][0]["arrivals"]["load"] == 0.8
    assert data["policies"] == ["local", {"name": "power_of_d", "d": 3}]
    assert scenario.info()["duration"] == "2min"
    scenario.validate()


def test_copy_is_independent():
    scenario = fogsched.Scenario.load(CITY)
    copy = scenario.copy().set("cluster.cameras.slots", 2)
    assert scenario.to_dict()["cluster"]["cameras"]["slots"] == 4
    assert copy.to_dict()["cluster"]["cameras"]["slots"] == 2


def test_pickle_keeps_origin_and_overrides():
    scenario = fogsched.Scenario.load(CITY).set("cluster.cameras.slots", 6)
    restored = pickle.loads(pickle.dumps(scenario))
    assert restored.origin == str(CITY)
    assert restored.overrides == [("cluster.cameras.slots", "6")]
    assert restored.to_dict() == scenario.to_dict()
    # An override that is wrong is still reported at --set after the trip.
    restored.set("cluster.cameras.slots", "x")
    with pytest.raises(fogsched.ScenarioError, match=r"^--set: cluster\.cameras\.slots: "):
        pickle.loads(pickle.dumps(restored)).validate()


def test_non_finite_numbers_are_refused():
    with pytest.raises(ValueError, match="finite"):
        fogsched.Scenario.load(CITY).set("workload.0.arrivals.load", float("nan"))


def test_policies_lists_every_builtin_with_documented_parameters():
    # Plugins other tests load are listed too, with their file as source.
    listed = {p["name"]: p for p in fogsched.policies() if p["source"] == "built in"}
    assert set(listed) == {"local", "random", "round_robin", "threshold_random", "power_of_d", "least_loaded",
                           "cloud_offload", "sarsa", "q_learning", "table"}
    assert all(p["doc"] for p in listed.values())
    power_of_d = {param["name"]: param for param in listed["power_of_d"]["params"]}
    assert {"d", "threshold"} <= set(power_of_d)
    assert power_of_d["d"]["type"] == "integer"
    assert all(param["doc"] for param in power_of_d.values())
