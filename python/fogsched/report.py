"""Self-contained HTML reports of a run: the comparison table and bar charts.

    python3 -m fogsched.report results.json -o report.html

The page has no external resources: plots are PNG images embedded as base64 data
URIs and the style sheet is inline, so the file can be mailed or archived alone.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import math
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

from ._results import Results
from .plot import bars, label

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

ResultsLike = Union[Results, Mapping[str, Any], str, os.PathLike]

#: Metrics shown in the table and plotted, in this order.
CORE_METRICS: tuple[str, ...] = (
    "rejection_probability",
    "forwarded_fraction",
    "probes_per_invocation",
    "deadline_miss_rate",
    "response_time_s_mean",
    "response_time_s_p95",
    "response_time_s_p99",
    "utilization",
    "jain_fairness",
)
#: Shown only when some policy has a non-zero value (faults, blacklist alerts).
OPTIONAL_METRICS: tuple[str, ...] = (
    "failed_fraction",
    "timeouts_per_invocation",
    "alerts_delivered",
    "alerts_latency_s_p95",
    "alerts_blacklisted_missed",
    "alerts_uplink_utilization",
)

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; margin-bottom: 2em; }
th, td { padding: 0.3em 0.6em; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid #444; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; }
figcaption { font-size: 0.85em; color: #555; }
"""


def as_results(results: ResultsLike) -> Results:
    """:class:`Results` from results, a results dict, JSON text or a JSON file path."""
    if isinstance(results, Results):
        return results
    if isinstance(results, Mapping):
        import json

        return Results(json.dumps(results))
    if isinstance(results, str) and results.lstrip().startswith("{"):
        return Results.from_json(results)
    if isinstance(results, (str, os.PathLike)):
        return Results.load(results)
    raise TypeError(f"expected Results, a dict, JSON text or a path, got {type(results).__name__}")


def shown_metrics(summary: pd.DataFrame) -> list[str]:
    """The core metrics, plus the optional ones some policy has a non-zero value of."""
    optional = [m for m in OPTIONAL_METRICS if (summary[f"{m}_mean"].fillna(0) != 0).any()]
    return list(CORE_METRICS) + optional


def _format(mean: float, ci95: float) -> str:
    def number(value: float) -> str:
        return f"{value:.4g}"

    if math.isnan(ci95):
        return number(mean)
    return f"{number(mean)} ± {number(ci95)}"


def table_html(summary: pd.DataFrame, metrics: Sequence[str]) -> str:
    """The comparison table: one row per policy, each metric as mean ± 95 % CI."""
    head = "".join(f"<th>{html.escape(label(m))}</th>" for m in metrics)
    rows = []
    for _, row in summary.iterrows():
        cells = "".join(f"<td>{_format(row[f'{m}_mean'], row[f'{m}_ci95'])}</td>" for m in metrics)
        rows.append(f"<tr><td>{html.escape(str(row['policy']))}</td><td>{row['replications']}</td>"
                    f"<td>{row['invocations']}</td>{cells}</tr>")
    return (f'<table id="comparison"><thead><tr><th>policy</th><th>replications</th><th>invocations</th>{head}'
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def figure_png(figure: Figure) -> str:
    """A figure as a base64 PNG."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def render_html(results: ResultsLike, title: Optional[str] = None) -> str:
    """The report page as a string (see :func:`write_html`)."""
    from matplotlib.figure import Figure

    loaded = as_results(results)
    summary = loaded.summary()
    metrics = shown_metrics(summary)
    title = title or f"fogsched: {loaded.scenario}"
    plots = []
    for metric in metrics:
        figure = Figure(figsize=(5.0, 0.9 + 0.4 * len(summary)), layout="constrained")
        bars(summary, metric, ax=figure.add_subplot())
        caption = html.escape(f"{label(metric)}, mean and 95 % confidence interval")
        plots.append(f'<figure><img alt="{html.escape(label(metric))}" src="data:image/png;base64,'
                     f'{figure_png(figure)}"><figcaption>{caption}</figcaption></figure>')
    replications = sorted(set(summary["replications"]))
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>"
            f"<p>Scenario <b>{html.escape(loaded.scenario)}</b>, seed {loaded.seed}, "
            f"{', '.join(map(str, replications))} replications per policy. Each value is the mean over "
            f"replications ± the half-width of its 95 % confidence interval (Student t).</p>"
            f"<h2>Comparison</h2>{table_html(summary, metrics)}"
            f'<h2>Plots</h2><div class="plots">{"".join(plots)}</div>'
            f"</body></html>\n")


def write_html(results: ResultsLike, path: Union[str, os.PathLike[str]], title: Optional[str] = None) -> Path:
    """Writes the self-contained HTML report of a run and returns its path.

    ``results`` is a :class:`fogsched.Results`, the results JSON as a dict or text,
    or the path of a ``results.json``.
    """
    target = Path(path)
    target.write_text(render_html(results, title), encoding="utf-8")
    return target


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python3 -m fogsched.report RESULTS.json -o report.html``."""
    parser = argparse.ArgumentParser(prog="python3 -m fogsched.report",
                                     description="Write a self-contained HTML report of a results JSON file.")
    parser.add_argument("results", help="results JSON, as written by fogsched run --json or --out")
    parser.add_argument("-o", "--output", default="report.html", help="HTML file to write (default: report.html)")
    parser.add_argument("--title", help="page title (default: the scenario's name)")
    args = parser.parse_args(argv)
    try:
        written = write_html(args.results, args.output, args.title)
    except (OSError, ValueError) as error:
        print(f"fogsched report: {error}", file=sys.stderr)
        return 2
    print(written)
    return 0


__all__ = ["CORE_METRICS", "OPTIONAL_METRICS", "as_results", "main", "render_html", "shown_metrics",
           "table_html", "write_html"]

if __name__ == "__main__":
    sys.exit(main())
