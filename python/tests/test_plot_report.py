"""Plots and the HTML report (rendered in headless Chromium)."""

from __future__ import annotations

import base64
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
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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
    """Collects the images and the comparison table's rows of a report page."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []
        self.table_rows: list[list[str]] = []
        self._in_table = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        if tag == "img":
            self.images.append(attributes)
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
            self._row.append("".join(self._cell).strip())
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


def test_report_is_self_contained_with_table_and_plots(results, tmp_path):
    path = fogsched.report.write_html(results, tmp_path / "report.html")
    page = parse(path.read_text())
    assert page.table_rows[0][:3] == ["policy", "replications", "invocations"]
    assert [row[0] for row in page.table_rows[1:]] == results.policies
    power_of_d = results.report["results"][1]["rejection_probability"]
    assert page.table_rows[2][3] == f"{power_of_d['mean']:.4g} ± {power_of_d['ci95']:.4g}"
    assert len(page.images) == len(fogsched.report.shown_metrics(results.summary()))
    for image in page.images:
        prefix = "data:image/png;base64,"
        assert image["src"].startswith(prefix)  # nothing to fetch
        assert base64.b64decode(image["src"][len(prefix):]).startswith(PNG_SIGNATURE)
    assert "http://" not in path.read_text() and "https://" not in path.read_text()


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


# Appended to a copy of the report: after loading, records on each image whether it
# decoded (naturalWidth) and how wide it is laid out, for --dump-dom to show.
_PROBE = """<script>
window.addEventListener("load", () => {
  for (const image of document.images) {
    image.dataset.naturalWidth = image.naturalWidth;
    image.dataset.renderedWidth = Math.round(image.getBoundingClientRect().width);
  }
  const table = document.getElementById("comparison");
  document.body.dataset.tableHeight = table ? Math.round(table.getBoundingClientRect().height) : 0;
});
</script>"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (scripts/install-deps.sh installs it)")
        pytest.skip("chromium is not installed")
    return found


def test_report_renders_in_headless_chromium(results, tmp_path):
    browser = chromium()
    html_text = fogsched.report.render_html(results)
    probed = tmp_path / "probed.html"
    probed.write_text(html_text.replace("</body>", _PROBE + "</body>"))
    completed = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000", "--dump-dom",
         probed.as_uri()],
        capture_output=True, text=True, timeout=90, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    dom = parse(completed.stdout)
    assert len(dom.images) == len(parse(html_text).images) > 0
    for image in dom.images:
        assert int(image["data-natural-width"]) > 100, image["alt"]  # decoded
        assert int(image["data-rendered-width"]) > 100, image["alt"]  # laid out, visible
    assert [row[0] for row in dom.table_rows[1:]] == results.policies
    assert 'data-table-height="0"' not in completed.stdout and "data-table-height" in completed.stdout
