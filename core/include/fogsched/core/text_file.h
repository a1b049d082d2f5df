#pragma once
// Reading a whole file the user named (a policy's model, a decision table).
#include <filesystem>
#include <string>

namespace fogsched {

// The file's bytes. Throws std::runtime_error saying why not ("no such file", "is a
// directory", "cannot read: Permission denied"), without the path: callers name it.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace fogsched
