// Arrival traces: the CSV reader, its checks and the writer (format in trace_csv.h).
#include "fogsched/core/trace_csv.h"
#include "fogsched/core/quote_input.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <istream>
#include <ostream>
#include <string_view>
#include <system_error>
#include <unordered_map>

#include "fogsched/core/config_reader.h"  // trim
#include "fogsched/core/units.h"

namespace fogsched {
namespace {

constexpr std::string_view kHeaderWithoutPayload = "time,camera,function";
constexpr std::string_view kHeaderWithPayload = "time,camera,function,payload_bytes";
constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";

// Fields of one record, split at every comma and trimmed.
std::vector<std::string_view> split_fields(std::string_view record) {
  std::vector<std::string_view> fields;
  for (;;) {
    const auto comma = record.find(',');
    fields.push_back(trim(record.substr(0, comma)));
    if (comma == std::string_view::npos) return fields;
    record.remove_prefix(comma + 1);
  }
}

[[noreturn]] void fail(const std::string& file, int line, const std::string& problem) {
  throw ScenarioError(SourceLocation{file, line, 0}, kTraceKeyPath, problem);
}

// Reads records one at a time, tracking line numbers and the header's shape.
class TraceParser {
 public:
  TraceParser(std::istream& in, const std::string& file) : in_(in) { trace_.file = file; }

  Trace parse() {
    std::string line;
    bool header_seen = false;
    while (std::getline(in_, line)) {
      ++line_number_;
      std::string_view content = line;
      if (line_number_ == 1 && content.starts_with(kUtf8ByteOrderMark))
        content.remove_prefix(kUtf8ByteOrderMark.size());
      content = trim(content);
      if (content.empty() || content.front() == '#') continue;
      if (!header_seen) {
        read_header(content);
        header_seen = true;
        header_line_ = line_number_;
      } else {
        read_row(content);
      }
    }
    if (!header_seen) {
      fail(trace_.file, 0,
           fmt::format("the file holds no header (expected {} or {})", quote_input(kHeaderWithoutPayload),
                       quote_input(kHeaderWithPayload)));
    }
    if (trace_.arrivals.empty()) fail(trace_.file, header_line_, "no arrivals after the header");
    return std::move(trace_);
  }

 private:
  void read_header(std::string_view content) {
    std::string normalised;
    for (const std::string_view field : split_fields(content)) {
      if (!normalised.empty()) normalised += ',';
      normalised += field;
    }
    if (normalised == kHeaderWithoutPayload) {
      columns_ = 3;
    } else if (normalised == kHeaderWithPayload) {
      columns_ = 4;
    } else {
      fail(trace_.file, line_number_,
           fmt::format("bad header {} (expected {} or {})", quote_input(content), quote_input(kHeaderWithoutPayload),
                       quote_input(kHeaderWithPayload)));
    }
  }

  void read_row(std::string_view content) {
    const std::vector<std::string_view> fields = split_fields(content);
    if (fields.size() != columns_) {
      fail(trace_.file, line_number_,
           fmt::format("expected {} columns ({}), got {}", columns_,
                       columns_ == 3 ? kHeaderWithoutPayload : kHeaderWithPayload, fields.size()));
    }
    TraceArrival arrival;
    arrival.line = static_cast<std::uint32_t>(line_number_);
    arrival.at = read_time(fields[0]);
    arrival.camera = read_camera(fields[1]);
    arrival.function = intern_function(fields[2]);
    if (columns_ == 4 && !fields[3].empty()) arrival.payload_bytes = read_payload(fields[3]);
    trace_.arrivals.push_back(arrival);
    previous_time_text_ = fields[0];
  }

  Duration read_time(std::string_view field) {
    Duration at{};
    try {
      at = parse_duration(field);
    } catch (const UnitError& error) {
      fail(trace_.file, line_number_, fmt::format("time: {}", error.what()));
    }
    if (at < Duration::zero())
      fail(trace_.file, line_number_, fmt::format("time: must not be negative, got {}", quote_input(field)));
    if (!trace_.arrivals.empty() && at < trace_.arrivals.back().at) {
      fail(trace_.file, line_number_,
           fmt::format("time {} is earlier than the previous row's {} (line {}); rows must be in non-decreasing "
                       "time order",
                       field, previous_time_text_, trace_.arrivals.back().line));
    }
    return at;
  }

