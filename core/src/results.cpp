// The result model: counting outcomes, reducing replications to summaries with
// confidence intervals, and the JSON, table and trace-CSV forms.
#include "fogsched/core/results.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "estimate_json.h"
#include "fogsched/core/quote_input.h"
#include "fogsched/core/result_text.h"
#include "text_table.h"

namespace fogsched {

MetricsCollector::MetricsCollector(std::uint32_t node_count)
    : busy_slot_seconds(node_count, 0.0), uplink_busy_seconds(node_count, 0.0) {}

// client_invocations is not touched here: the runtime counts arrivals as they
// happen, so invocations still in flight at the end are in the denominators too.
void MetricsCollector::record(const InvocationRecord& r) {
  if (r.executed_on != r.origin) ++forwarded;
  switch (r.outcome) {
    case Outcome::completed: ++completed; break;
    case Outcome::rejected: ++rejected; break;
    case Outcome::deadline_missed: ++deadline_missed; break;
    case Outcome::failed: ++failed; break;
  }
  // A response time exists only for invocations that ran to the end.
  if (r.outcome == Outcome::completed || r.outcome == Outcome::deadline_missed) {
    const double response_s = to_seconds(r.end - r.arrival);
    response_time_sum_s += response_s;
    response_time_s.record(response_s);
  }
}

void MetricsCollector::add_busy_time(std::uint32_t node, Duration busy) {
  if (node >= busy_slot_seconds.size()) busy_slot_seconds.resize(node + std::size_t{1}, 0.0);
  busy_slot_seconds[node] += to_seconds(busy);
}

void MetricsCollector::record_alert_delivered(Duration latency) {
  const double latency_s = to_seconds(latency);
  ++alerts_delivered;
  alert_latency_sum_s += latency_s;
  alert_latency_s.record(latency_s);
}

void MetricsCollector::add_uplink_busy_time(std::uint32_t camera, Duration busy) {
  if (camera >= uplink_busy_seconds.size()) uplink_busy_seconds.resize(camera + std::size_t{1}, 0.0);
  uplink_busy_seconds[camera] += to_seconds(busy);
}

namespace {

double ratio(double numerator, double denominator) { return denominator > 0 ? numerator / denominator : 0.0; }
double ratio(std::uint64_t numerator, std::uint64_t denominator) {
  return ratio(static_cast<double>(numerator), static_cast<double>(denominator));
}

double mean_of(const std::vector<double>& values) {
  double sum = 0;
  for (const double v : values) sum += v;
  return ratio(sum, static_cast<double>(values.size()));
}

}  // namespace

ReplicationSummary summarize_replication(const MetricsCollector& m, const std::vector<std::uint32_t>& slots_per_node,
                                         Duration window) {
  ReplicationSummary s;
  s.invocations = m.client_invocations;
  s.rejection_probability = ratio(m.rejected, m.client_invocations);
  s.forwarded_fraction = ratio(m.forwarded, m.client_invocations);
  s.probes_per_invocation = ratio(m.probe_messages, m.client_invocations);
  s.deadline_miss_rate = ratio(m.deadline_missed, m.client_invocations);
  s.response_mean_s = ratio(m.response_time_sum_s, static_cast<double>(m.completed + m.deadline_missed));
  s.response_p50_s = m.response_time_s.quantile(0.50);
  s.response_p95_s = m.response_time_s.quantile(0.95);
  s.response_p99_s = m.response_time_s.quantile(0.99);

  std::vector<double> utilizations;
  utilizations.reserve(slots_per_node.size());
  const double window_s = to_seconds(window);
  for (std::size_t node = 0; node < slots_per_node.size(); ++node) {
    const double busy = node < m.busy_slot_seconds.size() ? m.busy_slot_seconds[node] : 0.0;
    utilizations.push_back(ratio(busy, slots_per_node[node] * window_s));
  }
  s.utilization = mean_of(utilizations);
  s.jain_fairness = jain_fairness(utilizations);

  s.failed_fraction = ratio(m.failed, m.client_invocations);
  s.timeouts_per_invocation = ratio(m.forward_timeouts + m.probe_timeouts, m.client_invocations);

  s.alerts_delivered = static_cast<double>(m.alerts_delivered);
  s.alert_latency_mean_s = ratio(m.alert_latency_sum_s, static_cast<double>(m.alerts_delivered));
  s.alert_latency_p50_s = m.alert_latency_s.quantile(0.50);
  s.alert_latency_p95_s = m.alert_latency_s.quantile(0.95);
  s.alert_latency_p99_s = m.alert_latency_s.quantile(0.99);
  s.blacklisted_missed_fraction = ratio(m.blacklisted_missed, m.blacklisted_vehicles);
  // The collector holds one uplink per camera, whether or not it sent anything.
  std::vector<double> uplink_utilizations;
  uplink_utilizations.reserve(m.uplink_busy_seconds.size());
  for (const double busy : m.uplink_busy_seconds) uplink_utilizations.push_back(ratio(busy, window_s));
  s.uplink_utilization = mean_of(uplink_utilizations);
  return s;
}

PolicyResult summarize_policy(std::string policy, const std::vector<ReplicationSummary>& reps) {
  PolicyResult result;
  result.policy = std::move(policy);
  result.replications = static_cast<std::uint32_t>(reps.size());
  for (const ReplicationSummary& r : reps) result.invocations += r.invocations;

  std::vector<double> values(reps.size());
  const auto over_replications = [&](double ReplicationSummary::*field) {
    std::transform(reps.begin(), reps.end(), values.begin(), [field](const ReplicationSummary& r) { return r.*field; });
    return estimate(values);
  };
  result.rejection_probability = over_replications(&ReplicationSummary::rejection_probability);
  result.forwarded_fraction = over_replications(&ReplicationSummary::forwarded_fraction);
  result.probes_per_invocation = over_replications(&ReplicationSummary::probes_per_invocation);
  result.deadline_miss_rate = over_replications(&ReplicationSummary::deadline_miss_rate);
  result.response_mean_s = over_replications(&ReplicationSummary::response_mean_s);
  result.response_p50_s = over_replications(&ReplicationSummary::response_p50_s);
  result.response_p95_s = over_replications(&ReplicationSummary::response_p95_s);
  result.response_p99_s = over_replications(&ReplicationSummary::response_p99_s);
  result.utilization = over_replications(&ReplicationSummary::utilization);
  result.jain_fairness = over_replications(&ReplicationSummary::jain_fairness);
  result.failed_fraction = over_replications(&ReplicationSummary::failed_fraction);
  result.timeouts_per_invocation = over_replications(&ReplicationSummary::timeouts_per_invocation);
  result.alerts_delivered = over_replications(&ReplicationSummary::alerts_delivered);
  result.alert_latency_mean_s = over_replications(&ReplicationSummary::alert_latency_mean_s);
  result.alert_latency_p50_s = over_replications(&ReplicationSummary::alert_latency_p50_s);
  result.alert_latency_p95_s = over_replications(&ReplicationSummary::alert_latency_p95_s);
  result.alert_latency_p99_s = over_replications(&ReplicationSummary::alert_latency_p99_s);
  result.blacklisted_missed_fraction = over_replications(&ReplicationSummary::blacklisted_missed_fraction);
  result.uplink_utilization = over_replications(&ReplicationSummary::uplink_utilization);
  return result;
}

// --- JSON -------------------------------------------------------------------------

namespace {

using Json = detail::OrderedJson;

using detail::estimate_json;
using detail::number_or_null;

double number_from_json(const Json& j, std::string_view where) {
  if (j.is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (!j.is_number()) throw std::invalid_argument(fmt::format("{}: expected a number or null", where));
  return j.get<double>();
}

const Json& member(const Json& object, const char* key, std::string_view where) {
  if (!object.is_object()) throw std::invalid_argument(fmt::format("{}: expected an object", where));
  const auto it = object.find(key);
  if (it == object.end()) throw std::invalid_argument(fmt::format("{}: missing \"{}\"", where, key));
  return *it;
}

Estimate estimate_from_json(const Json& parent, const char* key, const std::string& where) {
  const std::string path = where + "." + key;
  const Json& j = member(parent, key, where);
  return {number_from_json(member(j, "mean", path), path + ".mean"),
          number_from_json(member(j, "ci95", path), path + ".ci95")};
}

// A distribution summarised as {"mean", "p50", "p95", "p99"} (response times, alert latencies).
using QuantileEstimates = std::tuple<Estimate, Estimate, Estimate, Estimate>;

Json quantiles_json(const Estimate& mean, const Estimate& p50, const Estimate& p95, const Estimate& p99) {
  Json j = Json::object();
  j["mean"] = estimate_json(mean);
  j["p50"] = estimate_json(p50);
  j["p95"] = estimate_json(p95);
  j["p99"] = estimate_json(p99);
  return j;
}

QuantileEstimates quantiles_from_json(const Json& parent, const char* key, const std::string& where) {
  const Json& j = member(parent, key, where);
  const std::string path = where + "." + key;
  return {estimate_from_json(j, "mean", path), estimate_from_json(j, "p50", path), estimate_from_json(j, "p95", path),
          estimate_from_json(j, "p99", path)};
}

}  // namespace

std::string to_json(const RunReport& report, int indent) {
  Json results = Json::array();
  for (const PolicyResult& r : report.results) {
    // Always written, zeros included, so the schema does not depend on the scenario.
    Json alerts = Json::object();
    alerts["delivered"] = estimate_json(r.alerts_delivered);
    alerts["latency_s"] =
        quantiles_json(r.alert_latency_mean_s, r.alert_latency_p50_s, r.alert_latency_p95_s, r.alert_latency_p99_s);
    alerts["blacklisted_missed"] = estimate_json(r.blacklisted_missed_fraction);
    alerts["uplink_utilization"] = estimate_json(r.uplink_utilization);

    Json entry = Json::object();
    entry["policy"] = r.policy;
    entry["replications"] = r.replications;
    entry["invocations"] = r.invocations;
    entry["rejection_probability"] = estimate_json(r.rejection_probability);
    entry["forwarded_fraction"] = estimate_json(r.forwarded_fraction);
    entry["probes_per_invocation"] = estimate_json(r.probes_per_invocation);
    entry["deadline_miss_rate"] = estimate_json(r.deadline_miss_rate);
    entry["response_time_s"] = quantiles_json(r.response_mean_s, r.response_p50_s, r.response_p95_s, r.response_p99_s);
    entry["utilization"] = estimate_json(r.utilization);
    entry["jain_fairness"] = estimate_json(r.jain_fairness);
    entry["failed_fraction"] = estimate_json(r.failed_fraction);
    entry["timeouts_per_invocation"] = estimate_json(r.timeouts_per_invocation);
    entry["alerts"] = std::move(alerts);
    results.push_back(std::move(entry));
  }
  Json document = Json::object();
  document["scenario"] = report.scenario;
  document["seed"] = report.seed;
  document["results"] = std::move(results);
  return document.dump(indent);
}

RunReport run_report_from_json(const std::string& text) {
  Json document;
  try {
    document = Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw std::invalid_argument(fmt::format("results JSON: {}", e.what()));
  }
  try {
    RunReport report;
    report.scenario = member(document, "scenario", "results JSON").get<std::string>();
    report.seed = member(document, "seed", "results JSON").get<std::uint64_t>();
    const Json& results = member(document, "results", "results JSON");
    if (!results.is_array()) throw std::invalid_argument("results JSON: results: expected an array");
    for (std::size_t i = 0; i < results.size(); ++i) {
      const Json& entry = results[i];
      const std::string where = fmt::format("results JSON: results[{}]", i);
      PolicyResult r;
      r.policy = member(entry, "policy", where).get<std::string>();
      r.replications = member(entry, "replications", where).get<std::uint32_t>();
      r.invocations = member(entry, "invocations", where).get<std::uint64_t>();
      r.rejection_probability = estimate_from_json(entry, "rejection_probability", where);
      r.forwarded_fraction = estimate_from_json(entry, "forwarded_fraction", where);
      r.probes_per_invocation = estimate_from_json(entry, "probes_per_invocation", where);
      r.deadline_miss_rate = estimate_from_json(entry, "deadline_miss_rate", where);
      std::tie(r.response_mean_s, r.response_p50_s, r.response_p95_s, r.response_p99_s) =
          quantiles_from_json(entry, "response_time_s", where);
      r.utilization = estimate_from_json(entry, "utilization", where);
      r.jain_fairness = estimate_from_json(entry, "jain_fairness", where);
      r.failed_fraction = estimate_from_json(entry, "failed_fraction", where);
      r.timeouts_per_invocation = estimate_from_json(entry, "timeouts_per_invocation", where);
      const Json& alerts = member(entry, "alerts", where);
      const std::string alerts_where = where + ".alerts";
      r.alerts_delivered = estimate_from_json(alerts, "delivered", alerts_where);
      std::tie(r.alert_latency_mean_s, r.alert_latency_p50_s, r.alert_latency_p95_s, r.alert_latency_p99_s) =
          quantiles_from_json(alerts, "latency_s", alerts_where);
      r.blacklisted_missed_fraction = estimate_from_json(alerts, "blacklisted_missed", alerts_where);
      r.uplink_utilization = estimate_from_json(alerts, "uplink_utilization", alerts_where);
      report.results.push_back(std::move(r));
    }
    return report;
  } catch (const Json::exception& e) {
    // Type errors (a string where a count belongs, ...) from nlohmann's get<>().
    throw std::invalid_argument(fmt::format("results JSON: {}", e.what()));
  }
}

// --- Table ------------------------------------------------------------------------

namespace {

// One column's cells, header first. The best policies' cells end in '*', the
// others in a space, so the digits of a column still line up.
std::vector<std::string> column_cells(const std::vector<PolicyResult>& results, const MetricColumn& metric) {
  const std::optional<std::size_t> best = best_policy(results, metric);
  const std::string no_mark = best ? " " : "";
  std::vector<std::string> cells{std::string(metric.header) + no_mark};
  for (std::size_t i = 0; i < results.size(); ++i) {
    cells.push_back(round_to_interval(results[i].*metric.estimate, metric.scale).joined() +
                    (best == i ? "*" : no_mark));
  }
  return cells;
}

std::size_t cells_width(const std::vector<std::string>& cells) {
  std::size_t width = 0;
  for (const std::string& cell : cells) width = std::max(width, detail::display_width(cell));
  return width;
}

struct ChosenColumns {
  std::vector<const MetricColumn*> shown;    // in catalogue order
  std::vector<const MetricColumn*> omitted;  // left out to fit the width
};

// The columns a table shows. Without a choice of metrics: the catalogue's columns
// that apply (those shown only when non-zero, only then), taken in `priority` order
// while the table stays within `width`; the first always goes in.
ChosenColumns choose_columns(const std::vector<PolicyResult>& results, std::span<const MetricColumn> catalogue,
                             std::span<const std::string_view> priority, const TableOptions& options) {
  ChosenColumns chosen;
  std::vector<const MetricColumn*> applicable;
  for (const MetricColumn& metric : catalogue) {
    if (metric_applies(results, metric)) applicable.push_back(&metric);
  }
  if (options.wide) {
    chosen.shown = applicable;
    return chosen;
  }
  std::vector<std::string> policy_cells{"policy"};
  for (const PolicyResult& r : results) policy_cells.push_back(r.policy);
  std::size_t total = cells_width(policy_cells);
  bool full = false;
  for (const std::string_view name : priority) {
    const auto metric =
        std::find_if(applicable.begin(), applicable.end(), [name](const MetricColumn* m) { return m->name == name; });
    if (metric == applicable.end()) continue;
    const std::size_t width = detail::kColumnGap + cells_width(column_cells(results, **metric));
    full = full || (!chosen.shown.empty() && total + width > options.width);
    if (full) {
      chosen.omitted.push_back(*metric);
      continue;
    }
    total += width;
    chosen.shown.push_back(*metric);
  }
  const auto catalogue_order = [&](const MetricColumn* a, const MetricColumn* b) {
    return std::find(applicable.begin(), applicable.end(), a) < std::find(applicable.begin(), applicable.end(), b);
  };
  std::sort(chosen.shown.begin(), chosen.shown.end(), catalogue_order);
  std::sort(chosen.omitted.begin(), chosen.omitted.end(), catalogue_order);
  return chosen;
}

std::string metric_table(const std::vector<PolicyResult>& results, const std::vector<const MetricColumn*>& columns) {
  std::vector<std::vector<std::string>> rows(results.size() + 1);
  rows[0].push_back("policy");
  for (std::size_t i = 0; i < results.size(); ++i) rows[i + 1].push_back(results[i].policy);
  for (const MetricColumn* metric : columns) {
    std::vector<std::string> cells = column_cells(results, *metric);
    for (std::size_t row = 0; row < rows.size(); ++row) rows[row].push_back(std::move(cells[row]));
  }
  return detail::aligned_table(rows);
}

// "not shown: a, b, c (...)", wrapped at spaces to lines of at most `width`.
std::string not_shown_line(const std::vector<const MetricColumn*>& columns, std::size_t width) {
  std::vector<std::string> words{"not", "shown:"};
  for (std::size_t i = 0; i < columns.size(); ++i) {
    words.push_back(std::string(columns[i]->name) + (i + 1 < columns.size() ? "," : ""));
  }
  for (const char* word : {"(--wide:", "all;", "--metrics:", "a", "choice)"}) words.emplace_back(word);
  std::string out;
  std::size_t line = 0;
  for (const std::string& word : words) {
    if (line > 0 && line + 1 + word.size() > width) {
      out += "\n ";
      line = 1;
    }
    if (line > 0) {
      out += ' ';
      ++line;
    }
    out += word;
    line += word.size();
  }
  return out + '\n';
}

// Most telling first: what the policy achieves, what it costs, then the rest.
constexpr std::array<std::string_view, 12> kComparisonPriority{"rejection", "failed",        "forwarded", "probes",
                                                               "resp_p95",  "deadline_miss", "timeouts",  "utilization",
                                                               "resp_mean", "resp_p99",      "jain",      "resp_p50"};
constexpr std::array<std::string_view, 6> kAlertPriority{"alerts",     "alert_p95",          "blacklisted_missed",
                                                         "alert_mean", "uplink_utilization", "alert_p99"};

}  // namespace

std::vector<const MetricColumn*> metrics_named(const std::vector<std::string>& names) {
  std::vector<const MetricColumn*> columns;
  for (const std::string& name : names) {
    const MetricColumn* metric = find_metric(name);
    if (metric == nullptr) {
      throw std::invalid_argument(
          fmt::format("unknown metric {} (expected one of {})", quote_input(name), fmt::join(metric_names(), ", ")));
    }
    columns.push_back(metric);
  }
  return columns;
}

std::string format_table(const RunReport& report, const TableOptions& options) {
  const std::vector<PolicyResult>& results = report.results;
  const std::uint32_t replications = results.empty() ? 0 : results.front().replications;
  std::string out = fmt::format("scenario {}, seed {}, {} replication{} per policy\n\n", report.scenario, report.seed,
                                replications, replications == 1 ? "" : "s");

  std::vector<const MetricColumn*> omitted;
  if (!options.metrics.empty()) {
    out += metric_table(results, metrics_named(options.metrics));
  } else {
    ChosenColumns main = choose_columns(results, comparison_metrics(), kComparisonPriority, options);
    out += metric_table(results, main.shown);
    omitted = std::move(main.omitted);
    if (has_alerts(results)) {
      ChosenColumns alert = choose_columns(results, alert_metrics(), kAlertPriority, options);
      out += "\nblacklist alerts\n" + metric_table(results, alert.shown);
      omitted.insert(omitted.end(), alert.omitted.begin(), alert.omitted.end());
    }
  }
  out += "\nmean ± 95 % confidence half-width (Student t over replications), rounded to the digits it supports\n";
  if (results.size() > 1) out += "* the best in its column, when one policy is\n";
  if (!omitted.empty()) out += not_shown_line(omitted, options.width);
  return out;
}

// --- Trace CSV --------------------------------------------------------------------

namespace {

// Exact decimal seconds from integer nanoseconds, so traces never lose precision.
std::string seconds_text(Duration d) {
  const std::int64_t ns = d.count();
  const std::uint64_t magnitude = ns < 0 ? 0 - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
  return fmt::format("{}{}.{:09}", ns < 0 ? "-" : "", magnitude / 1'000'000'000, magnitude % 1'000'000'000);
}

// RFC 4180: quote fields holding a separator, a quote or a line break.
std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

}  // namespace

void write_trace_header(std::ostream& out) {
  out << "id,policy,replication,function,origin,executed_on,hops,probes,decision,outcome,"
         "arrival_s,start_s,end_s,response_s,vehicle,blacklisted,alert_s\n";
}

void write_trace_rows(std::ostream& out, const std::string& policy, std::uint32_t replication,
                      const std::vector<InvocationRecord>& records) {
  const std::string policy_field = csv_field(policy);
  std::string line;
  for (const InvocationRecord& r : records) {
    line.clear();
    // Fields that do not apply (no vehicle, no alert delivered) are left empty.
    const std::string vehicle = r.vehicle >= 0 ? std::to_string(r.vehicle) : std::string();
    const std::string alert =
        r.alert_delivered != Time::max() ? seconds_text(r.alert_delivered.time_since_epoch()) : std::string();
    fmt::format_to(std::back_inserter(line), "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.id, policy_field,
                   replication, r.function, r.origin, r.executed_on, r.hops, r.probes, to_string(r.decision),
                   to_string(r.outcome), seconds_text(r.arrival.time_since_epoch()),
                   seconds_text(r.start.time_since_epoch()), seconds_text(r.end.time_since_epoch()),
                   seconds_text(r.end - r.arrival), vehicle, r.blacklisted ? 1 : 0, alert);
    out << line;
  }
}

}  // namespace fogsched
