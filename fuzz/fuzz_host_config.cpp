// A host's functions file (`fogsched host --config`) through its loader. Bad input is
// HostConfigError; anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "fogsched/live/host.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Relative paths (`secrets`) name nothing there.
  static const std::filesystem::path base_dir = std::filesystem::temp_directory_path() / "fogsched-fuzz-empty";
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    fogsched::live::parse_host_config(text, "functions.yaml", base_dir);
  } catch (const fogsched::live::HostConfigError&) {
  }
  return 0;
}
