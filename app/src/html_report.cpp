#include "fogsched/app/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fogsched/core/result_text.h"

namespace fogsched::app {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// The table keeps within the page: headers wrap, a cell holds its mean and its
// half-width on two lines, and long policy specs wrap after ',' and '('.
constexpr std::string_view kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1em; max-width: 1100px; color: #222; }
.table-box { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.8em; }
th, td { padding: 0.3em 0.5em; border-bottom: 1px solid #ddd; text-align: right; vertical-align: top; }
thead th { border-bottom: 2px solid #444; vertical-align: bottom; font-weight: 600; }
th:first-child, td:first-child { text-align: left; overflow-wrap: anywhere; min-width: 8em; }
td .mean, td .ci { display: block; white-space: nowrap; }
td .ci { color: #666; }
td.best { font-weight: bold; background: #e8f0fb; }
.legend { font-size: 0.85em; color: #555; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(400px, 1fr)); gap: 1.5em; }
figure { margin: 0; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #555; }
)";

// A policy name that may break after ',' and '(' (as in "least_loaded(gossip_interval=1s,fanout=0)").
std::string breakable(std::string_view policy) {
  std::string out;
  for (std::size_t i = 0; i < policy.size(); ++i) {
    out += html_escape(policy.substr(i, 1));
    if (policy[i] == ',' || policy[i] == '(') out += "<wbr>";
  }
  return out;
}

// Which way a metric is better: the arrow after its header and the words saying it.
struct Direction {
  std::string_view mark;
  std::string_view text;
};

Direction direction(Better better) {
  switch (better) {
    case Better::lower: return {" ↓", "lower is better"};
    case Better::higher: return {" ↑", "higher is better"};
    case Better::neither: break;
  }
  return {"", "neither higher nor lower is better"};
}

std::vector<const MetricColumn*> applicable(const std::vector<PolicyResult>& results,
                                            std::span<const MetricColumn> catalogue) {
  std::vector<const MetricColumn*> columns;
  for (const MetricColumn& metric : catalogue) {
    if (metric_applies(results, metric)) columns.push_back(&metric);
  }
  return columns;
}

std::string table_html(std::string_view id, const std::vector<PolicyResult>& results,
                       const std::vector<const MetricColumn*>& columns) {
  std::string html = fmt::format(R"(<div class="table-box"><table id="{}"><thead><tr><th>policy</th>)", id);
  std::vector<std::optional<std::size_t>> best;
  for (const MetricColumn* metric : columns) {
    const Direction better = direction(metric->better);
    html += fmt::format(R"(<th title="{}">{}{}</th>)", better.text, html_escape(metric->header), better.mark);
    best.push_back(best_policy(results, *metric));
  }
  html += "</tr></thead>\n<tbody>\n";
  for (std::size_t row = 0; row < results.size(); ++row) {
    html += fmt::format("<tr><td>{}</td>", breakable(results[row].policy));
    for (std::size_t column = 0; column < columns.size(); ++column) {
      const MetricColumn& metric = *columns[column];
      const EstimateText text = round_to_interval(results[row].*metric.estimate, metric.scale);
      html += best[column] == row ? R"(<td class="best">)" : "<td>";
      html += fmt::format(R"(<span class="mean">{}</span>)", html_escape(text.mean));
      if (!text.half_width.empty())
        html += fmt::format(R"(<span class="ci">± {}</span>)", html_escape(text.half_width));
      html += "</td>";
    }
    html += "</tr>\n";
  }
  return html + "</tbody></table></div>\n";
}

// --- Charts ---------------------------------------------------------------------

// One row per policy: its name, then its bar with the interval's whisker and its
// rounded value beside the plot area.
constexpr double kChartWidth = 540;
constexpr double kPlotLeft = 8;
constexpr double kPlotRight = 380;
constexpr double kValueX = 392;
constexpr double kTop = 6;
constexpr double kBottom = 6;
constexpr double kRowHeight = 36;
constexpr double kBarOffset = 18;  // from the row's top
constexpr double kBarHeight = 12;
constexpr std::string_view kBarColour = "#9bb8e0";
constexpr std::string_view kBestBarColour = "#1f4e99";

// Coordinates with fixed precision, so the same report gives the same bytes.
std::string coordinate(double x) { return fmt::format("{:.1f}", x); }

bool finite_interval(double half_width) { return std::isfinite(half_width) && half_width > 0; }

std::string bar_chart(const std::vector<PolicyResult>& results, const MetricColumn& metric) {
  const std::optional<std::size_t> best = best_policy(results, metric);
  // The axis spans zero and every finite mean and interval end.
  double low = 0;
  double high = 0;
  for (const PolicyResult& r : results) {
    const Estimate& e = r.*metric.estimate;
    const double mean = e.mean * metric.scale;
    if (!std::isfinite(mean)) continue;
    const double spread = finite_interval(e.ci95) ? e.ci95 * metric.scale : 0;
    low = std::min(low, mean - spread);
    high = std::max(high, mean + spread);
  }
  if (high <= low) high = low + 1;  // every mean zero (or none): an empty axis
  const auto x = [&](double value) { return kPlotLeft + (value - low) / (high - low) * (kPlotRight - kPlotLeft); };

  const double height = kTop + kRowHeight * static_cast<double>(results.size()) + kBottom;
  const std::string label = html_escape(metric.header);
  std::string svg = fmt::format(R"(<svg viewBox="0 0 {0} {1}" width="{0}" height="{1}" role="img" aria-label="{2}" )"
                                R"(font-family="system-ui, sans-serif" font-size="12">)"
                                "\n",
                                coordinate(kChartWidth), coordinate(height), label);
  svg += fmt::format(R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#999"/>)"
                     "\n",
                     coordinate(x(0)), coordinate(kTop), coordinate(height - kBottom));
  for (std::size_t i = 0; i < results.size(); ++i) {
    const Estimate& e = results[i].*metric.estimate;
    const double mean = e.mean * metric.scale;
    const double half_width = e.ci95 * metric.scale;
    const double top = kTop + kRowHeight * static_cast<double>(i);
    const bool is_best = best == i;
    const std::string_view weight = is_best ? R"( font-weight="bold")" : "";
    svg += fmt::format(R"(<text x="{}" y="{}"{}>{}</text>)", coordinate(kPlotLeft), coordinate(top + 13), weight,
                       html_escape(results[i].policy));
    if (std::isfinite(mean)) {
      svg +=
          fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>)", coordinate(std::min(x(0), x(mean))),
                      coordinate(top + kBarOffset), coordinate(std::abs(x(mean) - x(0))), coordinate(kBarHeight),
                      is_best ? kBestBarColour : kBarColour);
      if (finite_interval(half_width)) {
        const double middle = top + kBarOffset + kBarHeight / 2;
        const std::string from = coordinate(x(mean - half_width));
        const std::string to = coordinate(x(mean + half_width));
        svg += fmt::format(R"(<path d="M{0} {2}H{1}M{0} {3}V{4}M{1} {3}V{4}" stroke="#222" fill="none"/>)", from, to,
                           coordinate(middle), coordinate(middle - 4), coordinate(middle + 4));
      }
    }
    svg += fmt::format(R"(<text x="{}" y="{}"{}>{}</text>)"
                       "\n",
                       coordinate(kValueX), coordinate(top + kBarOffset + 10), weight,
                       html_escape(round_to_interval(e, metric.scale).joined()));
  }
  svg += "</svg>";
  return fmt::format(
      "<figure id=\"chart-{}\">{}<figcaption>{}, mean and 95 % confidence interval; {}</figcaption>"
      "</figure>\n",
      metric.name, svg, label, direction(metric.better).text);
}

std::string replications_text(const std::vector<PolicyResult>& results) {
  std::set<std::uint32_t> counts;
  for (const PolicyResult& r : results) counts.insert(r.replications);
  if (counts.empty()) return "no policy";
  const bool one = counts.size() == 1 && *counts.begin() == 1;
  return fmt::format("{} replication{} per policy", fmt::join(counts, " or "), one ? "" : "s");
}

}  // namespace

std::string html_report(const RunReport& report, std::string_view title) {
  const std::vector<PolicyResult>& results = report.results;
  const std::string page_title = html_escape(title.empty() ? "fogsched: " + report.scenario : std::string(title));
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{0}</title>"
      "<style>{1}</style></head>\n<body>\n<h1>{0}</h1>\n"
      "<p>Scenario <b>{2}</b>, seed {3}, {4}. Each value is the mean over replications ± the half-width of its "
      "95 % confidence interval (Student t), rounded to the digits the interval supports: the half-width to one "
      "or two significant digits, the mean to the same place.</p>\n",
      page_title, kStyle, html_escape(report.scenario), report.seed, replications_text(results));

  const std::vector<const MetricColumn*> comparison = applicable(results, comparison_metrics());
  html += "<h2>Comparison</h2>\n" + table_html("comparison", results, comparison);
  std::vector<const MetricColumn*> charted = comparison;
  if (has_alerts(results)) {
    const std::vector<const MetricColumn*> alerts = applicable(results, alert_metrics());
    html += "<h2>Blacklist alerts</h2>\n" + table_html("alerts", results, alerts);
    charted.insert(charted.end(), alerts.begin(), alerts.end());
  }
  if (results.size() > 1) {
    html +=
        "<p class=\"legend\"><b>Bold</b>: the best policy in its column (↓ lower is better, ↑ higher is "
        "better), when exactly one policy has the best mean.</p>\n";
  }
  html +=
      "<h2>Charts</h2>\n<p class=\"legend\">Each bar is a policy's mean, its whisker the 95 % confidence "
      "interval; the dark bar, with its name in bold, is the best.</p>\n<div class=\"charts\">\n";
  for (const MetricColumn* metric : charted) html += bar_chart(results, *metric);
  return html + "</div>\n</body></html>\n";
}

}  // namespace fogsched::app
