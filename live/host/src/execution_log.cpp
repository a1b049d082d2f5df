#include "execution_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <string>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fogsched/live/host.h"

namespace fogsched::live {

ExecutionLog::ExecutionLog(const std::filesystem::path& file)
    : file_(file), descriptor_(::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {
  if (descriptor_ < 0) {
    throw HostConfigError(SourceLocation{file.string(), 0, 0}, "execution_log",
                          fmt::format("cannot open for appending: {}", std::generic_category().message(errno)));
  }
}

ExecutionLog::~ExecutionLog() { ::close(descriptor_); }

void ExecutionLog::record(std::string_view call_id, std::string_view function) {
  // A call id is the caller's header: bytes that are not UTF-8 are replaced, not refused.
  std::string line = nlohmann::json{{"call_id", call_id}, {"function", function}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  if (::write(descriptor_, line.data(), line.size()) == static_cast<ssize_t>(line.size())) return;
  // A full disk must not stop the host; it is said once.
  if (!write_failure_reported_.exchange(true)) {
    std::cerr << fmt::format("execution log {}: a line could not be written: {}\n", file_.string(),
                             std::generic_category().message(errno));
  }
}

}  // namespace fogsched::live
