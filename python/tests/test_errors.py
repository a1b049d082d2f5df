"""Configuration errors raise fogsched's exceptions with the CLI's messages."""

from __future__ import annotations

import pytest

import fogsched
from conftest import SCENARIOS

CITY = SCENARIOS / "city-default.yaml"


def cli_message(completed) -> str:
    assert completed.returncode == 2, completed.stderr
    line = completed.stderr.strip()
    assert line.startswith("fogsched: ")
    return line[len("fogsched: "):]


def test_exception_types():
    assert issubclass(fogsched.ScenarioError, ValueError)
    assert issubclass(fogsched.PolicyError, ValueError)
    assert not issubclass(fogsched.ScenarioError, fogsched.PolicyError)
    assert fogsched.ScenarioError.__module__ == "fogsched"


def test_bad_override_is_a_scenario_error_with_the_cli_text(run_cli):
    expected = cli_message(run_cli("validate", str(CITY), "--set", "cluster.cameras.slots=four"))
    scenario = fogsched.Scenario.load(CITY).set("cluster.cameras.slots", "four")
    with pytest.raises(fogsched.ScenarioError) as raised:
        scenario.validate()
    assert str(raised.value) == expected
    assert expected.startswith("--set: cluster.cameras.slots: ")


def test_bad_file_is_a_scenario_error_with_the_cli_text(run_cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(CITY.read_text().replace("spacing: 200m", "spacing: 200mm"))
    expected = cli_message(run_cli("validate", str(path)))
    with pytest.raises(fogsched.ScenarioError) as raised:
        fogsched.run(path)
    assert str(raised.value) == expected
    assert expected.startswith(f"{path}:")


def test_missing_file_is_a_scenario_error_with_the_cli_text(run_cli, tmp_path):
    path = tmp_path / "missing.yaml"
    # The command names its argument and shows its usage after the message.
    expected = cli_message(run_cli("validate", str(path))).splitlines()[0]
    assert expected.startswith("scenario: ")
    with pytest.raises(fogsched.ScenarioError) as raised:
        fogsched.Scenario.load(path)
    assert str(raised.value) == expected[len("scenario: "):]


def test_path_through_a_scalar_is_a_scenario_error():
    with pytest.raises(fogsched.ScenarioError, match=r"^--set: "):
        fogsched.Scenario.load(CITY).set("seed.deeper", 1)


def test_unknown_policy_is_a_policy_error_with_the_cli_text(run_cli):
    expected = cli_message(run_cli("run", str(CITY), "--policy", "fastest", "--duration", "10s"))
    with pytest.raises(fogsched.PolicyError) as raised:
        fogsched.run(CITY, policies=["fastest"], duration="10s")
    assert str(raised.value) == expected


def test_bad_policy_parameter_is_a_policy_error_with_the_cli_text(run_cli):
    spec = "power_of_d(d=0)"
    expected = cli_message(run_cli("run", str(CITY), "--policy", spec, "--duration", "10s"))
    with pytest.raises(fogsched.PolicyError) as raised:
        fogsched.run(CITY, policies=[spec], duration="10s")
    assert str(raised.value) == expected


def test_bad_policy_in_the_scenario_is_a_policy_error_with_the_cli_text(run_cli):
    expected = cli_message(run_cli("validate", str(CITY), "--set", "policies.1={name: random, colour: 3}"))
    scenario = fogsched.Scenario.load(CITY).set("policies.1", {"name": "random", "colour": 3})
    with pytest.raises(fogsched.PolicyError) as raised:
        scenario.validate()
    assert str(raised.value) == expected


def test_bad_run_arguments_are_value_errors():
    with pytest.raises(fogsched.ScenarioError, match="replications"):
        fogsched.run(CITY, replications=0)
    with pytest.raises(ValueError, match="^duration: "):
        fogsched.run(CITY, duration="10 parsecs")
    with pytest.raises(ValueError, match="at least one policy"):
        fogsched.run(CITY, policies=[])


def test_a_run_that_cannot_fit_raises_resource_error_before_allocating():
    # Four billion replications of seven policies would keep about 800 TB of results.
    with pytest.raises(fogsched.ResourceError, match=r"^replications: the run needs about [0-9.]+ [TP]B of memory"):
        fogsched.run(CITY, replications=4_000_000_000, duration="1s")
    assert issubclass(fogsched.ResourceError, MemoryError)
