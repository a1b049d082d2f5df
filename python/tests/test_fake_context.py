"""fogsched.testing.FakeContext: unit tests of a Python policy, as FakeNodeContext is for C++."""

from __future__ import annotations

import sys

import pytest

import fogsched
from conftest import REPO
from fogsched import Forward, Invocation, LoadReport, ProbeAnswer, Reject, RejectReason, RunLocal
from fogsched.testing import FakeContext

sys.path.insert(0, str(REPO / "examples" / "python-policy"))
from threshold_random import ThresholdRandom  # noqa: E402

FULL = LoadReport(running=4, queued=0, slots=4, queue_capacity=0)
LIGHT = LoadReport(running=1, slots=4)


def test_a_light_node_runs_a_client_call_here():
    ctx = FakeContext()
    ctx.set_peers([1, 2])
    ctx.set_local_load(LIGHT)
    assert ctx.decide(ThresholdRandom(), Invocation(id=1)) == RunLocal()


def test_a_loaded_node_forwards_to_the_peer_its_stream_picks():
    ctx = FakeContext(seed=9)
    ctx.set_peers([1, 2, 3])
    ctx.set_local_load(FULL)
    expected = [1, 2, 3][fogsched.Rng(9).uniform_index(3)]
    assert ctx.decide(ThresholdRandom(), Invocation(id=1)) == Forward(expected)


def test_a_forwarded_call_runs_here_or_is_rejected():
    ctx = FakeContext()
    ctx.set_peers([1])
    ctx.set_local_load(FULL)
    assert ctx.decide(ThresholdRandom(), Invocation(id=1, hops=1)) == Reject(RejectReason.no_capacity)


def test_the_policy_may_be_called_with_the_fake_directly():
    ctx = FakeContext()
    ctx.set_local_load(LIGHT)
    assert ThresholdRandom().decide(Invocation(id=1), ctx) == RunLocal()


class ForwardsToTen(fogsched.Policy):
    def decide(self, invocation, ctx):
        return Forward(10)


class Gossips(fogsched.Policy):
    def on_start(self, ctx):
        ctx.set_timer(1.5)
        ctx.gossip_load([1])

    def decide(self, invocation, ctx):
        return RunLocal()


def test_decisions_are_held_to_the_runtimes_rules():
    ctx = FakeContext()
    ctx.set_peers([1, 2])
    with pytest.raises(fogsched.PolicyContractError, match="ForwardsToTen"):
        ctx.decide(ForwardsToTen(), Invocation(id=1))
    with pytest.raises(fogsched.DecisionTypeError, match="'str'|str"):
        ctx.check("run here", Invocation(id=1), "mine")


def test_effects_are_recorded_and_checked():
    ctx = FakeContext()
    ctx.set_peers([1, 2])
    ctx.set_local_load(LIGHT)
    Gossips().on_start(ctx)
    assert ctx.timers() == [1.5]
    assert ctx.gossip_sent() == [{"peers": [1], "to_all": False, "load": LIGHT}]
    with pytest.raises(fogsched.PolicyContractError):
        ctx.set_timer(0)
    with pytest.raises(fogsched.PolicyContractError):
        ctx.gossip_load([7])


def test_answers_are_what_the_test_set():
    ctx = FakeContext(seed=3)
    ctx.set_now(12.5)
    ctx.set_self(4)
    ctx.set_cloud(9)
    ctx.set_known_load(1, FULL, age=0.25)
    ctx.set_probe_answers([ProbeAnswer(1, LIGHT)])
    assert (ctx.now(), ctx.self(), ctx.cloud(), ctx.probed()) == (12.5, 4, 9, True)
    assert ctx.known_load(1).load == FULL and ctx.known_load(1).age == 0.25
    assert ctx.known_load(2) is None
    assert [(a.peer, a.load) for a in ctx.probe_answers()] == [(1, LIGHT)]
    assert ctx.rng().next() == fogsched.Rng(3).next()


def test_the_least_loaded_known_peer_comes_from_a_bounded_memory():
    ctx = FakeContext(seed=3)
    assert ctx.least_loaded_known_peer() is None
    ctx.set_gossip_memory(2)
    ctx.set_known_load(1, LIGHT, age=1.0)
    ctx.set_known_load(2, FULL)
    least = ctx.least_loaded_known_peer()
    assert isinstance(least, fogsched.KnownPeer)
    assert (least.peer, least.known.load, least.known.age) == (1, LIGHT, 1.0)
    ctx.advance(0.5)
    assert ctx.known_load(1).age == 1.5
    ctx.set_known_load(3, FULL)  # full: peer 1, heard from longest ago, is forgotten
    assert ctx.known_load(1) is None
    assert ctx.least_loaded_known_peer().peer in (2, 3)
    with pytest.raises(ValueError):
        ctx.set_gossip_memory(0)
