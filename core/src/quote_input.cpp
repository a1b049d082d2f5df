#include "fogsched/core/quote_input.h"

#include <fmt/format.h>

namespace fogsched {
namespace {

bool continues_character(char byte) { return (static_cast<unsigned char>(byte) & 0xC0) == 0x80; }

}  // namespace

std::string quote_input(std::string_view text) {
  std::size_t characters = 0;
  std::size_t cut = text.size();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (continues_character(text[i])) continue;
    if (characters == kQuotedInputCharacters) cut = i;
    ++characters;
  }
  if (characters <= kQuotedInputCharacters) return fmt::format("'{}'", text);
  return fmt::format("'{}'… ({} characters)", text.substr(0, cut), characters);
}

}  // namespace fogsched
