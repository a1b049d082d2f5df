// The HTML report: escaping, cells rounded as round_to_interval rounds, the best per
// column, a chart per shown metric, optional columns and the alert table only when
// they apply, NaN, and the same bytes for the same report.
#include "fogsched/app/html_report.h"

#include <cmath>
#include <cstddef>
#include <iterator>
#include <limits>
#include <regex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fogsched/core/result_text.h"
#include "fogsched/core/results.h"

namespace fogsched::app {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A result whose every comparison metric reads `base` ± `base` / 4, alerts and the
// metrics shown only when non-zero at zero.
PolicyResult result(std::string policy, double base) {
  PolicyResult r;
  r.policy = std::move(policy);
  r.replications = 5;
  for (const MetricColumn& metric : comparison_metrics()) {
    if (!metric.shown_when_nonzero) r.*metric.estimate = {base, base / 4};
  }
  return r;
}

RunReport three_policies() {
  return {.scenario = "city-default",
          .seed = 42,
          .results = {result("local", 0.002437), result("power_of_d(d=2,threshold=3)", 0.001142),
                      result("cloud_offload", 0.3)}};
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// The cells (inner HTML) of each body row of the table with this id.
std::vector<std::vector<std::string>> table_rows(const std::string& page, const std::string& id) {
  const std::size_t start = page.find("<table id=\"" + id + "\">");
  if (start == std::string::npos) return {};
  const std::size_t body = page.find("<tbody>", start);
  const std::string rows_text = page.substr(body, page.find("</tbody>", body) - body);
  std::vector<std::vector<std::string>> rows;
  const std::regex row_pattern("<tr>(.*?)</tr>");
  const std::regex cell_pattern("<td[^>]*>(.*?)</td>");
  for (auto row = std::sregex_iterator(rows_text.begin(), rows_text.end(), row_pattern); row != std::sregex_iterator();
       ++row) {
    const std::string cells_text = (*row)[1];
    std::vector<std::string> cells;
    for (auto cell = std::sregex_iterator(cells_text.begin(), cells_text.end(), cell_pattern);
         cell != std::sregex_iterator(); ++cell) {
      cells.push_back((*cell)[1]);
    }
    rows.push_back(cells);
  }
  return rows;
}

// The class attribute of every body cell ("" for none), row by row.
std::vector<std::vector<bool>> best_cells(const std::string& page, const std::string& id) {
  const std::size_t start = page.find("<table id=\"" + id + "\">");
  const std::size_t body = page.find("<tbody>", start);
  const std::string rows_text = page.substr(body, page.find("</tbody>", body) - body);
  std::vector<std::vector<bool>> rows;
  const std::regex row_pattern("<tr>(.*?)</tr>");
  const std::regex cell_pattern("<td( class=\"best\")?>");
  for (auto row = std::sregex_iterator(rows_text.begin(), rows_text.end(), row_pattern); row != std::sregex_iterator();
       ++row) {
    const std::string cells_text = (*row)[1];
    std::vector<bool> cells;
    for (auto cell = std::sregex_iterator(cells_text.begin(), cells_text.end(), cell_pattern);
         cell != std::sregex_iterator(); ++cell) {
      cells.push_back((*cell)[1].matched);
    }
    rows.push_back(cells);
  }
  return rows;
}

std::vector<const MetricColumn*> always_shown() {
  std::vector<const MetricColumn*> columns;
  for (const MetricColumn& metric : comparison_metrics()) {
    if (!metric.shown_when_nonzero) columns.push_back(&metric);
  }
  return columns;
}

std::string cell_text(const EstimateText& text) {
  std::string cell = "<span class=\"mean\">" + text.mean + "</span>";
  if (!text.half_width.empty()) cell += "<span class=\"ci\">± " + text.half_width + "</span>";
  return cell;
}

// The SVG of one metric's chart.
std::string chart(const std::string& page, const std::string& name) {
  const std::size_t start = page.find("<figure id=\"chart-" + name + "\">");
  if (start == std::string::npos) return {};
  return page.substr(start, page.find("</figure>", start) - start);
}

TEST(HtmlReport, EscapesPolicyNamesScenarioAndTitle) {
  RunReport report = three_policies();
  report.scenario = "a&b";
  report.results[0].policy = "evil<script>&\"x\"";
  const std::string page = html_report(report, "<title> & more");
  EXPECT_THAT(page, Not(HasSubstr("<script>")));
  EXPECT_THAT(page, HasSubstr("evil&lt;script&gt;&amp;&quot;x&quot;"));
  EXPECT_THAT(page, HasSubstr("<b>a&amp;b</b>"));
  EXPECT_THAT(page, HasSubstr("<title>&lt;title&gt; &amp; more</title>"));
  EXPECT_THAT(html_report(three_policies()), HasSubstr("<title>fogsched: city-default</title>"));
  EXPECT_EQ(html_escape("'<&>\""), "&#39;&lt;&amp;&gt;&quot;");
}

TEST(HtmlReport, PolicyNamesMayBreakAfterCommasAndParentheses) {
  const std::vector<std::vector<std::string>> rows = table_rows(html_report(three_policies()), "comparison");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1][0], "power_of_d(<wbr>d=2,<wbr>threshold=3)");
}

