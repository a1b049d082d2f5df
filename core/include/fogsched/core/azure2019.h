#pragma once
// The Azure Functions traces of 2019 (AzureFunctionsDataset2019), a day per file pair:
//
//   invocations_per_function_md.anon.dNN.csv (or a sample's invocations.csv)
//     HashOwner,HashApp,HashFunction,Trigger,1,2,...,1440
//     invocations of the function in each minute of the day (a sample may have
//     fewer minute columns: 1..N, N <= 1440)
//   function_durations_percentiles.anon.dNN.csv (or durations.csv)
//     HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,
//     percentile_Average_0,percentile_Average_1,percentile_Average_25,
//     percentile_Average_50,percentile_Average_75,percentile_Average_99,
//     percentile_Average_100                        (milliseconds)
//
// A function is (HashOwner, HashApp, HashFunction). Functions without a durations
// row are not replayed (the loader counts them). Both files are read as streams
// when the scenario is loaded; what stays in memory is per function: the kept
// functions' duration percentiles and their non-zero per-minute counts.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "fogsched/core/rng.h"
#include "fogsched/core/scenario.h"
#include "fogsched/core/time.h"

namespace fogsched {

// The probabilities of the percentile columns, in column order.
inline constexpr std::array<double, 7> kAzurePercentileLevels{0.0, 0.01, 0.25, 0.5, 0.75, 0.99, 1.0};

// Service times fitted to a function's percentiles: the quantile function is linear
// between the given percentiles, so a draw's p-quantile is exactly the given value
// at each level and lies between the neighbours' values elsewhere.
class PercentileServiceTime {
 public:
  PercentileServiceTime() = default;
  // Non-decreasing, non-negative seconds at kAzurePercentileLevels.
  explicit PercentileServiceTime(const std::array<double, 7>& seconds) : seconds_(seconds) {}

  double quantile_s(double p) const;
  double sample_s(Rng& rng) const { return quantile_s(rng.uniform01()); }
  const std::array<double, 7>& percentiles_s() const { return seconds_; }

 private:
  std::array<double, 7> seconds_{};
};

// A kept function's invocations in one minute.
struct MinuteCount {
  std::uint32_t minute = 0;  // from 0 (column "1")
  std::uint32_t count = 0;
};

// What loading found, shared read-only by every replication.
struct AzureInvocations2019 {
  std::string invocations_file;
  std::string durations_file;
  std::uint32_t minutes = 0;                   // minute columns in the invocations file
  std::vector<std::string> functions;          // kept functions' HashFunction, in file order
  std::vector<std::uint32_t> function_app;     // kept function -> index into apps
  std::vector<std::string> apps;               // the kept functions' apps, in order of first row
  std::vector<PercentileServiceTime> service;  // per kept function
  // Function-major: the non-zero counts of kept function f within the window are
  // counts[function_start[f] .. function_start[f+1]), in minute order (sized exactly:
  // the first pass counts them).
  std::vector<std::uint64_t> function_start;
  std::vector<MinuteCount> counts;
  std::uint64_t rows_read = 0;  // invocation rows
  std::uint64_t duration_rows_read = 0;
  std::uint64_t functions_without_durations = 0;
  std::uint64_t invocations_expected = 0;  // kept invocations in the window, before `scale`
};

// Reads and checks both files; throws ScenarioError "FILE:LINE: ..." for a
// malformed row (bad header, column count, count, percentiles out of order, a
// function twice) and "FILE: ..." when a file cannot be read or holds no row.
// `selection` chooses among the functions that have durations; its window must
// be whole minutes.
AzureInvocations2019 read_azure2019(const std::string& invocations_path, const std::string& durations_path,
                                    const AzureSelection& selection);

}  // namespace fogsched
