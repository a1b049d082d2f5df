#pragma once
// What the readers of the public Azure Functions traces (azure2019.h, azure2021.h)
// share: a CSV reader that streams one record at a time and reports every problem
// as "FILE:LINE: ...", and the choice of which functions replay.
//
// The files are the datasets' own, unmodified: comma-separated, a header line, no
// quoting (hashes, triggers and numbers hold no comma).
#include <cstdint>
#include <fstream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fogsched/core/errors.h"
#include "fogsched/core/scenario.h"

namespace fogsched {

// The key path errors inside a trace file carry; the scenario loader replaces it
// with the key that names the file.
inline constexpr const char* kAzureKeyPath = "arrivals";

// The label of the stream that samples functions (`functions: {sample: K}`) from the
// scenario seed: derive_seed(scenario seed, {kAzureSampleStream, workload index}).
inline constexpr std::uint64_t kAzureSampleStream = 13;

// Reads a CSV file record by record, keeping only the current line.
class AzureCsvReader {
 public:
  // Throws ScenarioError (line 0) when the file cannot be read.
  explicit AzureCsvReader(const std::string& path);

  // The next non-blank line split at commas, each field trimmed; false at the end.
  // The views stay valid until the next call.
  bool next(std::vector<std::string_view>& fields);
  // The next record, which must be the header `expected` (the first line).
  void expect_header(std::span<const std::string_view> expected);

  const std::string& file() const { return file_; }
  int line() const { return line_; }

  // ScenarioError at the current line.
  [[noreturn]] void fail(const std::string& problem) const;
  // A finite, non-negative decimal number; `column` names it.
  double number(std::string_view field, std::string_view column) const;
  // A non-negative decimal integer below 2^32.
  std::uint32_t count(std::string_view field, std::string_view column) const;
  // The record must have `columns` fields.
  void expect_columns(std::span<const std::string_view> fields, std::size_t columns) const;

 private:
  std::ifstream in_;
  std::string file_;
  std::string text_;
  int line_ = 0;
};

// The functions a selection keeps, as indices into `counts` (one entry per function
// of the trace, its invocations within the window), in increasing order:
//   all: every function with at least one invocation;
//   top: the `count` most invoked (ties: the earlier function), fewer if fewer exist;
//   sample: `count` drawn uniformly without replacement with `selection.seed`;
//   listed: those whose hash is in `selection.hashes` (`hashes` names each function).
std::vector<std::uint32_t> choose_functions(std::span<const std::uint64_t> counts, std::span<const std::string> hashes,
                                            const AzureSelection& selection);

// The listed hashes that name no function of the trace.
std::vector<std::string> unknown_hashes(std::span<const std::string> hashes, const AzureSelection& selection);

}  // namespace fogsched