  std::uint32_t read_camera(std::string_view field) const {
    std::uint32_t camera = 0;
    const char* end = field.data() + field.size();
    const auto [stop, error] = std::from_chars(field.data(), end, camera);
    if (field.empty() || error != std::errc{} || stop != end) {
      const bool too_large = error == std::errc::result_out_of_range;
      fail(trace_.file, line_number_,
           fmt::format("camera: expected a camera index (a non-negative integer{}), got {}",
                       too_large ? " below 2^32" : "", quote_input(field)));
    }
    return camera;
  }

  std::uint32_t intern_function(std::string_view field) {
    if (field.empty()) fail(trace_.file, line_number_, "function: missing function name");
    const auto [entry, inserted] =
        function_index_.try_emplace(std::string(field), static_cast<std::uint32_t>(trace_.functions.size()));
    if (inserted) trace_.functions.push_back(entry->first);
    return entry->second;
  }

  std::uint64_t read_payload(std::string_view field) const {
    try {
      return parse_bytes(field);
    } catch (const UnitError& error) {
      fail(trace_.file, line_number_, fmt::format("payload_bytes: {}", error.what()));
    }
  }

  std::istream& in_;
  Trace trace_;
  std::unordered_map<std::string, std::uint32_t> function_index_;
  std::string previous_time_text_;
  std::size_t columns_ = 0;
  int line_number_ = 0;
  int header_line_ = 0;
};

}  // namespace

Trace parse_trace_csv(std::istream& in, const std::string& file) { return TraceParser(in, file).parse(); }

Trace read_trace_csv(const std::string& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status)) fail(path, 0, "cannot read the trace: no such file");
  if (std::filesystem::is_directory(status)) fail(path, 0, "cannot read the trace: it is a directory");
  std::ifstream in(path);
  if (!in) fail(path, 0, "cannot read the trace: the file cannot be opened");
  return parse_trace_csv(in, path);
}

void write_trace_csv(std::ostream& out, const Trace& trace) {
  const bool any_payload = std::any_of(trace.arrivals.begin(), trace.arrivals.end(),
                                       [](const TraceArrival& a) { return a.payload_bytes.has_value(); });
  out << (any_payload ? kHeaderWithPayload : kHeaderWithoutPayload) << '\n';
  for (const TraceArrival& arrival : trace.arrivals) {
    out << format_duration(arrival.at) << ',' << arrival.camera << ',' << trace.function_name(arrival);
    if (any_payload) {
      out << ',';
      if (arrival.payload_bytes) out << *arrival.payload_bytes << 'B';
    }
    out << '\n';
  }
}

std::vector<std::uint32_t> resolve_trace(const Trace& trace, const Scenario& scenario) {
  constexpr std::uint32_t kUnresolved = ~std::uint32_t{0};
  std::vector<std::uint32_t> scenario_index(trace.functions.size(), kUnresolved);
  for (std::size_t t = 0; t < trace.functions.size(); ++t) {
    for (std::size_t s = 0; s < scenario.functions.size(); ++s) {
      if (scenario.functions[s].name == trace.functions[t]) scenario_index[t] = static_cast<std::uint32_t>(s);
    }
  }
  const std::uint32_t cameras = scenario.cameras.count;
  for (const TraceArrival& arrival : trace.arrivals) {
    if (arrival.camera >= cameras) {
      const std::string range = cameras == 0 ? "no cameras" : fmt::format("{} cameras, 0 to {}", cameras, cameras - 1);
      throw ScenarioError(trace.where(arrival), kTraceKeyPath,
                          fmt::format("camera {} does not exist (the scenario has {})", arrival.camera, range));
    }
    if (scenario_index[arrival.function] == kUnresolved) {
      std::string defined;
      for (const FunctionSpec& function : scenario.functions) {
        if (!defined.empty()) defined += ", ";
        defined += function.name;
      }
      throw ScenarioError(trace.where(arrival), kTraceKeyPath,
                          fmt::format("unknown function {} (the scenario defines: {})",
                                      quote_input(trace.function_name(arrival)), defined.empty() ? "none" : defined));
    }
  }
  return scenario_index;
}

}  // namespace fogsched
