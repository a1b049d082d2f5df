#pragma once
// Aligned text tables for the CLI's outputs (run, analyze, compare). Internal to core.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fogsched::detail {

// Columns in display cells, counting UTF-8 code points ("±" is two bytes, one cell).
std::size_t display_width(std::string_view text);

// Spaces between two columns.
inline constexpr std::size_t kColumnGap = 2;

// Rows of cells as aligned text: the first row is the header, ruled off from the
// rest; the first column reads left to right, the others line up on the right.
std::string aligned_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace fogsched::detail
