#pragma once
// The Azure Functions invocation trace of 2021 (AzureFunctionsInvocationTrace2021):
// one row per invocation,
//
//   app,func,end_timestamp,duration
//   7e0c...,a1b2...,0.512,0.254
//
// with times in seconds from the trace's start (start = end_timestamp - duration).
// Rows may come in any order. Replay gives every kept invocation at its recorded
// start with its recorded duration, in order of start (equal starts: file order).
//
// The file is read twice, each time as a stream: once when the scenario is loaded
// (checks every row, counts each function's invocations, chooses the functions) and
// once per replication (the replay). Neither holds a row per invocation: the replay
// holds only the invocations that may still be overtaken by a later row's earlier
// start, i.e. those within `reorder_lag` of the latest start read so far.
#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "fogsched/core/azure_trace.h"
#include "fogsched/core/scenario.h"
#include "fogsched/core/time.h"

namespace fogsched {

// What loading found, shared read-only by every replay.
struct AzureInvocations2021 {
  std::string file;
  AzureSelection selection;
  std::vector<std::string> functions;                   // kept functions' `func` hashes, in order of first row
  std::vector<std::uint32_t> function_app;              // kept function -> index into apps
  std::vector<std::string> apps;                        // the kept functions' apps, in order of first row
  std::unordered_map<std::string, std::uint32_t> kept;  // "app,func" -> kept function
  std::uint64_t rows_read = 0;
  std::uint64_t functions_seen = 0;        // distinct functions in the file
  std::uint64_t invocations_expected = 0;  // kept invocations starting in the window
  // The most a row's start falls behind the latest start of the rows before it.
  Duration reorder_lag{};
};

// Reads and checks the file; throws ScenarioError "FILE:LINE: ..." for a malformed
// row and "FILE: ..." when the file cannot be read or holds no invocation.
AzureInvocations2021 read_azure2021(const std::string& path, const AzureSelection& selection);

// One replayed invocation.
struct AzureCall2021 {
  Duration start{};            // since the window's start
  Duration duration{};         // as recorded
  std::uint32_t function = 0;  // kept function
};

// The kept invocations of the window, in order of start, streamed from the file.
class AzureReplay2021 {
 public:
  explicit AzureReplay2021(const AzureInvocations2021& trace);

  // The next invocation, or nothing after the last.
  std::optional<AzureCall2021> next();
  // Invocations read but held back (they may still be overtaken).
  std::size_t held() const { return pending_.size(); }

 private:
  struct Pending {
    std::int64_t start_ns;
    std::uint64_t line;
    std::int64_t duration_ns;
    std::uint32_t function;
    bool operator>(const Pending& other) const {
      return start_ns != other.start_ns ? start_ns > other.start_ns : line > other.line;
    }
  };

  const AzureInvocations2021* trace_;
  AzureCsvReader reader_;
  std::vector<std::string_view> fields_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending_;
  std::int64_t latest_start_ns_ = 0;
  bool any_row_ = false;
  bool at_end_ = false;
  std::string key_;
};

}  // namespace fogsched
