"""Self-contained HTML reports of a run: the comparison table and bar charts.

    python3 -m fogsched.report results.json -o report.html

The page is the one ``fogsched run --report`` writes, rendered by the same C++ code:
values rounded to the digits their interval supports, the best policy per metric in
bold, a bar chart per metric as inline SVG, the style sheet inline and no script, so
the file can be mailed or archived alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Optional, Union

from . import _core
from ._results import Results

ResultsLike = Union[Results, Mapping[str, Any], str, os.PathLike]


def _json_text(results: ResultsLike) -> str:
    if isinstance(results, Results):
        return results.to_json()
    if isinstance(results, Mapping):
        return json.dumps(results)
    if isinstance(results, str) and results.lstrip().startswith("{"):
        return results
    if isinstance(results, (str, os.PathLike)):
        return Path(results).read_text(encoding="utf-8")
    raise TypeError(f"expected Results, a dict, JSON text or a path, got {type(results).__name__}")


def as_results(results: ResultsLike) -> Results:
    """:class:`Results` from results, a results dict, JSON text or a JSON file path."""
    return results if isinstance(results, Results) else Results(_json_text(results))


def render_html(results: ResultsLike, title: Optional[str] = None) -> str:
    """The report page as a string (see :func:`write_html`); a malformed document raises ValueError."""
    return _core.html_report(_json_text(results), title or "")


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


__all__ = ["as_results", "main", "render_html", "write_html"]

if __name__ == "__main__":
    sys.exit(main())
