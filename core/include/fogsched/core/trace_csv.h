#pragma once
// Arrival traces: recorded (or hand-written) invocations replayed by the simulator
// and the live load generator.
//
// File format (UTF-8 text, one record per line, fields split at commas, spaces
// around a field ignored, no quoting: no field can contain a comma):
//
//   # comment lines (first non-blank character '#') and blank lines are skipped
//   time,camera,function,payload_bytes
//   0s,3,plate-recognition,
//   250ms,0,plate-recognition,150KB
//   1.5s,7,plate-recognition,120KB
//
// - The first record is the header, exactly `time,camera,function` or
//   `time,camera,function,payload_bytes`; every later record has as many fields.
// - time: since the start of the run, with a unit as in scenario files ("250ms",
//   "12.5s", "2min"; a bare "0" is allowed), never negative; rows are in
//   non-decreasing time order (equal times keep their file order).
// - camera: a camera index, a non-negative decimal integer.
// - function: a function name (non-empty), as the scenario's `functions` names it.
// - payload_bytes: a size with a unit ("150KB", "64KiB", "2048B"), or empty for the
//   function's default payload.
//
// Every problem is a ScenarioError "FILE:LINE: trace: what is wrong", so a later
// check (a camera the scenario lacks, an unknown function) can name the row too.
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "fogsched/core/errors.h"
#include "fogsched/core/scenario.h"
#include "fogsched/core/time.h"

namespace fogsched {

// The key path every trace error carries.
inline constexpr const char* kTraceKeyPath = "trace";

// One invocation of a trace. 40 bytes: the function is an index into the trace's
// name table, not a string per row.
struct TraceArrival {
  Duration at{};                               // since the start of the run
  std::optional<std::uint64_t> payload_bytes;  // empty = the function's default payload
  std::uint32_t camera = 0;                    // camera index (origin node)
  std::uint32_t function = 0;                  // index into Trace::functions
  std::uint32_t line = 0;                      // 1-based line in Trace::file

  friend bool operator==(const TraceArrival&, const TraceArrival&) = default;
};

struct Trace {
  std::string file;                    // as given when read; names the source in messages
  std::vector<std::string> functions;  // distinct names, in order of first appearance
  std::vector<TraceArrival> arrivals;  // non-decreasing in `at`; never empty once read

  const std::string& function_name(const TraceArrival& arrival) const { return functions[arrival.function]; }
  SourceLocation where(const TraceArrival& arrival) const {
    return SourceLocation{file, static_cast<int>(arrival.line), 0};
  }
};

// Reads and checks a trace file; throws ScenarioError (see the format above).
Trace read_trace_csv(const std::string& path);
// The same from a stream; `file` names the source in messages and in Trace::file.
Trace parse_trace_csv(std::istream& in, const std::string& file);

// Writes a trace in the format above (times in their shortest exact form, payloads
// in bytes), so that parse_trace_csv gives back the same arrivals and names. Line
// numbers refer to the written text: one header line, then one line per arrival.
void write_trace_csv(std::ostream& out, const Trace& trace);

// Checks every row against a scenario (camera index below the camera count,
// function defined) and returns, for each entry of trace.functions, the index of
// that function in scenario.functions. Throws ScenarioError naming the first bad
// row's line. Arrivals after the scenario's duration are not an error: a run
// simply ends before them.
std::vector<std::uint32_t> resolve_trace(const Trace& trace, const Scenario& scenario);

}  // namespace fogsched
