#include "fogsched/plugins/plugin.h"

#include <dlfcn.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "fogsched/core/errors.h"
#include "fogsched/policies/policy_definition.h"
#include "fogsched/policies/registration.h"

namespace fogsched {
namespace {

constexpr std::string_view kStampPrefix = FOGSCHED_PLUGIN_STAMP_PREFIX;
// Longest stamp text read after the prefix: far above any version and library name.
constexpr std::size_t kMaxStampText = 256;

struct LoadedPlugin {
  std::vector<PolicyInfo (*)()> policies;
};

// Plugins stay loaded for the life of the process: policy objects made from them
// may live anywhere, and their code must outlive every one.
struct PluginTable {
  std::mutex mutex;  // also serialises dlopen(), so registrations are attributed right
  std::map<std::string, LoadedPlugin, std::less<>> by_path;
};

PluginTable& plugin_table() {
  static PluginTable table;
  return table;
}

PolicyError plugin_error(const std::string& path, const std::string& problem) {
  return PolicyError("plugin " + path + ": " + problem);
}

LoadedPlugin open_plugin(const std::string& path) {
  const std::string stamp = plugin_stamp_of(path);
  if (stamp.empty()) {
    throw plugin_error(path,
                       "not a fogsched policy plugin (it carries no fogsched stamp: build it with "
                       "fogsched_add_policy() and register its policies with FOGSCHED_REGISTER_POLICY)");
  }
  if (stamp != plugin_stamp()) {
    throw plugin_error(path, "built against " + stamp + ", but this is " + plugin_stamp() + ": rebuild it");
  }
  void* handle = nullptr;
  {
    const detail::PluginRegistrationScope scope(path);
    // RTLD_NOW: a symbol the plugin needs and this fogsched lacks fails here, not
    // at the first call. RTLD_LOCAL: two plugins never see each other's symbols.
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  }
  if (handle == nullptr) throw plugin_error(path, dlerror());
  LoadedPlugin loaded;
  for (const detail::Registered& entry : detail::registered_policies()) {
    if (entry.plugin == path) loaded.policies.push_back(entry.info);
  }
  if (loaded.policies.empty()) throw plugin_error(path, "registers no policy (no FOGSCHED_REGISTER_POLICY)");
  return loaded;
}

}  // namespace

std::string plugin_stamp() { return std::string(FOGSCHED_PLUGIN_STAMP).substr(kStampPrefix.size()); }

std::string plugin_stamp_of(const std::filesystem::path& path) {
  // Read a window at a time, whatever the file's size: each window keeps the end of
  // the one before, so a stamp across the boundary is found whole.
  constexpr std::size_t kWindow = std::size_t{1} << 20;
  constexpr std::size_t kKept = kStampPrefix.size() + kMaxStampText;
  const std::boyer_moore_searcher searcher(kStampPrefix.begin(), kStampPrefix.end());
  std::ifstream in(path, std::ios::binary);
  std::string window;
  while (in) {
    const std::size_t kept = window.size();
    window.resize(kept + kWindow);
    in.read(window.data() + static_cast<std::ptrdiff_t>(kept), static_cast<std::streamsize>(kWindow));
    window.resize(kept + static_cast<std::size_t>(in.gcount()));
    const auto at = std::search(window.begin(), window.end(), searcher);
    if (at != window.end() && (window.end() - at >= static_cast<std::ptrdiff_t>(kKept) || !in)) {
      const auto begin = at + static_cast<std::ptrdiff_t>(kStampPrefix.size());
      const auto end = window.end() - begin > static_cast<std::ptrdiff_t>(kMaxStampText)
                           ? begin + static_cast<std::ptrdiff_t>(kMaxStampText)
                           : window.end();
      std::string stamp(begin, std::find(begin, end, '\0'));
      // A stamp is a short line of plain text; anything else only looks like one
      // (the prefix in a source file, say).
      const bool plain = std::all_of(stamp.begin(), stamp.end(), [](char c) { return c >= ' ' && c <= '~'; });
      return plain ? stamp : std::string();
    }
    if (window.size() > kKept) window.erase(0, window.size() - kKept);
  }
  return {};
}

std::vector<std::string> load_plugin(PolicyRegistry& registry, const std::filesystem::path& path) {
  std::error_code error;
  const std::filesystem::path canonical = std::filesystem::canonical(path, error);
  if (error) throw plugin_error(path.string(), error.message());
  if (!std::filesystem::is_regular_file(canonical)) throw plugin_error(path.string(), "not a file");
  const std::string file = canonical.string();

  std::vector<PolicyInfo (*)()> policies;
  {
    PluginTable& table = plugin_table();
    const std::scoped_lock lock(table.mutex);
    auto it = table.by_path.find(file);
    if (it == table.by_path.end()) it = table.by_path.emplace(file, open_plugin(file)).first;
    policies = it->second.policies;
  }

  std::vector<std::string> names;
  for (PolicyInfo (*make_info)() : policies) {
    PolicyInfo info;
    try {
      info = make_info();
    } catch (const std::exception& e) {
      throw plugin_error(file, e.what());
    }
    if (const PolicyInfo* taken = registry.find(info.name)) {
      if (taken->source == file) {  // loaded before (by --plugin and the scenario, say)
        names.push_back(info.name);
        continue;
      }
      throw plugin_error(file, "policy '" + info.name + "' is already registered (" + taken->source + ")");
    }
    info.source = file;
    names.push_back(info.name);
    try {
      registry.add(std::move(info));
    } catch (const std::logic_error& e) {
      throw plugin_error(file, e.what());
    }
  }
  return names;
}

void load_plugins(PolicyRegistry& registry, const std::vector<PluginSpec>& plugins) {
  for (const PluginSpec& plugin : plugins) {
    try {
      load_plugin(registry, plugin.path);
    } catch (const PolicyError& error) {
      throw PolicyError(plugin.where.to_string() + ": plugins: " + error.what());
    }
  }
}

}  // namespace fogsched
