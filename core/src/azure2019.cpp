// The 2019 traces: the durations file, the per-minute invocations file and the
// fitted service times.
#include "fogsched/core/azure2019.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <system_error>
#include <unordered_map>

#include "fogsched/core/azure_trace.h"
#include "fogsched/core/quote_input.h"

namespace fogsched {
namespace {

constexpr std::string_view kDurationsHeader[] = {"HashOwner",
                                                 "HashApp",
                                                 "HashFunction",
                                                 "Average",
                                                 "Count",
                                                 "Minimum",
                                                 "Maximum",
                                                 "percentile_Average_0",
                                                 "percentile_Average_1",
                                                 "percentile_Average_25",
                                                 "percentile_Average_50",
                                                 "percentile_Average_75",
                                                 "percentile_Average_99",
                                                 "percentile_Average_100"};
constexpr std::size_t kFirstPercentile = 7;
constexpr std::string_view kInvocationsKeys[] = {"HashOwner", "HashApp", "HashFunction", "Trigger"};
constexpr std::size_t kFirstMinute = std::size(kInvocationsKeys);
constexpr std::uint32_t kMinutesInDay = 1440;
constexpr auto kMinute = std::chrono::minutes(1);

std::string function_key(const std::vector<std::string_view>& fields) {
  for (std::size_t i = 0; i < 3; ++i) {
    if (fields[i].empty()) throw std::invalid_argument(fmt::format("{}: missing hash", kDurationsHeader[i]));
  }
  return fmt::format("{},{},{}", fields[0], fields[1], fields[2]);
}

std::string checked_key(const AzureCsvReader& reader, const std::vector<std::string_view>& fields) {
  try {
    return function_key(fields);
  } catch (const std::invalid_argument& e) {
    reader.fail(e.what());
  }
}

struct Durations {
  std::unordered_map<std::string, std::pair<std::array<double, 7>, int>> by_function;  // seconds, line
  std::uint64_t rows = 0;
};

Durations read_durations(const std::string& path) {
  AzureCsvReader reader(path);
  reader.expect_header(kDurationsHeader);
  Durations durations;
  std::vector<std::string_view> fields;
  while (reader.next(fields)) {
    reader.expect_columns(fields, std::size(kDurationsHeader));
    for (std::size_t c = 3; c < kFirstPercentile; ++c) reader.number(fields[c], kDurationsHeader[c]);
    std::array<double, 7> seconds{};
    for (std::size_t i = 0; i < seconds.size(); ++i) {
      const std::size_t c = kFirstPercentile + i;
      const double ms = reader.number(fields[c], kDurationsHeader[c]);
      if (i > 0 && ms * 1e-3 < seconds[i - 1]) {
        reader.fail(fmt::format("{} ({}) is below {} ({}): percentiles must not decrease", kDurationsHeader[c],
                                fields[c], kDurationsHeader[c - 1], fields[c - 1]));
      }
      seconds[i] = ms * 1e-3;
    }
    const auto [entry, added] = durations.by_function.try_emplace(checked_key(reader, fields), seconds, reader.line());
    if (!added) reader.fail(fmt::format("the function is listed twice (first at line {})", entry->second.second));
    ++durations.rows;
  }
  if (durations.rows == 0) throw ScenarioError(SourceLocation{path, 0, 0}, kAzureKeyPath, "the file holds no function");
  return durations;
}

// The header's minute columns: "1", "2", ... "N" in order, N <= 1440.
std::uint32_t read_invocations_header(AzureCsvReader& reader) {
  std::vector<std::string_view> fields;
  const std::string expected = "HashOwner,HashApp,HashFunction,Trigger,1,2,...,1440";
  if (!reader.next(fields))
    reader.fail(fmt::format("the file is empty (expected the header {})", quote_input(expected)));
  bool good = fields.size() > kFirstMinute && fields.size() <= kFirstMinute + kMinutesInDay &&
              std::equal(std::begin(kInvocationsKeys), std::end(kInvocationsKeys), fields.begin());
  for (std::size_t c = kFirstMinute; good && c < fields.size(); ++c)
    good = fields[c] == std::to_string(c - kFirstMinute + 1);
  if (!good) {
    reader.fail(fmt::format("bad header {} (expected {}; a sample may stop before minute 1440)",
                            quote_input(fmt::format("{}", fmt::join(fields, ","))), quote_input(expected)));
  }
  return static_cast<std::uint32_t>(fields.size() - kFirstMinute);
}

// The count in a minute column; the column is named only for an error, so a good
// count costs no allocation.
std::uint32_t minute_count(const AzureCsvReader& reader, std::string_view field, std::uint32_t minute) {
  std::uint32_t value = 0;
  const char* end = field.data() + field.size();
  const auto [stop, error] = std::from_chars(field.data(), end, value);
  if (!field.empty() && error == std::errc{} && stop == end) return value;
  return reader.count(field, fmt::format("minute {}", minute + 1));
}

// The window's minutes, [first, last), within the file's.
std::pair<std::uint32_t, std::uint32_t> window_minutes(const AzureSelection& selection, std::uint32_t minutes) {
  const auto first = static_cast<std::uint64_t>(selection.window_from / kMinute);
  const std::uint64_t last =
      selection.window_length ? first + static_cast<std::uint64_t>(*selection.window_length / kMinute) : minutes;
  return {static_cast<std::uint32_t>(std::min<std::uint64_t>(first, minutes)),
          static_cast<std::uint32_t>(std::min<std::uint64_t>(last, minutes))};
}

}  // namespace

double PercentileServiceTime::quantile_s(double p) const {
  p = std::clamp(p, 0.0, 1.0);
  std::size_t i = 1;
  while (i + 1 < kAzurePercentileLevels.size() && p > kAzurePercentileLevels[i]) ++i;
  const double lo = kAzurePercentileLevels[i - 1];
  const double hi = kAzurePercentileLevels[i];
  return seconds_[i - 1] + (seconds_[i] - seconds_[i - 1]) * (p - lo) / (hi - lo);
}

AzureInvocations2019 read_azure2019(const std::string& invocations_path, const std::string& durations_path,
                                    const AzureSelection& selection) {
  const Durations durations = read_durations(durations_path);
  AzureInvocations2019 trace;
  trace.invocations_file = invocations_path;
  trace.durations_file = durations_path;
  trace.duration_rows_read = durations.rows;

  // First pass: check every row; tally the functions that have durations.
  struct Candidate {
    std::uint64_t row = 0;           // data row, from 0
    std::uint32_t busy_minutes = 0;  // minutes of the window with invocations
    std::string app;                 // "HashOwner,HashApp"
    const std::array<double, 7>* seconds = nullptr;
  };
  std::vector<Candidate> candidates;
  std::vector<std::string> hashes;
  std::vector<std::uint64_t> counts;
  {
    AzureCsvReader reader(invocations_path);
    trace.minutes = read_invocations_header(reader);
    const auto [first, last] = window_minutes(selection, trace.minutes);
    std::unordered_map<std::string, int> seen;  // function -> line
    std::vector<std::string_view> fields;
    while (reader.next(fields)) {
      reader.expect_columns(fields, kFirstMinute + trace.minutes);
      std::string key = checked_key(reader, fields);
      std::uint64_t in_window = 0;
      std::uint32_t busy_minutes = 0;
      for (std::uint32_t m = 0; m < trace.minutes; ++m) {
        const std::uint32_t n = minute_count(reader, fields[kFirstMinute + m], m);
        if (m >= first && m < last && n > 0) {
          in_window += n;
          ++busy_minutes;
        }
      }
      const auto found = durations.by_function.find(key);
      if (found == durations.by_function.end()) {
        ++trace.functions_without_durations;
      } else {
        candidates.push_back({trace.rows_read, busy_minutes, key.substr(0, key.rfind(',')), &found->second.first});
        hashes.emplace_back(fields[2]);
        counts.push_back(in_window);
      }
      const auto [entry, added] = seen.try_emplace(std::move(key), reader.line());
      if (!added) reader.fail(fmt::format("the function is listed twice (first at line {})", entry->second));
      ++trace.rows_read;
    }
    if (trace.rows_read == 0) {
      throw ScenarioError(SourceLocation{invocations_path, 0, 0}, kAzureKeyPath, "the file holds no function");
    }
  }

  // The kept functions, and each data row's kept function (or none).
  constexpr std::uint32_t kNotKept = ~std::uint32_t{0};
  std::vector<std::uint32_t> kept_of_row(trace.rows_read, kNotKept);
  std::unordered_map<std::string, std::uint32_t> app_index;
  trace.function_start.push_back(0);
  for (const std::uint32_t c : choose_functions(counts, hashes, selection)) {
    kept_of_row[candidates[c].row] = static_cast<std::uint32_t>(trace.functions.size());
    trace.functions.push_back(hashes[c]);
    trace.service.emplace_back(*candidates[c].seconds);
    const auto [entry, added] = app_index.try_emplace(candidates[c].app, static_cast<std::uint32_t>(trace.apps.size()));
    if (added) trace.apps.push_back(candidates[c].app);
    trace.function_app.push_back(entry->second);
    trace.invocations_expected += counts[c];
    trace.function_start.push_back(trace.function_start.back() + candidates[c].busy_minutes);
  }

  // Second pass: the kept functions' non-zero counts in the window.
  AzureCsvReader reader(invocations_path);
  read_invocations_header(reader);
  const auto [first, last] = window_minutes(selection, trace.minutes);
  trace.counts.reserve(trace.function_start.back());
  std::vector<std::string_view> fields;
  for (std::uint64_t row = 0; reader.next(fields); ++row) {
    if (row >= kept_of_row.size() || kept_of_row[row] == kNotKept) continue;
    reader.expect_columns(fields, kFirstMinute + trace.minutes);
    for (std::uint32_t m = first; m < last; ++m) {
      const std::uint32_t n = minute_count(reader, fields[kFirstMinute + m], m);
      if (n > 0) trace.counts.push_back({m, n});
    }
    if (trace.counts.size() != trace.function_start[kept_of_row[row] + 1]) {
      reader.fail("the row changed since the file was first read");
    }
  }
  if (trace.counts.size() != trace.function_start.back()) {
    throw ScenarioError(SourceLocation{invocations_path, 0, 0}, kAzureKeyPath, "the file changed while it was read");
  }
  return trace;
}

}  // namespace fogsched