TEST(HtmlReport, CellsAreRoundedByTheIntervalRule) {
  const RunReport report = three_policies();
  const std::vector<std::vector<std::string>> rows = table_rows(html_report(report), "comparison");
  const std::vector<const MetricColumn*> columns = always_shown();
  ASSERT_EQ(rows.size(), report.results.size());
  for (std::size_t row = 0; row < rows.size(); ++row) {
    ASSERT_EQ(rows[row].size(), columns.size() + 1);
    for (std::size_t column = 0; column < columns.size(); ++column) {
      const MetricColumn& metric = *columns[column];
      EXPECT_EQ(rows[row][column + 1], cell_text(round_to_interval(report.results[row].*metric.estimate, metric.scale)))
          << metric.name;
    }
  }
  // 0.002437 ± 0.000609 and, in ms, 2.437 ± 0.609: the digits the interval supports.
  EXPECT_EQ(rows[0][1], "<span class=\"mean\">0.0024</span><span class=\"ci\">± 0.0006</span>");
  EXPECT_EQ(rows[0][4], "<span class=\"mean\">2.4</span><span class=\"ci\">± 0.6</span>");
}

TEST(HtmlReport, TheBestOfEachColumnWithADirectionIsBold) {
  const RunReport report = three_policies();
  const std::string page = html_report(report);
  const std::vector<std::vector<bool>> best = best_cells(page, "comparison");
  const std::vector<const MetricColumn*> columns = always_shown();
  for (std::size_t column = 0; column < columns.size(); ++column) {
    const std::optional<std::size_t> expected = best_policy(report.results, *columns[column]);
    EXPECT_EQ(expected.has_value(), columns[column]->better != Better::neither) << columns[column]->name;
    for (std::size_t row = 0; row < best.size(); ++row) {
      EXPECT_EQ(best[row][column + 1], expected == row) << columns[column]->name << " row " << row;
    }
  }
  EXPECT_THAT(page, HasSubstr("<th title=\"lower is better\">rejection ↓</th>"));
  EXPECT_THAT(page, HasSubstr("<th title=\"higher is better\">jain ↑</th>"));
  EXPECT_THAT(page, HasSubstr("<th title=\"neither higher nor lower is better\">utilization</th>"));
  EXPECT_THAT(page, HasSubstr("<b>Bold</b>: the best policy in its column"));
  // In the charts, the best bar is the dark one and its name bold.
  const std::string rejection = chart(page, "rejection");
  EXPECT_EQ(count(rejection, "fill=\"#1f4e99\""), 1u);
  EXPECT_THAT(rejection, HasSubstr("font-weight=\"bold\">power_of_d(d=2,threshold=3)</text>"));
  EXPECT_EQ(count(chart(page, "utilization"), "fill=\"#1f4e99\""), 0u);
}

TEST(HtmlReport, OneChartPerShownMetricWithBarsWhiskersAndRoundedLabels) {
  const RunReport report = three_policies();
  const std::string page = html_report(report);
  EXPECT_EQ(count(page, "<svg "), always_shown().size());
  for (const MetricColumn* metric : always_shown()) {
    const std::string svg = chart(page, std::string(metric->name));
    ASSERT_FALSE(svg.empty()) << metric->name;
    EXPECT_EQ(count(svg, "<rect "), 3u) << metric->name;
    EXPECT_EQ(count(svg, "<path "), 3u) << metric->name;  // whiskers
    for (const PolicyResult& r : report.results) {
      EXPECT_THAT(svg, HasSubstr(">" + round_to_interval(r.*metric->estimate, metric->scale).joined() + "</text>"));
    }
  }
  EXPECT_THAT(page, Not(HasSubstr("http://")));
  EXPECT_THAT(page, Not(HasSubstr("https://")));
  EXPECT_THAT(page, Not(HasSubstr("<script")));
}

