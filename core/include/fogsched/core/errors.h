#pragma once
// Error types for set-up and configuration. Each maps to one Python exception and,
// in the CLI, to exit code 2 (bad input); anything else is an internal error (1).
#include <stdexcept>
#include <string>

namespace fogsched {

// Where a value came from: a file and line, or a command-line override.
struct SourceLocation {
  std::string file;  // path as given, or "--set" for command-line overrides
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown

  // "FILE:LINE" (or just FILE when the line is unknown).
  std::string to_string() const;
};

// A scenario file or override is wrong. what() is "FILE:LINE: key.path: what is wrong".
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(const SourceLocation& where, const std::string& key_path, const std::string& problem);
  const SourceLocation& where() const noexcept { return where_; }
  const std::string& key_path() const noexcept { return key_path_; }
  const std::string& problem() const noexcept { return problem_; }

 private:
  SourceLocation where_;
  std::string key_path_;
  std::string problem_;
};

// A policy name or parameter is wrong (unknown name, unknown or invalid parameter).
class PolicyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A run would need more memory than this process can get. what() names the setting
// that drives the need and the estimate.
class ResourceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A policy broke the contract (a second Probe, a forward to itself or to a
// non-peer, too many probe peers). A bug in the policy, not bad input.
class PolicyContractError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace fogsched
