#include "run_control.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace fogsched::cli {
namespace {

// Set by SIGINT/SIGTERM; the runner polls it between events and stops cleanly.
std::atomic<bool> g_cancel_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

void request_cancel(int /*signal*/) { g_cancel_requested.store(true); }

// "about 3.5 min", or "under a second".
std::string seconds_phrase(double seconds) {
  const std::string rough = sim::format_rough_seconds(seconds);
  return seconds < 1 ? rough : "about " + rough;
}

}  // namespace

void install_cancel_handlers() {
  std::signal(SIGINT, request_cancel);
  std::signal(SIGTERM, request_cancel);
}

std::string describe_cost(const sim::RunCost& cost, const sim::RunOptions& options) {
  const std::uint32_t threads = sim::worker_threads(options);
  return fmt::format("about {} events, {} with {} {}, about {} of memory", sim::format_rough_count(*cost.events),
                     seconds_phrase(*cost.seconds), threads, threads == 1 ? "thread" : "threads",
                     sim::format_rough_bytes(static_cast<double>(cost.memory_bytes)));
}

void announce_cost(const Scenario& scenario, const std::vector<PolicyConfig>& policies,
                   const sim::RunOptions& options) {
  const sim::RunCost cost = sim::checked_estimate(scenario, policies, options);
  std::fputs(fmt::format("fogsched: estimate: {}\n", describe_cost(cost, options)).c_str(), stderr);
  if (*cost.seconds >= kLongRunSeconds) {
    std::fputs(fmt::format("fogsched: warning: this run will take about {}; Ctrl-C stops it\n",
                           sim::format_rough_seconds(*cost.seconds))
                   .c_str(),
               stderr);
  }
}

std::string format_progress(double fraction, std::chrono::duration<double> elapsed) {
  constexpr int kWidth = 40;
  fraction = std::clamp(fraction, 0.0, 1.0);
  const int percent = static_cast<int>(fraction * 100.0);
  const int filled = percent * kWidth / 100;
  std::string text = fmt::format("[{}{}] {:3d} %", std::string(static_cast<std::size_t>(filled), '#'),
                                 std::string(static_cast<std::size_t>(kWidth - filled), '.'), percent);
  // The pace so far, once there is enough of it to go by.
  if (fraction >= 0.001 && fraction < 1 && elapsed.count() >= 1) {
    text += "  ETA " + sim::format_rough_seconds(elapsed.count() * (1 - fraction) / fraction);
  }
  return text;
}

void ProgressBar::update(double fraction) {
  furthest_ = std::max(furthest_, fraction);
  std::string text = format_progress(furthest_, std::chrono::steady_clock::now() - started_);
  if (text == shown_) return;
  // Padded over the previous text, which may have been longer.
  const std::size_t width = std::max(text.size(), shown_.size());
  std::fputs(fmt::format("\r{:<{}}", text, width).c_str(), stderr);
  std::fflush(stderr);
  shown_ = std::move(text);
}

ProgressBar::~ProgressBar() {
  if (!shown_.empty()) std::fputs("\n", stderr);
}

void attach_run_control(sim::RunOptions& options, std::optional<ProgressBar>& progress) {
  options.cancel = &g_cancel_requested;
  if (isatty(fileno(stderr)) == 0) return;
  progress.emplace();
  progress->update(0.0);
  options.progress = [&progress](double fraction) { progress->update(fraction); };
}

}  // namespace fogsched::cli
