// The README's "Write a policy" code is tests/example_policy_test.cpp's, to the
// letter: the blocks between its markers stand in the README as fenced C++ blocks.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace {

const std::filesystem::path kSourceDir = FOGSCHED_SOURCE_DIR;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The lines between `// [NAME]` and `// [NAME-end]`, without the markers.
std::string marked_block(const std::string& text, const std::string& name) {
  const std::string begin = "// [" + name + "]\n";
  const std::string end = "// [" + name + "-end]";
  const auto from = text.find(begin);
  const auto to = text.find(end);
  if (from == std::string::npos || to == std::string::npos || to < from) return {};
  return text.substr(from + begin.size(), to - from - begin.size());
}

TEST(ReadmeExample, QuotesTheTestedPolicyAndItsTestVerbatim) {
  const std::string source = read_file(kSourceDir / "tests" / "example_policy_test.cpp");
  const std::string readme = read_file(kSourceDir / "README.md");
  for (const std::string name : {"example-policy", "example-test"}) {
    const std::string block = marked_block(source, name);
    ASSERT_FALSE(block.empty()) << "tests/example_policy_test.cpp has no block " << name;
    EXPECT_NE(readme.find("```cpp\n" + block + "```\n"), std::string::npos)
        << "README.md does not quote the block " << name << " of tests/example_policy_test.cpp";
  }
}

}  // namespace
