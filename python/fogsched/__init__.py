"""fogsched: simulate and compare cooperative FaaS scheduling policies from Python.

    >>> import fogsched
    >>> scenario = fogsched.Scenario.load("scenarios/city-default.yaml")
    >>> scenario.set("cluster.cameras.slots", 8)
    >>> results = fogsched.run(scenario, policies=["local", "power_of_d"], duration="2min")
    >>> results.summary()[["policy", "rejection_probability_mean", "rejection_probability_ci95"]]

:func:`analyze` sets exact values (Erlang-B, Markov chains, mean-field) beside
the simulated ones for Markovian scenarios. :func:`sweep` runs a grid of scenario
variants (locally or on a Dask cluster). A policy written in Python
(:class:`Policy`) runs in :func:`run` and :func:`sweep` beside the built-in ones;
:mod:`fogsched.testing` unit-tests it. :func:`train` trains a learning policy
(``sarsa``, ``q_learning``) and gives the spec that replays its model.
:mod:`fogsched.report` writes the self-contained HTML report of
``fogsched run --report``. :mod:`fogsched.plot` draws the comparisons; it imports
matplotlib, so ``import fogsched`` leaves it to be imported when needed.
"""

from __future__ import annotations

from ._analyze import analyze
from ._core import (
    Completion,
    Context,
    DecisionTypeError,
    Forward,
    Invocation,
    KnownLoad,
    KnownPeer,
    LoadReport,
    Outcome,
    PolicyContractError,
    PolicyError,
    Probe,
    ProbeAnswer,
    PythonPolicyError,
    Reject,
    RejectReason,
    ResourceError,
    Rng,
    RunLocal,
    ScenarioError,
)
from ._policy import Policy
from ._results import Results, flatten_metrics, load_plugin, policies, policy_spec, run
from ._scenario import Scenario
from ._sweep import ALIASES, grid_points, sweep
from ._train import TrainingResult, plot_learning_curve, train

__all__ = [
    "ALIASES",
    "Completion",
    "Context",
    "DecisionTypeError",
    "Forward",
    "Invocation",
    "KnownLoad",
    "KnownPeer",
    "LoadReport",
    "Outcome",
    "Policy",
    "PolicyContractError",
    "PolicyError",
    "Probe",
    "ProbeAnswer",
    "PythonPolicyError",
    "Reject",
    "RejectReason",
    "ResourceError",
    "Results",
    "Rng",
    "RunLocal",
    "Scenario",
    "ScenarioError",
    "TrainingResult",
    "analyze",
    "flatten_metrics",
    "grid_points",
    "load_plugin",
    "plot_learning_curve",
    "policies",
    "policy_spec",
    "run",
    "sweep",
    "train",
]

# The classes are defined by the extension; give them their public home.
for _cls in (Completion, Context, Forward, Invocation, KnownLoad, KnownPeer, LoadReport, Outcome, Probe, ProbeAnswer,
             Reject, RejectReason, Rng, RunLocal, DecisionTypeError, PythonPolicyError):
    _cls.__module__ = __name__
PythonPolicyError.__doc__ = ("A policy written in Python raised: the message names the policy, the node and the "
                             "invocation, and ends with the Python traceback. The run was stopped.")
DecisionTypeError.__doc__ = "A Python policy's decide() returned something that is no RunLocal, Forward, Reject or Probe."
# The exceptions are defined by the extension; give them their public home and docs.
ScenarioError.__module__ = __name__
ScenarioError.__doc__ = ("A scenario file or override is wrong. The message is the CLI's: "
                         "'FILE:LINE: key.path: what is wrong' ('--set' for overrides).")
PolicyError.__module__ = __name__
PolicyError.__doc__ = "A policy name or parameter is wrong (unknown name, unknown or invalid parameter)."
PolicyContractError.__module__ = __name__
PolicyContractError.__doc__ = "A policy broke the contract with the runtime: a bug in the policy, not bad input."
ResourceError.__module__ = __name__
ResourceError.__doc__ = ("A run would need more memory than this process can get (a MemoryError raised "
                         "before anything is allocated); the message names the setting and the estimate.")
