#pragma once
// Quantities with units, as scenario files and policy parameters write them.
// Each parser throws UnitError with a message naming the text and the units it
// accepts; callers add the file, line and key.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fogsched/core/time.h"

namespace fogsched {

class UnitError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// "250ms", "1.5s", "5min", "1h", "100us", "20ns", "2d"; "0" alone is allowed.
Duration parse_duration(std::string_view text);
// "3.2/s", "12/min", "100/h" -> events per second.
double parse_rate(std::string_view text);
// "150KB", "1.5MB", "64KiB", "200B" (KB = 1000 bytes, KiB = 1024) -> bytes.
std::uint64_t parse_bytes(std::string_view text);
// "60kbps", "100Mbps", "1Gbps", "500bps" -> bits per second.
double parse_bandwidth(std::string_view text);
// "200m", "1.5km" -> metres.
double parse_distance(std::string_view text);
// "50km/h", "13.9m/s" -> metres per second; negative speeds are refused.
double parse_speed(std::string_view text);
// A plain decimal number ("0.8", "3", "-1e3"); no units, no trailing text.
double parse_number(std::string_view text);

// Shortest text that parses back to the same value ("250ms", "1.5s", "1h").
std::string format_duration(Duration d);

}  // namespace fogsched
