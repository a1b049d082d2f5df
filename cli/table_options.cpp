#include "table_options.h"

#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fogsched/core/result_text.h"

namespace fogsched::cli {

void add_table_options(CLI::App& command, TableOptions& options) {
  CLI::Option* wide = command.add_flag(
      "--wide", options.wide,
      fmt::format("Show every column of the table; by default those that fit {} columns", options.width));
  command
      .add_option("--metrics", options.metrics,
                  fmt::format("The table's columns, in this order: {}", fmt::join(metric_names(), ", ")))
      ->type_name("NAME,...")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->excludes(wide)
      ->check(CLI::Validator(
          [](std::string& name) {
            try {
              metrics_named({name});
              return std::string();
            } catch (const std::invalid_argument& e) {
              return std::string(e.what());
            }
          },
          ""));
}

}  // namespace fogsched::cli
