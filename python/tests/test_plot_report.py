"""Plots and the HTML report (rendered in headless Chromium)."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import fogsched  # noqa: E402
import fogsched.plot  # noqa: E402
import fogsched.report  # noqa: E402
from conftest import SCENARIOS  # noqa: E402

CITY = SCENARIOS / "city-default.yaml"


@pytest.fixture(scope="module")
def results():
    return fogsched.run(CITY, policies=["local", "power_of_d(d=2,threshold=3)", "cloud_offload"], replications=3,
                        duration="1min")


@pytest.fixture(scope="module")
def load_sweep():
    return fogsched.sweep(CITY, grid={"load": [0.5, 0.7, 0.9], "policy": ["local", "power_of_d"]}, replications=3,
                          duration="30s")


def test_compare_draws_one_line_with_error_bars_per_policy(load_sweep):
    figure = fogsched.plot.compare(load_sweep, x="load", metric="rejection_probability")
    (axes,) = figure.axes
    containers = axes.containers  # one ErrorbarContainer per policy
    assert [c.get_label() for c in containers] == ["local", "power_of_d(d=2,threshold=3)"]
    for container, (_, rows) in zip(containers, load_sweep.groupby("policy", sort=False)):
        line, _, (bars,) = container.lines
        np.testing.assert_array_equal(line.get_xdata(), rows["load"])
        np.testing.assert_array_equal(line.get_ydata(), rows["rejection_probability_mean"])
        # Each error bar spans mean ± ci95.
        spans = [segment[1, 1] - segment[0, 1] for segment in bars.get_segments()]
        np.testing.assert_allclose(spans, 2 * rows["rejection_probability_ci95"])
    assert axes.get_ylabel() == "rejection probability"


def test_compare_refuses_ambiguous_frames_and_unknown_metrics(load_sweep):
    doubled = load_sweep.assign(load=0.5)
    with pytest.raises(ValueError, match="several rows"):
        fogsched.plot.compare(doubled, x="load")
    with pytest.raises(KeyError, match="rejection_probability"):
        fogsched.plot.compare(load_sweep, x="load", metric="speed")


def test_compare_metrics_has_one_plot_per_metric(load_sweep):
    metrics = ["rejection_probability", "forwarded_fraction", "response_time_s_p95", "utilization"]
    figure = fogsched.plot.compare_metrics(load_sweep, x="load", metrics=metrics, ncols=2)
    visible = [axes for axes in figure.axes if axes.get_visible()]
    assert [axes.get_ylabel() for axes in visible] == [fogsched.plot.label(m) for m in metrics]


class _ReportParser(HTMLParser):
    """Collects the charts and the comparison table's rows of a report page."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[dict[str, str]] = []
        self.body: dict[str, str] = {}
        self.table_rows: list[list[str]] = []
        self._in_table = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        if tag == "svg":
            self.charts.append(attributes)
        elif tag == "body":
            self.body = attributes
        elif tag == "table" and attributes.get("id") == "comparison":
            self._in_table = True
        elif self._in_table and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            # A policy's name is one text broken by <wbr>; a value is its mean and "± half-width".
            joiner = "" if not self._row else " "
            self._row.append(joiner.join(part.strip() for part in self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.table_rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(html_text: str) -> _ReportParser:
    parser = _ReportParser()
    parser.feed(html_text)
    return parser


def test_report_is_self_contained_with_table_and_charts(results, tmp_path):
    path = fogsched.report.write_html(results, tmp_path / "report.html")
    text = path.read_text()
    page = parse(text)
    assert page.table_rows[0][0] == "policy"
    assert [row[0] for row in page.table_rows[1:]] == results.policies
    # Rounded as the CLI's table rounds (the same C++ code): rejection, forwarded and
    # probes, which that table always shows, read the same there.
    table = results.table()
    assert page.table_rows[0][1:4] == ["rejection ↓", "forwarded ↓", "probes/inv ↓"]
    assert "±" in page.table_rows[2][1]
    for row in page.table_rows[1:]:
        for cell in row[1:4]:
            assert cell in table, cell
    assert len(page.charts) == len(page.table_rows[0]) - 1  # one per metric
    assert "<img" not in text and "<script" not in text
    assert "http://" not in text and "https://" not in text
    assert fogsched.report.render_html(results.report, title="a <b>") == fogsched.report.render_html(
        results.to_json(), title="a <b>")
    assert "<title>a &lt;b&gt;</title>" in fogsched.report.render_html(results, title="a <b>")


def test_report_command_line(results, tmp_path):
    json_path = tmp_path / "results.json"
    results.save(json_path)
    html_path = tmp_path / "out.html"
    completed = subprocess.run([sys.executable, "-m", "fogsched.report", str(json_path), "-o", str(html_path)],
                               capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    assert parse(html_path.read_text()).table_rows[1][0] == "local"
    missing = subprocess.run([sys.executable, "-m", "fogsched.report", str(tmp_path / "none.json")],
                             capture_output=True, text=True, timeout=120, check=False)
    assert missing.returncode == 2 and "none.json" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"scenario": "x"}')
    refused = subprocess.run([sys.executable, "-m", "fogsched.report", str(broken)],
                             capture_output=True, text=True, timeout=120, check=False)
    assert refused.returncode == 2 and "missing" in refused.stderr


# Appended to a copy of the report: after loading, records on <body> the widths that
# tell whether the tables fit the page and whether the charts are laid out, for
# --dump-dom to show.
_PROBE = """<script>
window.addEventListener("load", () => {
  const data = document.body.dataset;
  const table = document.getElementById("comparison");
  data.tableWidth = table.scrollWidth;
  data.boxScrollWidth = table.parentElement.scrollWidth;
  data.boxWidth = table.parentElement.clientWidth;
  data.tableHeight = Math.round(table.getBoundingClientRect().height);
  data.pageWidth = document.documentElement.scrollWidth;
  data.windowWidth = window.innerWidth;
  data.chartWidths = Array.from(document.querySelectorAll("svg"),
                                (svg) => Math.round(svg.getBoundingClientRect().width)).join(" ");
});
</script>"""

# Seven long policy specs, each with faults, so every column of the table is shown.
_LONG_NAMES = [
    "least_loaded(gossip_interval=1s,fanout=0)",
    "least_loaded(gossip_interval=250ms,fanout=3)",
    "power_of_d(d=2,threshold=3)",
    "cloud_offload(threshold=4)",
    "threshold_random(threshold=2,attempts=3)",
    "sarsa(model=models/city-default.json,learn=false,levels=8,peer_buckets=4,gossip=1s)",
    "q_learning(model=models/city-default.json,learn=false,shared=true,camera=3)",
]


def wide_report(results) -> dict:
    report = copy.deepcopy(results.report)
    template = report["results"][1]
    report["results"] = []
    for i, name in enumerate(_LONG_NAMES):
        entry = copy.deepcopy(template)
        entry["policy"] = name
        entry["failed_fraction"] = {"mean": 0.001234 * (i + 1), "ci95": 0.000987}
        entry["timeouts_per_invocation"] = {"mean": 0.01234 * (i + 1), "ci95": 0.00123}
        entry["response_time_s"]["p99"] = {"mean": 12.3456 + i, "ci95": 0.0123}
        report["results"].append(entry)
    return report


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (scripts/install-deps.sh installs it)")
        pytest.skip("chromium is not installed")
    return found


def render_in_chromium(html_text: str, tmp_path) -> _ReportParser:
    probed = tmp_path / "probed.html"
    probed.write_text(html_text.replace("</body>", _PROBE + "</body>"))
    completed = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,900", f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000",
         "--dump-dom", probed.as_uri()],
        capture_output=True, text=True, timeout=90, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return parse(completed.stdout)


def test_report_renders_in_headless_chromium_and_the_table_fits_the_page(results, tmp_path):
    report = wide_report(results)
    html_text = fogsched.report.render_html(report)
    dom = render_in_chromium(html_text, tmp_path)
    assert [row[0] for row in dom.table_rows[1:]] == _LONG_NAMES
    assert len(dom.table_rows[0]) == 13  # the policy and all twelve metrics
    body = dom.body
    assert int(body["data-table-height"]) > 0
    assert int(body["data-window-width"]) == 1280
    assert int(body["data-table-width"]) <= int(body["data-box-width"]), body
    assert int(body["data-box-scroll-width"]) <= int(body["data-box-width"]), body
    assert int(body["data-page-width"]) <= int(body["data-window-width"]), body
    widths = [int(w) for w in body["data-chart-widths"].split()]
    assert len(widths) == len(parse(html_text).charts) == 12
    assert all(width > 300 for width in widths), widths  # laid out, visible
