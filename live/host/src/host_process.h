#pragma once
// One process per request for the host's command functions (the classic watchdog's
// fork mode), without blocking the event loop: posix_spawn, pipes read and written
// through Asio, and the exit awaited on a pidfd.
#include <string>
#include <utility>  // boost/asio/awaitable.hpp (1.74) uses std::exchange without it
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "fogsched/core/time.h"

namespace fogsched::live {

struct ProcessOutcome {
  bool timed_out = false;  // killed at the timeout
  int exit_code = 0;       // when it exited
  int signal = 0;          // when a signal ended it (0: it exited)
  std::string out;         // stdout, up to the output limit
  std::string err;         // stderr, up to the output limit

  bool succeeded() const { return !timed_out && signal == 0 && exit_code == 0; }
};

struct ProcessRequest {
  std::vector<std::string> argv;         // argv[0] is looked up in PATH
  std::vector<std::string> environment;  // "NAME=value", the whole environment
  std::string input;                     // written to stdin, which is then closed
  Duration timeout{};                    // the process group is killed after it; 0: none
  std::size_t output_limit = std::size_t{64} * 1024 * 1024;
};

// Runs the process to its end. Must be awaited on a context run by one thread (as
// HttpServer handlers are): the pipes' completions share the coroutine's state. Throws std::system_error
// when the process cannot be started (no such program, out of descriptors).
boost::asio::awaitable<ProcessOutcome> run_process(ProcessRequest request);

}  // namespace fogsched::live
