#pragma once
// "1 camera", "3 cameras": counts in the commands' sentences and headings.
#include <cstddef>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace fogsched::cli {

inline std::string plural(std::size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

}  // namespace fogsched::cli
