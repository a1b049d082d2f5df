#pragma once
// How a subcommand ends `fogsched`: with an exit code, or with bad input.
#include <stdexcept>

namespace fogsched::cli {

// Exit codes: 0 ok, 1 internal error (a bug, including a policy breaking its
// contract), 2 bad input (scenario, policy spec, units, command line, files),
// 130 interrupted.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInternalError = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitInterrupted = 130;

// Thrown by a command's callback, which has no result to return; main() returns
// `code`.
struct CommandExit {
  int code = 0;
};

// Bad input the command line itself detects (an unwritable output path, ...);
// main() reports it and exits with kExitBadInput.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace fogsched::cli
