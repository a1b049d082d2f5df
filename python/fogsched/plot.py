"""Matplotlib figures of fogsched results, with 95 % confidence intervals.

Every function takes the tidy frames of :meth:`fogsched.Results.summary` and
:func:`fogsched.sweep`: a metric ``m`` is read from the columns ``m_mean`` and
``m_ci95``, so ``metric="response_time_s_p95"`` plots the p95 response time.
Without ``ax`` a new figure is made; the figure is returned either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Axis labels of the metrics of the results JSON (and of the ``load`` sweep key).
METRIC_LABELS: dict[str, str] = {
    "load": "offered load per slot",
    "rejection_probability": "rejection probability",
    "forwarded_fraction": "forwarded fraction",
    "probes_per_invocation": "probe messages per invocation",
    "deadline_miss_rate": "deadline-miss rate",
    "response_time_s_mean": "mean response time [s]",
    "response_time_s_p50": "median response time [s]",
    "response_time_s_p95": "p95 response time [s]",
    "response_time_s_p99": "p99 response time [s]",
    "utilization": "utilisation",
    "jain_fairness": "Jain fairness",
    "failed_fraction": "failed fraction",
    "timeouts_per_invocation": "timeouts per invocation",
    "alerts_delivered": "alerts delivered",
    "alerts_latency_s_mean": "mean alert latency [s]",
    "alerts_latency_s_p95": "p95 alert latency [s]",
    "alerts_blacklisted_missed": "blacklisted vehicles missed",
    "alerts_uplink_utilization": "uplink utilisation",
}


def label(metric: str) -> str:
    """The axis label of a metric (its name when it has none)."""
    return METRIC_LABELS.get(metric, metric.replace("_", " "))


def metric_columns(df: pd.DataFrame, metric: str) -> tuple[str, str]:
    """The ``(mean, ci95)`` column names of ``metric``; KeyError naming the choices if absent."""
    mean, ci95 = f"{metric}_mean", f"{metric}_ci95"
    if mean not in df.columns or ci95 not in df.columns:
        choices = sorted(c[: -len("_mean")] for c in df.columns if c.endswith("_mean"))
        raise KeyError(f"no metric {metric!r} in the frame (it has: {', '.join(choices)})")
    return mean, ci95


def _axes(ax: Optional[Axes], figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return new_ax


def compare(df: pd.DataFrame, x: str = "load", metric: str = "rejection_probability", *,
            ax: Optional[Axes] = None, policy: str = "policy") -> Figure:
    """One line per policy of ``metric`` against ``x``, with 95 % CI error bars.

    ``df`` is a :func:`fogsched.sweep` frame (or any frame with the columns ``x``,
    ``policy``, ``metric_mean`` and ``metric_ci95``) holding one row per policy and
    value of ``x``: filter other grid keys to one value first.
    """
    mean, ci95 = metric_columns(df, metric)
    if x not in df.columns:
        raise KeyError(f"no column {x!r} in the frame")
    if df.duplicated([policy, x]).any():
        raise ValueError(f"several rows per {policy} and {x}: select one value of the other grid keys first")
    axes = _axes(ax, (6.0, 4.0))
    for name, rows in df.groupby(policy, sort=False, observed=True):
        rows = rows.sort_values(x)
        axes.errorbar(rows[x], rows[mean], yerr=np.nan_to_num(rows[ci95].to_numpy(dtype=float)), marker="o",
                      markersize=4, capsize=3, label=str(name))
    axes.set_xlabel(label(x))
    axes.set_ylabel(label(metric))
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small")
    return axes.figure


def compare_metrics(df: pd.DataFrame, x: str = "load",
                    metrics: Sequence[str] = ("rejection_probability", "forwarded_fraction", "response_time_s_p95"),
                    *, ncols: int = 3, policy: str = "policy") -> Figure:
    """:func:`compare` for several metrics side by side, with one legend below them."""
    import matplotlib.pyplot as plt

    nrows = -(-len(metrics) // ncols)
    columns = min(ncols, len(metrics))
    figure, axes = plt.subplots(nrows, columns, figsize=(4.5 * columns, 3.6 * nrows), squeeze=False,
                                layout="constrained")
    for metric, axis in zip(metrics, axes.flat):
        compare(df, x=x, metric=metric, ax=axis, policy=policy)
        axis.get_legend().remove()
    for axis in list(axes.flat)[len(metrics):]:
        axis.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    # Below the plots, where it hides no line; savefig(bbox_inches="tight") keeps it.
    figure.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(4, len(labels)),
                  fontsize="small", frameon=False)
    return figure


def bars(df: pd.DataFrame, metric: str = "rejection_probability", *, ax: Optional[Axes] = None,
         policy: str = "policy") -> Figure:
    """One bar per policy of ``metric`` with its 95 % CI, for a single run's summary."""
    mean, ci95 = metric_columns(df, metric)
    axes = _axes(ax, (6.0, 0.5 + 0.45 * len(df)))
    positions = np.arange(len(df))
    axes.barh(positions, df[mean], xerr=np.nan_to_num(df[ci95].to_numpy(dtype=float)), capsize=3,
              color="tab:blue", alpha=0.8)
    axes.set_yticks(positions, [str(p) for p in df[policy]], fontsize="small")
    axes.invert_yaxis()
    axes.set_xlabel(label(metric))
    axes.grid(True, axis="x", alpha=0.3)
    return axes.figure


def learning_curve(curve: pd.DataFrame, *, ax: Optional[Axes] = None) -> Figure:
    """The rejection probability (left axis) and the reward per invocation (right
    axis) of each training episode, from :attr:`fogsched.TrainingResult.curve` (or
    a ``fogsched train --curve`` CSV read with pandas)."""
    for column in ("episode", "rejection_probability", "reward_per_invocation"):
        if column not in curve.columns:
            raise KeyError(f"no column {column!r}: expected a learning curve (fogsched.train(...).curve)")
    axes = _axes(ax, (6.0, 3.5))
    rejection = axes.plot(curve["episode"], curve["rejection_probability"], marker="o", markersize=3,
                          color="tab:red", label=label("rejection_probability"))
    axes.set_xlabel("episode")
    axes.set_ylabel(label("rejection_probability"))
    axes.grid(True, alpha=0.3)
    reward_axes = axes.twinx()
    reward = reward_axes.plot(curve["episode"], curve["reward_per_invocation"], marker="s", markersize=3,
                              color="tab:blue", label="reward per invocation")
    reward_axes.set_ylabel("reward per invocation")
    lines = rejection + reward
    axes.legend(lines, [line.get_label() for line in lines], fontsize="small")
    return axes.figure


__all__ = ["METRIC_LABELS", "bars", "compare", "compare_metrics", "label", "learning_curve", "metric_columns"]
