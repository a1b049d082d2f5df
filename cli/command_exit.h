#pragma once
// How a subcommand that runs from its CLI11 callback ends `fogsched` with a code.

namespace fogsched::cli {

// Thrown by a command's callback, which has no result to return; main() returns
// `code` (0 success, 1 internal error, 2 bad input).
struct CommandExit {
  int code = 0;
};

}  // namespace fogsched::cli
