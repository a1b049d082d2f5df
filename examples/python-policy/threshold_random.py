"""threshold_random written in Python: a port of policies/src/threshold_random.cpp.

It makes the same decisions and the same random draws as the C++ policy for a seed
(python/tests/test_python_policy_conformance.py compares them). Run it with
``fogsched.run(scenario, policies=[ThresholdRandom])`` or, live,
``fogsched serve --policy python:threshold_random:ThresholdRandom``.
"""

import fogsched


class ThresholdRandom(fogsched.Policy):
    """Run here while load < threshold, else forward to a uniformly random peer."""

    name = "threshold_random_py"
    threshold = 3

    def decide(self, invocation, ctx):
        load = ctx.local_load()
        if invocation.hops == 0 and not (load.load() < self.threshold and load.can_accept()):
            count = ctx.peer_count()
            if count > 0:
                peer = ctx.peer(ctx.rng().uniform_index(count))
                if peer != ctx.self():
                    return fogsched.Forward(peer)
        return fogsched.RunLocal() if ctx.local_load().can_accept() else fogsched.Reject(fogsched.RejectReason.no_capacity)
