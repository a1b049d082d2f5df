// The 2021 invocation trace: loading (checks, counts, choice) and streamed replay.
#include "fogsched/core/azure2021.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "fogsched/core/quote_input.h"

namespace fogsched {
namespace {

constexpr std::string_view kHeader[] = {"app", "func", "end_timestamp", "duration"};

struct Row {
  std::string_view app;
  std::string_view func;
  std::int64_t start_ns = 0;
  std::int64_t duration_ns = 0;
};

std::int64_t nanoseconds(double seconds) { return std::llround(seconds * 1e9); }

Row read_row(const AzureCsvReader& reader, const std::vector<std::string_view>& fields) {
  reader.expect_columns(fields, std::size(kHeader));
  Row row{.app = fields[0], .func = fields[1]};
  if (row.app.empty()) reader.fail("app: missing app hash");
  if (row.func.empty()) reader.fail("func: missing function hash");
  const std::int64_t end_ns = nanoseconds(reader.number(fields[2], "end_timestamp"));
  row.duration_ns = nanoseconds(reader.number(fields[3], "duration"));
  row.start_ns = end_ns - row.duration_ns;
  return row;
}

bool in_window(const AzureSelection& selection, std::int64_t start_ns) {
  const std::int64_t from = selection.window_from.count();
  return start_ns >= from && (!selection.window_length || start_ns - from < selection.window_length->count());
}

void function_key(std::string& key, const Row& row) {
  key.assign(row.app);
  key += ',';
  key += row.func;
}

}  // namespace

AzureInvocations2021 read_azure2021(const std::string& path, const AzureSelection& selection) {
  AzureCsvReader reader(path);
  reader.expect_header(kHeader);
  AzureInvocations2021 trace;
  trace.file = path;
  trace.selection = selection;

  // Every function of the file, in order of first row.
  std::unordered_map<std::string, std::uint32_t> index;
  std::vector<std::string> keys;
  std::vector<std::string> hashes;
  std::vector<std::uint64_t> counts;
  std::vector<std::string_view> fields;
  std::string key;
  std::int64_t latest_start_ns = 0;
  while (reader.next(fields)) {
    const Row row = read_row(reader, fields);
    function_key(key, row);
    const auto [entry, added] = index.try_emplace(key, static_cast<std::uint32_t>(keys.size()));
    if (added) {
      keys.push_back(key);
      hashes.emplace_back(row.func);
      counts.push_back(0);
    }
    if (in_window(selection, row.start_ns)) ++counts[entry->second];
    if (trace.rows_read > 0) {
      trace.reorder_lag = std::max(trace.reorder_lag, Duration{latest_start_ns - row.start_ns});
    }
    latest_start_ns = trace.rows_read == 0 ? row.start_ns : std::max(latest_start_ns, row.start_ns);
    ++trace.rows_read;
  }
  if (trace.rows_read == 0) {
    throw ScenarioError(SourceLocation{path, 0, 0}, kAzureKeyPath, "the trace holds no invocation");
  }
  trace.functions_seen = keys.size();

  std::unordered_map<std::string, std::uint32_t> app_index;
  for (const std::uint32_t f : choose_functions(counts, hashes, selection)) {
    const auto kept = static_cast<std::uint32_t>(trace.functions.size());
    trace.kept.emplace(keys[f], kept);
    trace.functions.push_back(hashes[f]);
    const std::string app = keys[f].substr(0, keys[f].find(','));
    const auto [entry, added] = app_index.try_emplace(app, static_cast<std::uint32_t>(trace.apps.size()));
    if (added) trace.apps.push_back(app);
    trace.function_app.push_back(entry->second);
    trace.invocations_expected += counts[f];
  }
  return trace;
}

AzureReplay2021::AzureReplay2021(const AzureInvocations2021& trace) : trace_(&trace), reader_(trace.file) {
  reader_.expect_header(kHeader);
}

std::optional<AzureCall2021> AzureReplay2021::next() {
  for (;;) {
    // No later row can start before latest start - lag (ties: later rows come after).
    if (!pending_.empty() && (at_end_ || pending_.top().start_ns <= latest_start_ns_ - trace_->reorder_lag.count())) {
      const Pending p = pending_.top();
      pending_.pop();
      return AzureCall2021{.start = Duration{p.start_ns - trace_->selection.window_from.count()},
                           .duration = Duration{p.duration_ns},
                           .function = p.function};
    }
    if (at_end_) return std::nullopt;
    if (!reader_.next(fields_)) {
      at_end_ = true;
      continue;
    }
    const Row row = read_row(reader_, fields_);
    latest_start_ns_ = any_row_ ? std::max(latest_start_ns_, row.start_ns) : row.start_ns;
    any_row_ = true;
    if (!in_window(trace_->selection, row.start_ns)) continue;
    function_key(key_, row);
    const auto kept = trace_->kept.find(key_);
    if (kept == trace_->kept.end()) continue;
    pending_.push({row.start_ns, static_cast<std::uint64_t>(reader_.line()), row.duration_ns, kept->second});
  }
}

}  // namespace fogsched
