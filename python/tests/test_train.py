"""fogsched.train(): a learning policy trained from Python, its curve, its model and its replay."""

from __future__ import annotations

import threading

import matplotlib
import pandas as pd
import pytest

import fogsched
from conftest import SCENARIOS, assert_sigint_stops

MARKOV = SCENARIOS / "markov-small.yaml"
CITY = SCENARIOS / "city-default.yaml"
CURVE_COLUMNS = ["episode", "seed", "invocations", "rejection_probability", "deadline_miss_rate",
                 "forwarded_fraction", "probes_per_invocation", "reward_per_invocation", "updates", "wall_seconds"]


def test_the_curve_has_a_row_per_episode_and_the_cli_columns(tmp_path):
    result = fogsched.train(MARKOV, "sarsa", episodes=4, out=tmp_path / "model.json", duration="2min",
                            replications=2, seed=3)
    assert list(result.curve.columns) == CURVE_COLUMNS
    assert list(result.curve["episode"]) == [1, 2, 3, 4]
    assert (result.curve["invocations"] > 0).all()
    assert result.curve["updates"].is_monotonic_increasing
    assert result.updates == result.curve["updates"].iloc[-1]
    assert result.model_path == (tmp_path / "model.json").absolute() and result.model_path.is_file()
    assert result.trained_policy.startswith("sarsa(model=none,learn=true,")


def test_the_curve_and_model_are_those_of_the_cli(tmp_path, run_cli):
    result = fogsched.train(MARKOV, "q_learning(levels=4)", episodes=2, out=tmp_path / "py.json", duration="1min",
                            replications=2, seed=5)
    completed = run_cli("train", str(MARKOV), "--policy", "q_learning(levels=4)", "--episodes", "2",
                        "--out", str(tmp_path / "cli.json"), "--duration", "1min", "--replications", "2",
                        "--seed", "5")
    assert completed.returncode == 0, completed.stderr
    assert (tmp_path / "py.json").read_bytes() == (tmp_path / "cli.json").read_bytes()
    cli_curve = pd.read_csv(tmp_path / "cli.curve.csv")
    # Everything but the wall-clock seconds.
    pd.testing.assert_frame_equal(result.curve.drop(columns="wall_seconds"), cli_curve.drop(columns="wall_seconds"))


def test_one_seed_gives_the_same_model_file_byte_for_byte_on_any_thread_count(tmp_path):
    settings = {"episodes": 3, "duration": "5min", "replications": 3, "seed": 11}
    fogsched.train(MARKOV, "sarsa", out=tmp_path / "one.json", threads=1, **settings)
    fogsched.train(MARKOV, "sarsa", out=tmp_path / "two.json", threads=3, **settings)
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()
    fogsched.train(MARKOV, "sarsa", out=tmp_path / "other.json", **{**settings, "seed": 12})
    assert (tmp_path / "other.json").read_bytes() != (tmp_path / "one.json").read_bytes()


def test_policy_gives_the_replay_spec_with_the_trained_parameters(tmp_path):
    result = fogsched.train(MARKOV, {"name": "sarsa", "levels": 4, "probe_cost": 0.01}, episodes=1,
                            out=tmp_path / "model.json", duration="1min", replications=1)
    replay = result.policy()
    assert replay.startswith(f"sarsa(model={result.model_path},learn=false,")
    assert "levels=4" in replay and "probe_cost=0.01" in replay
    assert "learn=true" in result.policy(learn=True)
    results = fogsched.run(MARKOV, [replay], duration="1min", replications=1)
    assert results.policies == [replay]


def test_the_replayed_model_comes_near_the_exact_optimum_on_markov_small(tmp_path):
    # Budget: 8 training episodes of 10 min (5 replications each, seed 1), then the
    # greedy replay over 10 replications of the scenario's hour (seed 11) beside the
    # optimal policy of the 27-state chain (no costs). Tolerance: the replay's 95 %
    # half-width plus 0.01, well below the 0.044 between the optimum and the best
    # threshold_random.
    trained = fogsched.train(MARKOV, "sarsa", episodes=8, out=tmp_path / "model.json", duration="10min", seed=1)
    replay = fogsched.run(MARKOV, [trained.policy()], replications=10, seed=11).summary().iloc[0]
    optimum = fogsched.analyze(MARKOV, ["local"], replications=1, duration="1min", optimal=True).attrs["optimal"]
    assert optimum["applies"]
    gap = abs(replay["rejection_probability_mean"] - optimum["rejection_probability"])
    assert gap <= replay["rejection_probability_ci95"] + 0.01, (replay["rejection_probability_mean"], optimum)


@pytest.mark.parametrize("policy, message", [
    ("power_of_d", "'power_of_d' cannot be trained: a trainable policy takes a file parameter 'model'"),
    ("sarsa(learn=false)", "learn=false replays a model"),
    ("no_such_policy", "unknown policy 'no_such_policy'"),
])
def test_a_policy_that_cannot_learn_is_a_policy_error(tmp_path, policy, message):
    with pytest.raises(fogsched.PolicyError, match=message):
        fogsched.train(MARKOV, policy, episodes=1, out=tmp_path / "model.json", duration="1min")
    assert not (tmp_path / "model.json").exists()


def test_bad_settings_raise_value_errors_naming_them(tmp_path):
    with pytest.raises(ValueError, match="episodes: must be at least 1"):
        fogsched.train(MARKOV, "sarsa", episodes=0, out=tmp_path / "model.json")
    with pytest.raises(ValueError, match="duration"):
        fogsched.train(MARKOV, "sarsa", episodes=1, out=tmp_path / "model.json", duration="soon")
    with pytest.raises(fogsched.ScenarioError, match="cluster.cameras.count"):
        fogsched.train(fogsched.Scenario.load(MARKOV).set("cluster.cameras.count", -1), "sarsa", episodes=1,
                       out=tmp_path / "model.json")
    with pytest.raises(RuntimeError, match="cannot write the model"):
        fogsched.train(MARKOV, "sarsa", episodes=1, out=tmp_path / "missing" / "model.json", duration="1min")


def test_plot_learning_curve_draws_rejection_and_reward(tmp_path):
    matplotlib.use("Agg")
    result = fogsched.train(MARKOV, "sarsa", episodes=3, out=tmp_path / "model.json", duration="1min",
                            replications=1)
    figure = fogsched.plot_learning_curve(result.curve)
    rejection_axes, reward_axes = figure.axes
    assert list(rejection_axes.lines[0].get_ydata()) == list(result.curve["rejection_probability"])
    assert list(reward_axes.lines[0].get_ydata()) == list(result.curve["reward_per_invocation"])
    figure.savefig(tmp_path / "curve.png")
    with pytest.raises(KeyError, match="expected a learning curve"):
        fogsched.plot_learning_curve(result.curve.drop(columns="reward_per_invocation"))


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                    reason="Python delivers signals to the main thread only")
def test_sigint_stops_training_with_keyboard_interrupt(tmp_path):
    # Episodes of three hours of the whole city on one thread: about 20 s of work if not stopped.
    assert_sigint_stops(lambda: fogsched.train(CITY, "sarsa", episodes=5, out=tmp_path / "model.json",
                                               duration="3h", replications=1, threads=1))
