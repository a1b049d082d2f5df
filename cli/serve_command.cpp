// `fogsched serve`: one flag per overridable setting, all declared from the node's
// settings table (node_config.h), so the flags, their help and the file's keys agree.
#include "serve_command.h"

#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fogsched/live/node.h"
#include "fogsched/live/node_config.h"

namespace fogsched::cli {
namespace {

struct ServeArgs {
  std::optional<std::filesystem::path> config_file;
  std::vector<live::SettingOverride> overrides;  // in the order the options are processed
  std::vector<std::string> plugins;              // --plugin, loaded before any source is read
  bool print_config = false;
};

std::string flag_help(const live::NodeSetting& setting) {
  std::string help = fmt::format("{}. Env {}, file key {}", setting.help, setting.env, setting.key);
  if (!setting.default_value.empty()) help += fmt::format(", default {}", setting.default_value);
  return help;
}

std::string footer() {
  std::vector<std::string> file_only;
  for (const live::NodeSetting& setting : live::node_settings()) {
    if (setting.flag.empty()) {
      file_only.push_back(fmt::format("  {:<22} {} (default {})", setting.key, setting.help, setting.default_value));
    }
  }
  return fmt::format(
      "Precedence: the file given with --config < environment variables < flags; each later\n"
      "source overrides the earlier ones. An empty environment variable counts as unset.\n"
      "Keys set only in the file:\n{}\n"
      "Errors name the file, line and key, or the variable or flag, and exit with code 2.",
      fmt::join(file_only, "\n"));
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* serve = app.add_subcommand(
      "serve", "Run the scheduler node beside an OpenFaaS gateway (clients call it as they call the gateway)");
  serve->add_option("--config", args->config_file, "Configuration file (YAML), as in docs/live.md")->type_name("FILE");
  for (const live::NodeSetting& setting : live::node_settings()) {
    if (setting.flag.empty()) continue;
    const std::string key(setting.key);
    CLI::Option* option = nullptr;
    if (key == live::kPluginsKey) {  // loaded before any source is read, every occurrence
      option = serve->add_option(std::string(setting.flag), args->plugins, flag_help(setting));
      option->allow_extra_args(false);
    } else if (key == "functions.slots") {  // adds to the map, so every occurrence counts
      option = serve->add_option_function<std::vector<std::string>>(
          std::string(setting.flag),
          [args, key](const std::vector<std::string>& values) {
            for (const std::string& value : values) args->overrides.push_back({key, value});
          },
          flag_help(setting));
      option->allow_extra_args(false);
    } else {
      option = serve->add_option_function<std::string>(
          std::string(setting.flag),
          [args, key](const std::string& value) {
            args->overrides.push_back({key, value});
          },
          flag_help(setting));
      option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
    option->type_name(std::string(setting.value_name));
  }
  serve->add_flag("--print-config", args->print_config,
                  "Print the effective configuration as YAML and exit (the token file's path, never the token)");
  serve->footer(footer());
  serve->callback([args] {
    live::NodeConfig config = live::load_node_config(args->config_file, live::Environment::of_process(), args->plugins);
    live::apply_command_line(config, args->overrides);
    if (args->print_config) {
      std::cout << live::to_yaml(config) << std::flush;
      throw CommandExit{0};
    }
    throw CommandExit{live::run_scheduler_node(config)};
  });
}

}  // namespace fogsched::cli
