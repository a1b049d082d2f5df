#pragma once
// The host's execution log (`execution_log` in the functions file): one JSON line per
// call handed to a function, written as the call starts, so that a test can tell
// which call ids ran and how often, whatever became of their answers.
#include <atomic>
#include <filesystem>
#include <string_view>

namespace fogsched::live {

class ExecutionLog {
 public:
  // Opens `file` for appending (created when missing); HostConfigError naming the
  // file when it cannot be.
  explicit ExecutionLog(const std::filesystem::path& file);
  ~ExecutionLog();
  ExecutionLog(const ExecutionLog&) = delete;
  ExecutionLog& operator=(const ExecutionLog&) = delete;

  // Appends {"call_id": ..., "function": ...}. One write(2) on an O_APPEND descriptor
  // per line: lines from concurrent calls never interleave, and a line is in the
  // file (the kernel's) as soon as this returns, even if the host is killed next.
  void record(std::string_view call_id, std::string_view function);

 private:
  std::filesystem::path file_;
  int descriptor_ = -1;
  std::atomic<bool> write_failure_reported_{false};
};

}  // namespace fogsched::live
