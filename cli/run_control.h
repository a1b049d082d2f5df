#pragma once
// What a simulating command does while it runs: Ctrl-C (SIGINT, SIGTERM) stops the
// run cleanly, and a progress bar is drawn when stderr is a terminal.
#include <chrono>
#include <optional>
#include <string>

#include "fogsched/core/scenario.h"
#include "fogsched/policies/registry.h"
#include "fogsched/sim/run_cost.h"
#include "fogsched/sim/runner.h"

namespace fogsched::cli {

// Makes SIGINT and SIGTERM cancel the run in progress (sim::Cancelled).
void install_cancel_handlers();

// Runs of about this long or more are announced with a warning.
inline constexpr double kLongRunSeconds = 600;

// "about 4.1 million events, about 3 s with 2 threads, about 120 MB of memory".
std::string describe_cost(const sim::RunCost& cost, const sim::RunOptions& options);

// The run's cost estimated (sim::checked_estimate: refused with ResourceError when
// it cannot fit) and announced on stderr, with a warning when it is long.
void announce_cost(const Scenario& scenario, const std::vector<PolicyConfig>& policies, const sim::RunOptions& options);

// The bar's text for `fraction` done after `elapsed`: "[####....]  42 %", and the
// time left once it can be told ("  ETA 3.5 min").
std::string format_progress(double fraction, std::chrono::duration<double> elapsed);

// A one-line bar redrawn in place on stderr, with the time left.
class ProgressBar {
 public:
  ProgressBar() = default;
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar();
  void update(double fraction);

 private:
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  double furthest_ = 0;  // the bar never goes back, though a sampled fraction may
  std::string shown_;
};

// Sets the options' cancel flag, and a progress bar fed by the runner when stderr is
// a terminal; `progress` must outlive the run (reset it after, to end the line).
void attach_run_control(sim::RunOptions& options, std::optional<ProgressBar>& progress);

}  // namespace fogsched::cli
