// A node's configuration file (`fogsched serve --config`) through its loader, as the
// node reads it: from a file. Bad input is ConfigError; anything else escaping is a
// finding, and so is a configuration whose YAML dump (to_yaml) does not read back to
// the same values.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include <unistd.h>

#include "fogsched/live/node_config.h"

namespace {

// The file each input is written to, in a directory of this process removed at exit.
class ConfigFile {
 public:
  ConfigFile()
      : dir_(std::filesystem::temp_directory_path() / ("fogsched-fuzz-node-config-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
  }
  ~ConfigFile() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  ConfigFile(const ConfigFile&) = delete;
  ConfigFile& operator=(const ConfigFile&) = delete;

  std::filesystem::path path() const { return dir_ / "node.yaml"; }

 private:
  std::filesystem::path dir_;
};

const std::filesystem::path& config_file() {
  static const ConfigFile file;
  static const std::filesystem::path path = file.path();
  return path;
}

fogsched::live::NodeConfig load(std::string_view text) {
  std::ofstream(config_file(), std::ios::binary | std::ios::trunc)
      .write(text.data(), static_cast<std::streamsize>(text.size()));
  return fogsched::live::load_node_config(config_file(), fogsched::live::Environment{});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string dump;
  try {
    dump = to_yaml(load(std::string_view(reinterpret_cast<const char*>(data), size)));
  } catch (const fogsched::live::ConfigError&) {
    return 0;
  }
  const std::string again = to_yaml(load(dump));
  if (again != dump) {
    std::fprintf(stderr, "the configuration's dump\n%s\nreads back as\n%s\n", dump.c_str(), again.c_str());
    std::abort();
  }
  return 0;
}
