#include "run_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "command_exit.h"
#include "fogsched/app/html_report.h"
#include "fogsched/app/run_settings.h"
#include "fogsched/core/results.h"
#include "fogsched/core/trace_csv.h"
#include "fogsched/sim/runner.h"
#include "run_control.h"
#include "simulation_args.h"
#include "table_options.h"

namespace fogsched::cli {
namespace {

struct RunArgs : SimulationArgs {
  std::optional<std::string> trace_path;
  std::optional<std::string> report_path;
  std::optional<std::string> out_dir;
  TableOptions table;
};

// Opened before the run, so an unwritable path is reported before minutes of work.
std::ofstream open_for_writing(const std::filesystem::path& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw InputError(fmt::format("cannot write {}", path.string()));
  return out;
}

void finish_writing(std::ofstream& out, const std::filesystem::path& path, std::string_view content) {
  out << content;
  out.close();
  if (!out) throw InputError(fmt::format("cannot write {}", path.string()));
}

void write_file(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out = open_for_writing(path);
  finish_writing(out, path, content);
}

void write_trace(std::ofstream& out, const std::filesystem::path& path, const sim::RunOutput& output,
                 const std::vector<PolicyConfig>& policies) {
  write_trace_header(out);
  for (const sim::ReplicationTrace& trace : output.traces) {
    write_trace_rows(out, policies.at(trace.policy_index).canonical, trace.replication, trace.records);
  }
  finish_writing(out, path, {});
}

int run_command(const RunArgs& args) {
  const app::PreparedRun prepared = prepare_run(args);

  std::optional<std::filesystem::path> out_dir;
  if (args.out_dir) {
    out_dir = *args.out_dir;
    std::error_code error;
    std::filesystem::create_directories(*out_dir, error);
    if (error) throw InputError(fmt::format("cannot create directory {}: {}", out_dir->string(), error.message()));
  }
  std::ofstream trace;
  if (args.trace_path) trace = open_for_writing(*args.trace_path);
  std::ofstream report;
  if (args.report_path) report = open_for_writing(*args.report_path);

  sim::RunOptions options;
  options.threads = args.threads;
  options.keep_trace = args.trace_path.has_value();
  announce_cost(prepared.scenario, prepared.policies, options);
  std::optional<ProgressBar> progress;
  attach_run_control(options, progress);
  const sim::RunOutput output = sim::run_scenario(prepared.scenario, prepared.policies, options);
  progress.reset();

  const std::string json = to_json(output.report) + "\n";
  const std::string table = format_table(output.report, args.table);
  const std::string html = app::html_report(output.report);
  if (args.trace_path) write_trace(trace, *args.trace_path, output, prepared.policies);
  if (args.report_path) finish_writing(report, *args.report_path, html);
  if (out_dir) {
    write_file(*out_dir / "results.json", json);
    write_file(*out_dir / "summary.txt", table);
    write_file(*out_dir / "report.html", html);
    write_file(*out_dir / "scenario.yaml", prepared.document.to_yaml());
    const std::filesystem::path trace_copy = *out_dir / "trace.csv";
    std::error_code error;
    if (args.trace_path && !std::filesystem::equivalent(*args.trace_path, trace_copy, error)) {
      std::filesystem::copy_file(*args.trace_path, trace_copy, std::filesystem::copy_options::overwrite_existing,
                                 error);
      if (error) throw InputError(fmt::format("cannot write {}: {}", trace_copy.string(), error.message()));
    }
  }
  std::cout << (args.json ? json : table) << std::flush;
  return kExitOk;
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* run = app.add_subcommand("run", "Simulate a scenario with every policy and compare them");
  add_simulation_args(*run, *args, "to run");
  run->add_flag("--json", args->json, "Print the results as JSON instead of a table");
  add_table_options(*run, args->table);
  run->add_option("--trace", args->trace_path, "Write every invocation to this CSV file")->type_name("FILE.csv");
  run->add_option("--report", args->report_path,
                  "Write a self-contained HTML report (the comparison table and a bar chart per metric)")
      ->type_name("FILE.html");
  run->add_option("--out", args->out_dir,
                  "Write results.json, summary.txt, report.html, scenario.yaml (and trace.csv with --trace) into this "
                  "directory")
      ->type_name("DIR");
  run->callback([args] { throw CommandExit{run_command(*args)}; });
}

}  // namespace fogsched::cli