TEST(HtmlReport, ColumnsShownOnlyWhenNonZeroAppearWithAValue) {
  RunReport report = three_policies();
  std::string page = html_report(report);
  EXPECT_THAT(page, Not(HasSubstr(">failed")));
  EXPECT_TRUE(chart(page, "failed").empty());
  EXPECT_TRUE(chart(page, "timeouts").empty());

  report.results[2].failed_fraction = {0.01, 0.002};
  page = html_report(report);
  EXPECT_THAT(page, HasSubstr(">failed ↓</th>"));
  EXPECT_FALSE(chart(page, "failed").empty());
  EXPECT_TRUE(chart(page, "timeouts").empty());
  EXPECT_EQ(table_rows(page, "comparison")[0].size(), always_shown().size() + 2);
}

TEST(HtmlReport, TheAlertTableOnlyWithBlacklistedTraffic) {
  RunReport report = three_policies();
  std::string page = html_report(report);
  EXPECT_THAT(page, Not(HasSubstr("<table id=\"alerts\">")));
  EXPECT_TRUE(chart(page, "alert_p95").empty());

  for (PolicyResult& r : report.results) {
    r.alerts_delivered = {120, 8};
    r.alert_latency_p95_s = {1.5, 0.2};
  }
  page = html_report(report);
  EXPECT_THAT(page, HasSubstr("<h2>Blacklist alerts</h2>"));
  const std::vector<std::vector<std::string>> rows = table_rows(page, "alerts");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].size(), alert_metrics().size() + 1);
  EXPECT_EQ(rows[0][1], cell_text(round_to_interval(report.results[0].alerts_delivered)));
  EXPECT_FALSE(chart(page, "alert_p95").empty());
  EXPECT_EQ(count(page, "<svg "), always_shown().size() + alert_metrics().size());
}

TEST(HtmlReport, NotANumberHasNoBarAndNoIntervalNoWhisker) {
  RunReport report = three_policies();
  report.results[0].response_p95_s = {kNaN, kNaN};
  report.results[1].response_p95_s = {0.2, kNaN};  // one replication: no interval
  const std::string page = html_report(report);
  const std::vector<std::vector<std::string>> rows = table_rows(page, "comparison");
  EXPECT_EQ(rows[0][6], "<span class=\"mean\">n/a</span>");
  EXPECT_EQ(rows[1][6], "<span class=\"mean\">200.0</span>");
  const std::string svg = chart(page, "resp_p95");
  EXPECT_EQ(count(svg, "<rect "), 2u);
  EXPECT_EQ(count(svg, "<path "), 1u);
  EXPECT_THAT(svg, HasSubstr(">n/a</text>"));
  EXPECT_THAT(svg, Not(HasSubstr("nan")));
  EXPECT_THAT(svg, Not(HasSubstr("inf")));

  // Every mean NaN or zero: an empty axis, still finite numbers.
  for (PolicyResult& r : report.results) r.response_p95_s = {kNaN, kNaN};
  report.results[2].response_p95_s = {0, 0};
  const std::string empty = chart(html_report(report), "resp_p95");
  EXPECT_THAT(empty, Not(HasSubstr("nan")));
  EXPECT_EQ(count(empty, "<rect "), 1u);
}

TEST(HtmlReport, TheSameReportGivesTheSameBytesWithFixedPrecisionNumbers) {
  const std::string page = html_report(three_policies());
  EXPECT_EQ(page, html_report(three_policies()));
  const std::string svg = chart(page, "rejection");
  const std::regex number_attribute(R"re( (x|y|x1|y1|x2|y2|width|height)="([^"]*)")re");
  std::size_t numbers = 0;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), number_attribute); it != std::sregex_iterator(); ++it) {
    EXPECT_TRUE(std::regex_match((*it)[2].str(), std::regex(R"(-?[0-9]+\.[0-9])"))) << (*it)[0];
    ++numbers;
  }
  EXPECT_GT(numbers, 20u);
}

TEST(HtmlReport, SaysWhatThePlusMinusMeans) {
  const std::string page = html_report(three_policies());
  EXPECT_THAT(page, HasSubstr("Scenario <b>city-default</b>, seed 42, 5 replications per policy."));
  EXPECT_THAT(html_report({.scenario = "s", .seed = 1, .results = {}}),
              HasSubstr("Scenario <b>s</b>, seed 1, no policy."));
  EXPECT_THAT(page, HasSubstr("± the half-width of its 95 % confidence interval (Student t), rounded to the digits "
                              "the interval supports"));
}

}  // namespace
}  // namespace fogsched::app
