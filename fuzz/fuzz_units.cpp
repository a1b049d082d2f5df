// Every parser of units.h: the first byte picks one, the rest is its text. Bad input
// is UnitError; anything else escaping is a finding, and so is a duration that does
// not read back from its format_duration text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fogsched/core/units.h"

namespace {

void check_duration(std::string_view text) {
  const fogsched::Duration parsed = fogsched::parse_duration(text);
  const std::string formatted = fogsched::format_duration(parsed);
  if (fogsched::parse_duration(formatted) != parsed) {
    std::fprintf(stderr, "'%.*s' is %lld ns, formatted '%s', which reads back as another duration\n",
                 static_cast<int>(text.size()), text.data(), static_cast<long long>(parsed.count()), formatted.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 7) {
      case 0: check_duration(text); break;
      case 1: fogsched::parse_rate(text); break;
      case 2: fogsched::parse_bytes(text); break;
      case 3: fogsched::parse_bandwidth(text); break;
      case 4: fogsched::parse_distance(text); break;
      case 5: fogsched::parse_speed(text); break;
      default: fogsched::parse_number(text); break;
    }
  } catch (const fogsched::UnitError&) {
  }
  return 0;
}
