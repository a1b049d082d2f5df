"""Running scenarios and reading their results as pandas DataFrames."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from . import _core
from ._policy import Policy, is_python_policy, policy_factory, policy_name
from ._scenario import ScenarioLike, as_scenario, yaml_value

if TYPE_CHECKING:
    import pandas as pd

PolicyLike = Union[str, Mapping[str, Any], Policy, type[Policy]]

#: Summary columns that describe a row rather than measure something.
ID_COLUMNS = ("scenario", "seed", "policy", "replications", "invocations")


def policies() -> list[dict[str, Any]]:
    """The policies this process can name, sorted by name: the built-ins and those of
    the plugins loaded with :func:`load_plugin`.

    Each is ``{"name", "doc", "params", "source"}`` (source: ``"built in"`` or the
    plugin's file); each parameter ``{"name", "type", "default", "min", "max",
    "doc"}`` (bounds inclusive, durations in seconds), as ``fogsched policies`` prints
    them.
    """
    return _core.policies()


def load_plugin(path: Union[str, os.PathLike[str]]) -> list[str]:
    """Loads a policy plugin (a ``.so`` built with ``fogsched_add_policy``), so that
    :func:`run`, :func:`sweep` and :func:`analyze` can name its policies; returns
    their names. Raises PolicyError naming the file and the problem (not found, not a
    plugin, built against another fogsched, a name already taken).
    """
    return _core.load_plugin(os.fspath(path))


def policy_spec(policy: PolicyLike) -> str:
    """The compact spec of a policy: ``"power_of_d(d=2)"`` or ``{"name": "power_of_d", "d": 2}``."""
    if isinstance(policy, str):
        return policy
    if isinstance(policy, Mapping):
        params = {key: value for key, value in policy.items() if key != "name"}
        if "name" not in policy:
            raise ValueError(f"a policy given as a dict needs a 'name': {dict(policy)!r}")
        if not params:
            return str(policy["name"])
        return f"{policy['name']}({','.join(f'{k}={yaml_value(v)}' for k, v in params.items())})"
    raise TypeError(f"expected a policy spec string or dict, got {type(policy).__name__}")


def flatten_metrics(result: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """One policy's entry of the results JSON as flat columns.

    Nested keys are joined with ``_`` and every ``{"mean", "ci95"}`` metric becomes
    two columns: ``rejection_probability_mean``, ``rejection_probability_ci95``,
    ``response_time_s_p95_mean``, ``alerts_latency_s_p95_ci95``, ... A ``null``
    (the interval of a single replication) becomes NaN.
    """
    row: dict[str, Any] = {}
    for key, value in result.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and set(value) == {"mean", "ci95"}:
            for part in ("mean", "ci95"):
                row[f"{name}_{part}"] = np.nan if value[part] is None else float(value[part])
        elif isinstance(value, Mapping):
            row.update(flatten_metrics(value, prefix=f"{name}_"))
        else:
            row[name] = value
    return row


class Results:
    """What a run produced: the CLI's JSON document and, when kept, the trace."""

    def __init__(self, json_text: str, trace_columns: Optional[Mapping[str, np.ndarray]] = None,
                 policies: Optional[list[str]] = None) -> None:
        """Wraps a results JSON document (as ``fogsched run --json`` prints it).

        ``trace_columns`` holds one numpy array per trace field; ``policies`` the
        canonical specs its policy codes index. Use :func:`run` or :meth:`load`.
        """
        self._json = json_text.rstrip("\n")
        self._report: dict[str, Any] = json.loads(self._json)
        self._trace = trace_columns
        self._policies = policies if policies is not None else [r["policy"] for r in self._report["results"]]

    @classmethod
    def load(cls, path: Union[str, os.PathLike[str]]) -> Results:
        """Reads a ``results.json`` written by ``fogsched run --out`` (or :meth:`save`)."""
        return cls(Path(path).read_text(encoding="utf-8"))

    @classmethod
    def from_json(cls, text: str) -> Results:
        """Results from the text of a results JSON document."""
        return cls(text)

    @property
    def report(self) -> dict[str, Any]:
        """The results JSON document as a dict (schema: docs/results.md, "JSON results")."""
        return self._report

    @property
    def scenario(self) -> str:
        """The scenario's name."""
        return self._report["scenario"]

    @property
    def seed(self) -> int:
        """The seed the run used."""
        return self._report["seed"]

    @property
    def policies(self) -> list[str]:
        """The canonical policy specs, in result order."""
        return [r["policy"] for r in self._report["results"]]

    def to_json(self) -> str:
        """The results JSON document, byte for byte what ``fogsched run --json`` prints."""
        return self._json

    def save(self, path: Union[str, os.PathLike[str]]) -> None:
        """Writes the results JSON document, as ``fogsched run --out`` writes ``results.json``."""
        Path(path).write_text(self._json + "\n", encoding="utf-8")

    def table(self, metrics: Optional[Sequence[str]] = None, wide: bool = False) -> str:
        """The comparison table ``fogsched run`` prints: the columns that fit 120 columns,
        ``metrics`` (names as ``fogsched run --metrics``, in that order) or, with ``wide``,
        every column. An unknown metric raises :class:`ValueError`."""
        return _core.format_table(self._json, list(metrics or []), wide)

    def summary(self) -> pd.DataFrame:
        """One row per policy; columns as in :func:`flatten_metrics`.

        ``scenario``, ``seed``, ``policy``, ``replications`` and ``invocations`` come
        first, then ``<metric>_mean`` and ``<metric>_ci95`` for every metric of the
        JSON document, in its order.
        """
        import pandas as pd

        rows = [{"scenario": self.scenario, "seed": self.seed, **flatten_metrics(result)}
                for result in self._report["results"]]
        return pd.DataFrame(rows)

    @property
    def has_trace(self) -> bool:
        """Whether the run kept its trace (``run(..., trace=True)``)."""
        return self._trace is not None

    def trace(self) -> pd.DataFrame:
        """Every invocation that ended, one row each, as ``--trace`` writes them.

        Columns, as in the CLI's trace CSV: ``id``, ``policy`` (categorical), ``replication``, ``function``,
        ``origin``, ``executed_on``, ``hops``, ``probes``, ``decision`` and
        ``outcome`` (categorical), ``arrival_s``, ``start_s``, ``end_s``,
        ``response_s``, ``vehicle`` (nullable integer), ``blacklisted``, ``alert_s``
        (NaN when no alert was delivered). The columns are the numpy arrays the
        simulator filled; no Python object is made per row.
        """
        import pandas as pd

        if self._trace is None:
            raise ValueError("this run kept no trace: run it with fogsched.run(..., trace=True)")
        columns = dict(self._trace)
        names = _core.trace_code_names()
        # Categories must be unique; a policy listed twice shares its category.
        unique_policies, code_of_policy = np.unique(np.asarray(self._policies, dtype=object), return_inverse=True)
        policy_codes = code_of_policy.astype(np.int32)[columns["policy"]]
        columns["policy"] = pd.Categorical.from_codes(policy_codes, categories=list(unique_policies))
        columns["decision"] = pd.Categorical.from_codes(columns["decision"], categories=names["decision"])
        columns["outcome"] = pd.Categorical.from_codes(columns["outcome"], categories=names["outcome"])
        vehicle = columns["vehicle"]
        columns["vehicle"] = pd.arrays.IntegerArray(vehicle, mask=vehicle < 0)
        return pd.DataFrame(columns, copy=False)

    def __repr__(self) -> str:
        return f"Results(scenario={self.scenario!r}, seed={self.seed}, policies={self.policies!r})"


