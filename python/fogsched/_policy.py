"""Scheduling policies written in Python: the base class and how a run makes its instances."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Union

if TYPE_CHECKING:
    from ._core import Completion, Context, Invocation, Probe, Reject, RunLocal, Forward

    Decision = Union[RunLocal, Forward, Reject, Probe]


class Policy:
    """Base of a scheduling policy written in Python: the contract of ``fogsched/core/policy.h``.

    One instance per node. ``decide`` returns :class:`fogsched.RunLocal`,
    :class:`fogsched.Forward`, :class:`fogsched.Reject` or :class:`fogsched.Probe`;
    ``ctx`` is a :class:`fogsched.Context` valid during the call only (times in float
    seconds, node ids as ints, ``ctx.rng()`` the node's random stream). Results name
    the policy by the class attribute ``name``, else the class name.
    """

    #: The name in results and registries (an identifier); the class name when None.
    name: ClassVar[Optional[str]] = None

    def decide(self, invocation: Invocation, ctx: Context) -> Decision:
        """Where ``invocation`` runs; called once per arrival, and again after a Probe."""
        raise NotImplementedError(f"{type(self).__name__} must define decide(invocation, ctx)")

    def on_start(self, ctx: Context) -> None:
        """Called once before the first arrival: arm timers here."""

    def on_timer(self, ctx: Context) -> None:
        """Called when the timer armed with ``ctx.set_timer`` fires."""

    def on_complete(self, completion: Completion, ctx: Context) -> None:
        """Called on the origin node when one of its client invocations ends."""


def is_python_policy(policy: Any) -> bool:
    """Whether ``policy`` is a :class:`Policy` subclass or instance."""
    return isinstance(policy, Policy) or (isinstance(policy, type) and issubclass(policy, Policy))


def policy_name(policy: Any) -> str:
    """The name a Python policy (class or instance) runs under."""
    cls = policy if isinstance(policy, type) else type(policy)
    name = getattr(cls, "name", None)
    return name if isinstance(name, str) else cls.__name__


def policy_factory(policy: Any) -> Callable[[], Policy]:
    """What makes one node's instance: the class called with no arguments, or a deep copy of the instance."""
    if isinstance(policy, type):
        return policy
    return lambda: copy.deepcopy(policy)


__all__ = ["Policy", "is_python_policy", "policy_factory", "policy_name"]
