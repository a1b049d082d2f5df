// `fogsched host`: loads the functions file, serves until SIGINT/SIGTERM, drains.
#include "host_command.h"

#include <algorithm>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/signal_set.hpp>

#include "command_exit.h"
#include "fogsched/core/quote_input.h"
#include "fogsched/core/units.h"
#include "fogsched/live/host.h"

namespace fogsched::cli {
namespace {

namespace asio = boost::asio;

// In-flight requests may take this long to finish after SIGTERM; a second signal
// stops at once.
constexpr auto kDrainTimeout = std::chrono::seconds(30);

struct HostArgs {
  std::string config_file;
  std::optional<std::string> listen;
  std::optional<std::string> latency;
  unsigned threads = 0;
};

std::string format_endpoint(const live::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), endpoint.port())
                         : fmt::format("{}:{}", address.to_string(), endpoint.port());
}

int run_host(const HostArgs& args) {
  live::HostConfig config = live::load_host_config(args.config_file);
  if (args.listen) {
    try {
      live::parse_listen_address(*args.listen);
    } catch (const std::invalid_argument& e) {
      throw live::HostConfigError(SourceLocation{"--listen", 0, 0}, "", e.what());
    }
    config.listen = *args.listen;
  }
  if (args.latency) {
    try {
      config.latency = parse_duration(*args.latency);
    } catch (const UnitError& e) {
      throw live::HostConfigError(SourceLocation{"--latency", 0, 0}, "", e.what());
    }
    if (config.latency < Duration::zero()) {
      throw live::HostConfigError(SourceLocation{"--latency", 0, 0}, "",
                                  fmt::format("{} is negative", quote_input(*args.latency)));
    }
  }
  config.release = FOGSCHED_VERSION;

  const unsigned threads = args.threads > 0 ? args.threads : std::max(1u, std::thread::hardware_concurrency());
  live::IoContextPool contexts(threads);
  asio::signal_set signals(contexts.at(0), SIGINT, SIGTERM);
  std::optional<live::FunctionHost> host;
  try {
    host.emplace(contexts, std::move(config));
  } catch (const std::system_error& e) {
    throw live::HostConfigError(SourceLocation{args.config_file, 0, 0}, "listen",
                                fmt::format("cannot listen: {}", e.code().message()));
  }
  host->start();
  std::cout << "listening on " << format_endpoint(host->local_endpoint()) << "\n";
  if (const auto metrics = host->metrics_endpoint()) std::cout << "metrics on " << format_endpoint(*metrics) << "\n";
  std::cout << std::flush;

  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    host->drain(kDrainTimeout, [&contexts] { contexts.stop(); });
    signals.async_wait([&contexts](const boost::system::error_code& again, int) {
      if (!again) contexts.stop();
    });
  });

  contexts.start();
  contexts.join();
  return 0;
}

}  // namespace

void add_host_command(CLI::App& app) {
  auto args = std::make_shared<HostArgs>();
  CLI::App* command = app.add_subcommand(
      "host", "Run a local OpenFaaS-compatible gateway whose functions are commands, synthetic or upstream URLs");
  command->add_option("--config", args->config_file, "Functions file (YAML), as in docs/live.md")
      ->type_name("FILE")
      ->required();
  command->add_option("--listen", args->listen, "Gateway address host:port, overriding the file's (port 0: any free)")
      ->type_name("ADDR");
  command
      ->add_option("--latency", args->latency,
                   "One-way WAN latency before each call runs and before its answer leaves, overriding the "
                   "file's (e.g. 80ms)")
      ->type_name("DURATION");
  command->add_option("--threads", args->threads, "Event-loop threads, one io_context each; 0 = one per core (default)")
      ->type_name("N")
      ->check(CLI::Range(0u, 1024u).description(""));
  command->footer(
      "Prints 'listening on HOST:PORT' (then 'metrics on HOST:PORT' with metrics_listen) once it accepts.\n"
      "SIGINT/SIGTERM: stop accepting, finish requests in progress (at most 30 s), exit 0.");
  command->callback([args] { throw CommandExit{run_host(*args)}; });
}

}  // namespace fogsched::cli
