#include "run_control.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>

#include <fmt/format.h>

namespace fogsched::cli {
namespace {

// Set by SIGINT/SIGTERM; the runner polls it between events and stops cleanly.
std::atomic<bool> g_cancel_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

void request_cancel(int /*signal*/) { g_cancel_requested.store(true); }

}  // namespace

void install_cancel_handlers() {
  std::signal(SIGINT, request_cancel);
  std::signal(SIGTERM, request_cancel);
}

void ProgressBar::update(double fraction) {
  constexpr int kWidth = 40;
  const int percent = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 100.0);
  if (percent == last_percent_) return;
  last_percent_ = percent;
  const int filled = percent * kWidth / 100;
  std::fputs(fmt::format("\r[{}{}] {:3d} %", std::string(static_cast<std::size_t>(filled), '#'),
                         std::string(static_cast<std::size_t>(kWidth - filled), '.'), percent)
                 .c_str(),
             stderr);
  std::fflush(stderr);
}

ProgressBar::~ProgressBar() {
  if (last_percent_ >= 0) std::fputs("\n", stderr);
}

void attach_run_control(sim::RunOptions& options, std::optional<ProgressBar>& progress) {
  options.cancel = &g_cancel_requested;
  if (isatty(fileno(stderr)) == 0) return;
  progress.emplace();
  progress->update(0.0);
  options.progress = [&progress](double fraction) { progress->update(fraction); };
}

}  // namespace fogsched::cli
