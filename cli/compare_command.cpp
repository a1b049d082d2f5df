// `fogsched compare`: reads two `fogsched run --json` / `fogsched load --json`
// documents and prints them side by side.
#include "compare_command.h"

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "command_exit.h"
#include "fogsched/core/compare.h"
#include "fogsched/core/errors.h"
#include "fogsched/core/results.h"
#include "fogsched/policies/registry.h"

namespace fogsched::cli {
namespace {

struct CompareArgs {
  std::string a_path;
  std::string b_path;
  bool json = false;
};

// Reads and parses one results document; the message names the file.
RunReport read_report(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(fmt::format("cannot read {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) throw std::invalid_argument(fmt::format("cannot read {}", path));
  try {
    return run_report_from_json(text.str());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("{}: {}", path, e.what()));
  }
}

// "power_of_d" and "power_of_d(d=2,threshold=3)" name one configuration; names the
// registry does not know are compared as written.
void canonicalise_policies(RunReport& report) {
  const PolicyRegistry registry = PolicyRegistry::with_builtins();
  for (PolicyResult& result : report.results) {
    try {
      result.policy = registry.parse(result.policy).canonical;
    } catch (const PolicyError&) {
    }
  }
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* compare =
      app.add_subcommand("compare", "Compare two result documents (run --json, load --json) metric by metric");
  compare->add_option("a", args->a_path, "First results document (A)")->type_name("A.json")->required();
  compare->add_option("b", args->b_path, "Second results document (B)")->type_name("B.json")->required();
  compare->add_flag("--json", args->json, "Print the comparison as JSON instead of tables");
  compare->footer(
      "Policies are paired by canonical name; when each file holds exactly one result, those two are "
      "paired whatever their names. Per metric: A and B as mean ± 95 % half-width, B - A, the combined "
      "half-width sqrt(ciA² + ciB²), and whether |B - A| lies within it (n/a without intervals).");
  compare->callback([args] {
    RunReport a;
    RunReport b;
    try {
      a = read_report(args->a_path);
      b = read_report(args->b_path);
    } catch (const std::invalid_argument& e) {
      std::cerr << "fogsched: " << e.what() << '\n';
      throw CommandExit{2};
    }
    canonicalise_policies(a);
    canonicalise_policies(b);
    const ReportComparison comparison = compare_reports(a, b);
    std::cout << (args->json ? to_json(comparison) + "\n" : format_comparison(comparison)) << std::flush;
    throw CommandExit{0};
  });
}

}  // namespace fogsched::cli
