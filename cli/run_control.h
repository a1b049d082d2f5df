#pragma once
// What a simulating command does while it runs: Ctrl-C (SIGINT, SIGTERM) stops the
// run cleanly, and a progress bar is drawn when stderr is a terminal.
#include <optional>

#include "fogsched/sim/runner.h"

namespace fogsched::cli {

// Makes SIGINT and SIGTERM cancel the run in progress (sim::Cancelled).
void install_cancel_handlers();

// A one-line bar redrawn in place on stderr.
class ProgressBar {
 public:
  ProgressBar() = default;
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar();
  void update(double fraction);

 private:
  int last_percent_ = -1;
};

// Sets the options' cancel flag, and a progress bar fed by the runner when stderr is
// a terminal; `progress` must outlive the run (reset it after, to end the line).
void attach_run_control(sim::RunOptions& options, std::optional<ProgressBar>& progress);

}  // namespace fogsched::cli
