"""Policies written in Python, run by the simulator (fogsched.Policy in run and sweep)."""

from __future__ import annotations

import re

import pytest

import fogsched
from conftest import SCENARIOS

ERLANG = SCENARIOS / "erlang-b.yaml"
CITY = SCENARIOS / "city-default.yaml"


class RunHere(fogsched.Policy):
    """Runs everything where it arrives (the built-in `local`)."""

    def decide(self, invocation, ctx):
        return fogsched.RunLocal() if ctx.local_load().can_accept() else fogsched.Reject()


class Counting(fogsched.Policy):
    name = "counting"
    made = 0

    def __init__(self):
        type(self).made += 1
        self.decided = 0

    def decide(self, invocation, ctx):
        self.decided += 1
        return RunHere().decide(invocation, ctx)


def test_a_python_policy_runs_as_the_builtin_it_ports():
    results = fogsched.run(ERLANG, policies=[RunHere, "local"], replications=2, duration="20s", seed=5)
    assert results.policies == ["RunHere", "local"]
    python, builtin = results.report["results"]
    assert {**python, "policy": "local"} == builtin


def test_a_class_is_instantiated_per_node_and_an_instance_deep_copied():
    Counting.made = 0
    instance = Counting()
    results = fogsched.run(CITY, policies=[Counting], replications=1, duration="5s", seed=1, threads=1)
    cameras = fogsched.Scenario.load(CITY).document.summary()["cameras"]
    assert Counting.made - 1 >= cameras
    fogsched.run(CITY, policies=[instance], replications=1, duration="5s", seed=1, threads=1)
    assert instance.decided == 0, "each node decides with its own copy"
    assert results.policies == ["counting"]


def test_results_do_not_depend_on_the_thread_count():
    kwargs = dict(policies=[RunHere, "power_of_d"], replications=3, duration="30s", seed=11, trace=True)
    one = fogsched.run(CITY, threads=1, **kwargs)
    three = fogsched.run(CITY, threads=3, **kwargs)
    assert one.to_json() == three.to_json()
    assert one.trace().equals(three.trace())


class Hooks(fogsched.Policy):
    """Forwards only to peers it heard from by gossip."""

    timers = 0
    completions = 0

    def on_start(self, ctx):
        ctx.set_timer(0.5)

    def on_timer(self, ctx):
        type(self).timers += 1
        ctx.gossip_load_to_all()
        ctx.set_timer(0.5)

    def on_complete(self, completion, ctx):
        assert isinstance(completion.outcome, fogsched.Outcome) and completion.response_time >= 0
        type(self).completions += 1

    def decide(self, invocation, ctx):
        known = [ctx.known_load(p) for p in ctx.peers()]
        heard = [k for k in known if k is not None and k.load.can_accept()]
        if invocation.hops == 0 and not ctx.local_load().can_accept() and heard:
            return fogsched.Forward(ctx.peers()[known.index(heard[0])])
        return fogsched.RunLocal() if ctx.local_load().can_accept() else fogsched.Reject()


def test_hooks_arm_timers_gossip_and_see_completions():
    result = fogsched.run(CITY, policies=[Hooks], replications=1, duration="20s", seed=2).report["results"][0]
    assert Hooks.timers > 0
    assert Hooks.completions >= result["invocations"], "the warm-up's are not counted in results"
    assert result["forwarded_fraction"]["mean"] > 0, "forwards go only to peers heard from"


def test_a_sweep_takes_a_python_policy():
    frame = fogsched.sweep(ERLANG, grid={"policy": [RunHere, "local"]}, replications=1, seed=3, duration="10s")
    assert list(frame["policy"]) == ["RunHere", "local"]
    assert frame["rejection_probability_mean"].iloc[0] == frame["rejection_probability_mean"].iloc[1]


class FailsOnFifth(fogsched.Policy):
    name = "fails_on_fifth"

    def __init__(self):
        self.calls = 0

    def decide(self, invocation, ctx):
        self.calls += 1
        if self.calls == 5:
            raise ValueError("the fifth call")
        return fogsched.RunLocal()


def test_an_exception_stops_the_run_with_its_traceback_node_and_invocation():
    with pytest.raises(fogsched.PythonPolicyError) as raised:
        fogsched.run(CITY, policies=[FailsOnFifth, "local"], replications=4, duration="10min", threads=2)
    message = str(raised.value)
    assert "policy 'fails_on_fifth' (Python) raised in decide on node " in message
    assert re.search(r"deciding invocation \d+ \(function \d+, hops \d+\)", message)
    assert "Traceback (most recent call last):" in message
    assert 'raise ValueError("the fifth call")' in message
    assert message.endswith("ValueError: the fifth call")
    # The module is usable afterwards.
    assert fogsched.run(ERLANG, policies=[RunHere], replications=1, duration="5s").policies == ["RunHere"]


class AnswersNone(fogsched.Policy):
    def decide(self, invocation, ctx):
        return None


def test_a_decision_of_the_wrong_type_is_a_type_error_naming_the_policy():
    with pytest.raises(fogsched.DecisionTypeError, match=r"policy 'AnswersNone': decide\(\) returned None"):
        fogsched.run(ERLANG, policies=[AnswersNone], replications=1, duration="5s")
    assert issubclass(fogsched.DecisionTypeError, TypeError)


class ForwardsToSelf(fogsched.Policy):
    def decide(self, invocation, ctx):
        return fogsched.Forward(ctx.self())


class ZeroTimer(fogsched.Policy):
    def on_start(self, ctx):
        ctx.set_timer(0)

    def decide(self, invocation, ctx):
        return fogsched.RunLocal()


@pytest.mark.parametrize("policy", [ForwardsToSelf, ZeroTimer])
def test_a_contract_breach_is_the_runtimes_policy_contract_error(policy):
    with pytest.raises(fogsched.PolicyContractError, match=policy.__name__):
        fogsched.run(CITY, policies=[policy], replications=1, duration="5s")


class KeepsItsContext(fogsched.Policy):
    kept = []

    def decide(self, invocation, ctx):
        type(self).kept.append((ctx, ctx.rng()))
        return fogsched.RunLocal()


def test_a_context_kept_after_its_call_raises_instead_of_dangling():
    KeepsItsContext.kept.clear()
    fogsched.run(ERLANG, policies=[KeepsItsContext], replications=1, duration="2s", threads=1)
    ctx, rng = KeepsItsContext.kept[0]
    with pytest.raises(RuntimeError, match="belongs to a policy call that has returned"):
        ctx.now()
    with pytest.raises(RuntimeError, match="belongs to a policy call that has returned"):
        rng.uniform01()
    # Each call had a context of its own.
    assert len({id(c) for c, _ in KeepsItsContext.kept}) == len(KeepsItsContext.kept)


class Local(RunHere):
    name = "local"


def test_names_that_clash_are_policy_errors():
    with pytest.raises(fogsched.PolicyError, match="'local': the name is taken"):
        fogsched.run(ERLANG, policies=[Local], replications=1, duration="2s")

    class RunHereToo(RunHere):
        name = "RunHere"

    with pytest.raises(fogsched.PolicyError, match="two Python policies are named 'RunHere'"):
        fogsched.run(ERLANG, policies=[RunHere, RunHereToo], replications=1, duration="2s")
