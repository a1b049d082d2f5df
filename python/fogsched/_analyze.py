"""Simulated values beside the exact models, as ``fogsched analyze`` shows them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Optional

from . import _core
from ._results import PolicyLike, policy_spec, run
from ._scenario import ScenarioLike, as_scenario

if TYPE_CHECKING:
    import pandas as pd

#: The metrics the models predict, in the order of ``fogsched analyze``.
ANALYZED_METRICS = ("rejection_probability", "forwarded_fraction", "mean_busy")

#: The models' own rounding (their values are exact to about 1e-12), allowed when
#: asking whether a value lies within the simulated interval, as the CLI does.
MODEL_ROUNDING = 1e-9


def _failures_text(failed: Iterable[Mapping[str, str]], prefix: str = "") -> list[str]:
    return [f"{prefix}{f['key']}: {f['problem']}" for f in failed]


def _within_ci(mean: float, ci95: float, exact: float) -> Any:
    import pandas as pd

    if math.isnan(ci95) or math.isnan(exact) or math.isnan(mean):
        return pd.NA
    return abs(exact - mean) <= ci95 + MODEL_ROUNDING


def analyze(scenario: ScenarioLike, policies: Optional[Iterable[PolicyLike]] = None,
            replications: Optional[int] = None, seed: Optional[int] = None, threads: Optional[int] = None,
            duration: Optional[str] = None) -> pd.DataFrame:
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

    The simulated ``mean_busy`` is the utilisation times the cluster's slots, so it
    is NaN when the cameras' slot counts differ or the scenario is not Markovian.
    The simulated forwarded fraction counts invocations still in flight at the end
    as not forwarded (a difference of a few in thousands of invocations).

    Raises :class:`fogsched.ScenarioError` and :class:`fogsched.PolicyError` with
    the CLI's messages.
    """
    import pandas as pd

    scenario = as_scenario(scenario)
    if isinstance(policies, (str, Mapping)):
        policies = [policies]
    specs = None if policies is None else [policy_spec(p) for p in policies]
    # The models first: they take milliseconds and check the policies before the simulation.
    exact = _core.analyze(scenario.document, policies=specs)
    results = run(scenario, policies=specs, replications=replications, seed=seed, threads=threads,
                  duration=duration)

    slots = exact["slots"]
    busy_per_utilization = float(sum(slots)) if slots and len(set(slots)) == 1 else math.nan
    rows: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for analysis, result in zip(exact["policies"], results.report["results"]):
        policy = analysis["policy"]
        simulated = {
            "rejection_probability": result["rejection_probability"],
            "forwarded_fraction": result["forwarded_fraction"],
            "mean_busy": {key: None if result["utilization"][key] is None
                          else result["utilization"][key] * busy_per_utilization for key in ("mean", "ci95")},
        }
        shared = _failures_text(analysis["failed"])
        failures += [{"policy": policy, "model": None, **f} for f in analysis["failed"]]
        models = analysis["models"] or [{"model": None, "applies": False, "failed": []}]
        for model in models:
            failures += [{"policy": policy, "model": model["model"], **f} for f in model["failed"]]
            failed_text = "; ".join(shared + _failures_text(model["failed"]))
            for metric in ANALYZED_METRICS:
                mean = math.nan if simulated[metric]["mean"] is None else float(simulated[metric]["mean"])
                ci95 = math.nan if simulated[metric]["ci95"] is None else float(simulated[metric]["ci95"])
                value = float(model[metric]) if model["applies"] else math.nan
                rows.append({"policy": policy, "metric": metric, "simulated_mean": mean, "simulated_ci95": ci95,
                             "model": model["model"], "applies": model["applies"], "exact": value,
                             "within_ci": _within_ci(mean, ci95, value), "failed_assumptions": failed_text})
    frame = pd.DataFrame(rows, columns=["policy", "metric", "simulated_mean", "simulated_ci95", "model", "applies",
                                        "exact", "within_ci", "failed_assumptions"])
    frame["within_ci"] = frame["within_ci"].astype("boolean")
    frame.attrs["failed_assumptions"] = failures
    return frame
