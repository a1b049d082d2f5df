"""Unit tests of Python policies: a fake node context, as fogsched/testing/fake_node_context.h is for C++.

    >>> from fogsched import Invocation, LoadReport, Forward
    >>> from fogsched.testing import FakeContext
    >>> ctx = FakeContext(seed=1)
    >>> ctx.set_peers([1, 2])
    >>> ctx.set_local_load(LoadReport(running=4, slots=4))
    >>> ctx.decide(MyPolicy(), Invocation(id=1))   # checked as every runtime checks it
"""

from __future__ import annotations

from typing import Any

from . import _core
from ._policy import policy_name


class FakeContext(_core.FakeNodeContext):
    """A node context whose answers a test sets and whose effects it records.

    Node 0, no peers, no cloud, load ``LoadReport(slots=4)``, time 0, hop limit 1,
    ``rng()`` seeded with ``seed``. Setters: ``set_now``, ``advance``, ``set_self``,
    ``set_peers``, ``set_cloud``, ``set_local_load``, ``set_known_load`` (as if heard
    ``age`` seconds ago: the age grows with ``advance``), ``forget_known_load``,
    ``set_gossip_memory`` (peers remembered, 128 unless set; one more forgets the peer
    heard from longest ago, as ``least_loaded_known_peer`` and the runtimes see it),
    ``set_probe_answers`` (the next decide calls are the
    re-entry after a Probe), ``clear_probe_answers``, ``set_hop_limit``. Effects:
    ``timers()`` (seconds), ``gossip_sent()``, ``clear_effects()``. It has every method
    of :class:`fogsched.Context`, so a policy can be called with it directly.
    """

    def decide(self, policy: Any, invocation: _core.Invocation) -> Any:
        """``policy.decide(invocation, self)``, checked under the runtimes' rules (errors name the policy).

        Raises :class:`fogsched.DecisionTypeError` for something that is no decision and
        :class:`fogsched.PolicyContractError` for a decision no runtime takes.
        """
        name = policy_name(policy)
        self.set_policy_name(name)
        decision = policy.decide(invocation, self)
        self.check(decision, invocation, name)
        return decision


__all__ = ["FakeContext"]
