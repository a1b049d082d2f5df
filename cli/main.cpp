// fogsched: the command table. Each command lives in its own file (NAME_command.cpp)
// and ends through CommandExit; the errors it lets through are reported here, one
// line on stderr ("fogsched: <message>"), with the exit codes of command_exit.h.
#include <algorithm>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#if FOGSCHED_WITH_MIMALLOC
#include <mimalloc.h>
#endif

#include "analyze_command.h"
#include "command_exit.h"
#include "compare_command.h"
#include "fogsched/app/run_settings.h"
#include "fogsched/core/errors.h"
#include "fogsched/core/quote_input.h"
#include "fogsched/core/units.h"
#include "fogsched/sim/runner.h"
#include "host_command.h"
#include "load_command.h"
#include "policies_command.h"
#include "run_command.h"
#include "run_control.h"
#include "serve_command.h"
#include "train_command.h"
#include "validate_command.h"

namespace fogsched::cli {
namespace {

int report(int exit_code, std::string_view message) {
  std::cerr << "fogsched: " << message << '\n';
  return exit_code;
}

// The allocator that really serves malloc here: mimalloc only when a block calloc
// returns lies in its heap (it replaces malloc by being linked, which can fail quietly).
std::string allocator_in_use() {
#if FOGSCHED_WITH_MIMALLOC
  void* probe = std::calloc(1, 64);
  const bool ours = mi_is_in_heap_region(probe);
  std::free(probe);
  if (ours) return fmt::format("mimalloc {}.{}.{}", mi_version() / 100, mi_version() / 10 % 10, mi_version() % 10);
  return "system malloc (mimalloc is linked but not in use)";
#else
  return "system malloc";
#endif
}

// One example per command, shown under a command line error with the command's
// usage line (docs/cli.md has more).
constexpr std::pair<std::string_view, std::string_view> kExamples[] = {
    {"run",
     "fogsched run scenarios/city-default.yaml --policy local --policy 'power_of_d(d=2,threshold=3)' "
     "--report report.html"},
    {"validate", "fogsched validate scenarios/city-default.yaml"},
    {"analyze", "fogsched analyze scenarios/markov-small.yaml --optimal"},
    {"policies", "fogsched policies"},
    {"serve", "fogsched serve --config node.yaml   (the file's keys: docs/live.md)"},
    {"host", "fogsched host --config functions.yaml --listen 127.0.0.1:8080"},
    {"load", "fogsched load scenarios/live-demo.yaml --nodes http://127.0.0.1:18080,http://127.0.0.1:18081"},
    {"compare", "fogsched compare simulated.json live.json"},
    {"train", "fogsched train scenarios/markov-small.yaml --policy 'sarsa(forward_cost=0.1)' --out model.json"},
};

// A command line error: the message, then the usage line and an example of the
// command it was for (or of fogsched itself), and where the full help is.
int usage_error(CLI::App& app, std::string_view message) {
  report(kExitBadInput, message);
  const std::vector<CLI::App*> parsed = app.get_subcommands();
  if (parsed.empty()) {
    std::cerr << "Usage: fogsched COMMAND [OPTIONS] ...\n"
                 "Example: fogsched run scenarios/city-default.yaml\n"
                 "`fogsched --help` lists the commands\n";
    return kExitBadInput;
  }
  const CLI::App& command = *parsed.front();
  const std::string name = "fogsched " + command.get_name();
  std::cerr << CLI::Formatter().make_usage(&command, name);
  for (const auto& [command_name, example] : kExamples) {
    if (command_name == command.get_name()) std::cerr << "Example: " << example << '\n';
  }
  std::cerr << fmt::format("`{} --help` lists every option\n", name);
  return kExitBadInput;
}

int run_cli(int argc, char** argv) {
  CLI::App app{"Cooperative per-invocation scheduling of FaaS calls between fog nodes.", "fogsched"};
  app.set_version_flag("--version",
                       [] { return fmt::format("fogsched {}\nallocator: {}", FOGSCHED_VERSION, allocator_in_use()); });
  app.require_subcommand(1);

  add_run_command(app);
  add_validate_command(app);
  add_analyze_command(app);
  add_policies_command(app);
  add_serve_command(app);
  add_host_command(app);
  add_load_command(app);
  add_compare_command(app);
  add_train_command(app);

  // CLI11 would only say that a subcommand is required; name the word it did not know.
  const std::vector<CLI::App*> commands = app.get_subcommands([](CLI::App*) { return true; });
  if (argc > 1 && argv[1][0] != '-' &&
      std::none_of(commands.begin(), commands.end(), [&](CLI::App* c) { return c->check_name(argv[1]); })) {
    std::vector<std::string> names;
    names.reserve(commands.size());
    for (const CLI::App* command : commands) names.push_back(command->get_name());
    return usage_error(app,
                       fmt::format("unknown command {} (expected {})", quote_input(argv[1]), fmt::join(names, ", ")));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CommandExit& e) {
    return e.code;
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e.what());
  }
  return report(kExitInternalError, "no subcommand ran");
}

}  // namespace
}  // namespace fogsched::cli

int main(int argc, char** argv) {
  using namespace fogsched;
  cli::install_cancel_handlers();
  try {
    return cli::run_cli(argc, argv);
  } catch (const sim::Cancelled&) {
    return cli::report(cli::kExitInterrupted, "interrupted");
  } catch (const ScenarioError& e) {
    return cli::report(cli::kExitBadInput, e.what());
  } catch (const PolicyError& e) {
    return cli::report(cli::kExitBadInput, e.what());
  } catch (const ResourceError& e) {
    return cli::report(cli::kExitBadInput, e.what());
  } catch (const UnitError& e) {
    return cli::report(cli::kExitBadInput, e.what());
  } catch (const app::SettingError& e) {  // named as its option
    return cli::report(cli::kExitBadInput, fmt::format("--{}", e.what()));
  } catch (const cli::InputError& e) {
    return cli::report(cli::kExitBadInput, e.what());
  } catch (const PolicyContractError& e) {
    return cli::report(cli::kExitInternalError, fmt::format("internal error: policy broke its contract: {}", e.what()));
  } catch (const std::exception& e) {
    return cli::report(cli::kExitInternalError, fmt::format("internal error: {}", e.what()));
  } catch (...) {
    return cli::report(cli::kExitInternalError, "internal error: unknown exception");
  }
}
