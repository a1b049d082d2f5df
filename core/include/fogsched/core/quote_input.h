#pragma once
// Input echoed in a message: quoted, and a long value cut short with its length, so
// a mistake in a megabyte of text still gives a message one can read.
#include <cstddef>
#include <string>
#include <string_view>

namespace fogsched {

// Characters of a value a message shows before cutting it short.
inline constexpr std::size_t kQuotedInputCharacters = 60;

// "'text'", or "'first 60 characters'… (N characters)" (characters of UTF-8).
std::string quote_input(std::string_view text);

}  // namespace fogsched
