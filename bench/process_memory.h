#pragma once
// This process's resident memory, from /proc/self (Linux), for the benchmarks that
// report memory.
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace fogsched::bench {

// A "kB" field of /proc/self/status (VmRSS: resident now, VmHWM: peak resident).
inline std::uint64_t status_kib(std::string_view field) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.size() > field.size() && line.starts_with(field) && line[field.size()] == ':') {
      return std::stoull(line.substr(field.size() + 1));
    }
  }
  throw std::runtime_error("no " + std::string(field) + " in /proc/self/status");
}

// Resets VmHWM to the current RSS (Linux >= 4.0), so a peak measured next is that
// of what runs next; false when the kernel refuses.
inline bool reset_peak_rss() {
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";
  clear_refs.flush();
  return clear_refs.good();
}

}  // namespace fogsched::bench
