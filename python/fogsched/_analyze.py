"""Simulated values beside the exact models, as ``fogsched analyze`` shows them."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Optional

from . import _core
from ._results import PolicyLike, policy_spec
from ._scenario import ScenarioLike, as_scenario

if TYPE_CHECKING:
    import pandas as pd

#: The metrics the models predict, in the order of ``fogsched analyze``.
ANALYZED_METRICS = ("rejection_probability", "forwarded_fraction", "mean_busy")


def _failures_text(failed: Iterable[Mapping[str, str]]) -> list[str]:
    return [f"{f['key']}: {f['problem']}" for f in failed]


def _number(value: Optional[float]) -> float:
    return math.nan if value is None else float(value)


def analyze(scenario: ScenarioLike, policies: Optional[Iterable[PolicyLike]] = None,
            replications: Optional[int] = None, seed: Optional[int] = None, threads: Optional[int] = None,
            duration: Optional[str] = None, optimal: bool = False, forward_cost: float = 0.0,
            probe_cost: float = 0.0) -> pd.DataFrame:
    """Simulates a scenario and sets the exact models' values beside it, like ``fogsched analyze``.

    The arguments are those of :func:`run`. The models are Erlang-B per camera
    (``local``), the exact Markov chain of a small cluster (``local``, ``random``,
    ``threshold_random``, ``power_of_d``) and the mean-field limit
    (``threshold_random`` and ``power_of_d`` on many identical loss cameras).

    Returns one row per policy, metric and model, with columns ``policy``,
    ``metric`` (``rejection_probability``, ``forwarded_fraction``, ``mean_busy``:
    busy slots over all cameras), ``simulated_mean``, ``simulated_ci95`` (Student-t
    95 % half-width over replications), ``model`` (``erlang_b``, ``ctmc``,
    ``mean_field``), ``applies``, ``exact`` (NaN when the model does not apply),
    ``within_ci`` (nullable boolean: whether ``exact`` lies within the interval;
    missing without one) and ``failed_assumptions`` (the reasons a model does not
    apply, ``"key: problem"`` each, ``"; "``-joined; empty when it applies). A policy
    that no model covers, or a scenario outside every model's assumptions, keeps
    its rows, with ``model`` None and the failures named: nothing is dropped
    silently. ``df.attrs["failed_assumptions"]`` lists every failure as a dict
    ``{"policy", "model", "key", "problem"}`` (``model`` None for failures that
    all models share).

    The numbers are those of ``fogsched analyze --json`` for the same arguments
    (one C++ implementation computes both): the simulated rejection probability is
    taken over every client arrival, the forwarded fraction over the invocations
    that ended, and ``mean_busy`` is the cameras' busy slot-time over the
    measurement window.

    With ``optimal=True`` (``fogsched analyze --optimal``) the optimal policy of the
    cluster is solved too, under ``forward_cost`` and ``probe_cost`` (in rejections,
    >= 0; ValueError otherwise): ``df.attrs["optimal"]`` is the ``"optimal"`` object
    of the JSON document (``applies``, ``failed_assumptions``, ``cost_per_arrival``,
    ``lower_bound``, ``upper_bound``, ``rejection_probability``,
    ``forwarded_fraction``, ``iterations``, ``states``...) and
    ``df.attrs["optimal_gap"]`` maps each policy to its ``{"cost_per_arrival",
    "probes_per_arrival", "gap"}`` (None without an exact chain or an optimum).

    Raises :class:`fogsched.ScenarioError` and :class:`fogsched.PolicyError` with
    the CLI's messages.
    """
    import pandas as pd

    scenario = as_scenario(scenario)
    if isinstance(policies, (str, Mapping)):
        policies = [policies]
    specs = None if policies is None else [policy_spec(p) for p in policies]
    document = json.loads(_core.analyze(scenario.document, policies=specs, replications=replications, seed=seed,
                                         threads=0 if threads is None else threads, duration=duration,
                                         optimal=optimal, forward_cost=forward_cost, probe_cost=probe_cost))

    rows: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for result in document["results"]:
        policy = result["policy"]
        shared = _failures_text(result["failed_assumptions"])
        failures += [{"policy": policy, "model": None, **f} for f in result["failed_assumptions"]]
        models = result["models"] or [{"model": None, "applies": False, "failed_assumptions": []}]
        for model in models:
            failures += [{"policy": policy, "model": model["model"], **f} for f in model["failed_assumptions"]]
            failed_text = "; ".join(shared + _failures_text(model["failed_assumptions"]))
            for metric in ANALYZED_METRICS:
                compared = result["metrics"][metric]
                exact = compared["models"].get(model["model"]) if model["applies"] else None
                rows.append({"policy": policy, "metric": metric,
                             "simulated_mean": _number(compared["simulated"]["mean"]),
                             "simulated_ci95": _number(compared["simulated"]["ci95"]),
                             "model": model["model"], "applies": model["applies"],
                             "exact": math.nan if exact is None else float(exact["value"]),
                             "within_ci": pd.NA if exact is None or exact["within_ci95"] is None
                             else exact["within_ci95"],
                             "failed_assumptions": failed_text})
    frame = pd.DataFrame(rows, columns=["policy", "metric", "simulated_mean", "simulated_ci95", "model", "applies",
                                        "exact", "within_ci", "failed_assumptions"])
    frame["within_ci"] = frame["within_ci"].astype("boolean")
    frame.attrs["failed_assumptions"] = failures
    if optimal:
        frame.attrs["optimal"] = document["optimal"]
        frame.attrs["optimal_gap"] = {result["policy"]: result["optimal_gap"] for result in document["results"]}
    return frame
