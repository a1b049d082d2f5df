"""Parameter sweeps: one run per point of a Cartesian grid, locally or on Dask."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional

from . import _core
from ._results import PolicyLike, Results, flatten_metrics, load_plugin, policy_arguments, run
from ._scenario import Scenario, ScenarioLike, as_scenario

if TYPE_CHECKING:
    import pandas as pd

#: The grid key naming the policy of each point rather than a scenario value.
POLICY_KEY = "policy"

#: Short grid keys and the scenario paths they stand for.
ALIASES: dict[str, str] = {"load": "workload.0.arrivals.load"}


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, the last key varying fastest."""
    for key, values in grid.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            raise TypeError(f"grid[{key!r}] must be a list of values, got {values!r}")
        if len(values) == 0:
            raise ValueError(f"grid[{key!r}] is empty")
    keys = list(grid)
    return [dict(zip(keys, combination)) for combination in itertools.product(*(grid[k] for k in keys))]


def loaded_plugins() -> list[str]:
    """The plugin files this process has loaded (fogsched.load_plugin), in order of name."""
    return sorted({p["source"] for p in _core.policies() if p["source"] != "built in"})


def configure_point(scenario: Scenario, point: Mapping[str, Any]) -> tuple[Scenario, Optional[list[PolicyLike]]]:
    """The scenario with the point's values set, and the point's policy (None: the scenario's)."""
    configured = scenario.copy()
    policies: Optional[list[PolicyLike]] = None
    for key, value in point.items():
        if key == POLICY_KEY:
            policies = [value]
        else:
            configured.set(ALIASES.get(key, key), value)
    return configured, policies


def point_rows(point: Mapping[str, Any], results: Results) -> list[dict[str, Any]]:
    """The summary rows of one point's results, each preceded by the point's values."""
    grid_values = {key: value for key, value in point.items() if key != POLICY_KEY}
    return [{**grid_values, "scenario": results.scenario, "seed": results.seed, **flatten_metrics(result)}
            for result in results.report["results"]]


def run_point(scenario: Scenario, point: Mapping[str, Any], replications: Optional[int], seed: Optional[int],
              threads: Optional[int], duration: Optional[str], plugins: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The summary rows of one grid point, each preceded by the point's values.

    A module-level function so Dask can ship it to workers by reference. `plugins`
    are loaded first: a worker process has none of its client's.
    """
    for plugin in plugins:
        load_plugin(plugin)
    configured, policies = configure_point(scenario, point)
    results = run(configured, policies=policies, replications=replications, seed=seed, threads=threads,
                  duration=duration)
    return point_rows(point, results)


def run_points(scenario: Scenario, points: Sequence[Mapping[str, Any]], replications: Optional[int],
               seed: Optional[int], threads: Optional[int], duration: Optional[str]) -> list[list[dict[str, Any]]]:
    """The summary rows of every point, the replications of all of them sharing one
    pool of ``threads`` (so a point of one replication leaves no core idle)."""
    runs = []
    for point in points:
        configured, policies = configure_point(scenario, point)
        runs.append((configured.document, *policy_arguments(policies)))
    outputs = _core.run_many(runs, replications=replications, seed=seed, threads=0 if threads is None else threads,
                             duration=duration)
    return [point_rows(point, Results(output["json"], None, output["policies"]))
            for point, output in zip(points, outputs)]


def sweep(scenario: ScenarioLike, grid: Mapping[str, Sequence[Any]], replications: Optional[int] = None,
          seed: Optional[int] = None, client: Any = None, *, threads: Optional[int] = None,
          duration: Optional[str] = None) -> pd.DataFrame:
    """Runs the scenario at every point of ``grid`` and returns one tidy DataFrame.

    ``grid`` maps keys to lists of values; every combination is one point. A key is
    a ``--set`` path (``"cluster.cameras.slots"``, ``"workload.0.arrivals.rate"``),
    ``"load"`` (short for ``workload.0.arrivals.load``) or ``"policy"`` (a policy
    spec per point; without it each point runs the scenario's policies). Values are
    Python values or YAML text (``"250ms"``).

    The frame has one row per point and policy: the grid's columns (``policy``
    holds the canonical spec), then the columns of :meth:`Results.summary`. Every
    point uses the same ``seed`` (common random numbers across the grid).

    With a ``dask.distributed.Client`` the points run as tasks on its cluster,
    ``threads`` per task (default 1); locally the replications of every point are
    tasks of one pool of ``threads`` (default every core), so points of a single
    replication run side by side. The numbers are the same either way.
    """
    import pandas as pd

    base = as_scenario(scenario)
    points = grid_points(grid)
    if client is None:
        row_lists = run_points(base, points, replications, seed, threads, duration)
    else:
        task_threads = 1 if threads is None else threads
        futures = client.map(run_point, [base] * len(points), points, replications=replications, seed=seed,
                             threads=task_threads, duration=duration, plugins=loaded_plugins(), pure=False)
        row_lists = client.gather(futures)
    frame = pd.DataFrame([row for rows in row_lists for row in rows])
    grid_columns = [key for key in grid if key != POLICY_KEY]
    leading = grid_columns + ["policy"]
    return frame[leading + [c for c in frame.columns if c not in leading]]


__all__ = ["ALIASES", "POLICY_KEY", "grid_points", "run_point", "sweep"]