def policy_arguments(policies: Optional[Iterable[PolicyLike]]
                     ) -> tuple[Optional[list[str]], list[tuple[str, Callable[[], Any]]]]:
    """``policies`` as the core takes them: the specs (None: the scenario's own) and
    the (name, factory) pairs of the Python policies they name."""
    if isinstance(policies, (str, Mapping)) or is_python_policy(policies):
        policies = [policies]
    if policies is None:
        return None, []
    specs = []
    python_policies: dict[str, Any] = {}
    for p in policies:
        if not is_python_policy(p):
            specs.append(policy_spec(p))
            continue
        name = policy_name(p)
        if name in python_policies and python_policies[name][0] is not p:
            raise _core.PolicyError(f"two Python policies are named '{name}': set the class attribute `name`")
        python_policies.setdefault(name, (p, policy_factory(p)))
        specs.append(name)
    return specs, [(name, factory) for name, (_, factory) in python_policies.items()]


def run(scenario: ScenarioLike, policies: Optional[Iterable[PolicyLike]] = None,
        replications: Optional[int] = None, seed: Optional[int] = None, threads: Optional[int] = None, *,
        duration: Optional[str] = None, trace: bool = False) -> Results:
    """Simulates every replication of every policy, like ``fogsched run``.

    ``scenario`` is a :class:`Scenario`, a file path or a dict. ``policies`` replaces
    the scenario's list (specs such as ``"power_of_d(d=2,threshold=3)"``, dicts
    ``{"name": "power_of_d", "d": 2}``, or a :class:`fogsched.Policy` subclass or
    instance: each node gets its own instance, the class called with no arguments or
    a deep copy of the instance); ``replications``, ``seed`` and ``duration``
    (``"2min"``; the warm-up shrinks in proportion when it no longer fits) override
    the scenario's. ``threads`` (default: every core) does not change the results.
    With ``trace=True`` every invocation is kept for :meth:`Results.trace`.

    The GIL is released while simulating; Ctrl-C stops the run within a fraction of
    a second with ``KeyboardInterrupt``. Raises :class:`fogsched.ScenarioError` and
    :class:`fogsched.PolicyError` with the CLI's messages, and
    :class:`fogsched.ResourceError` before anything is allocated when the run cannot fit.
    A Python policy that raises stops the run with :class:`fogsched.PythonPolicyError`
    (its traceback, node and invocation in the message); a decision of the wrong type
    raises :class:`fogsched.DecisionTypeError`.
    """
    specs, python_policies = policy_arguments(policies)
    output = _core.run(as_scenario(scenario).document, policies=specs, replications=replications, seed=seed,
                       threads=0 if threads is None else threads, duration=duration, keep_trace=trace,
                       python_policies=python_policies)
    return Results(output["json"], output["trace"], output["policies"])
