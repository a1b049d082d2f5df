#pragma once
// The one grammar service times are written in, by scenario files
// (functions.NAME.service_time) and by the host's synthetic functions (its
// functions file and the annotation com.fogsched.synthetic).
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "fogsched/core/config_reader.h"
#include "fogsched/core/scenario.h"

namespace fogsched {

// A service time is written as a map or as one word:
//   {dist: exponential, mean: 1s}          exponential(1s)
//   {dist: deterministic, mean: 250ms}     deterministic(250ms)
//   {dist: uniform, min: 1s, max: 2s}      uniform(1s,2s)
//   {dist: lognormal, mean: 1s, cv: 0.5}   lognormal(1s,0.5)   (cv defaults to 1)
//   {dist: empirical, file: samples.csv}   empirical(samples.csv)
// `dist` defaults to exponential.
inline constexpr std::string_view kServiceTimeKeys[] = {"dist", "mean", "cv", "min", "max", "file"};

// What a reader of service times allows beyond the grammar.
struct ServiceTimeRules {
  // A mean (or uniform max) of 0: a function that does nothing, which the host allows.
  bool zero_mean_allowed = true;
  // Where empirical samples files are found; empirical is refused without it.
  std::optional<std::filesystem::path> samples_dir;
};

// Reads either form at `node`; errors are the reader's ("FILE:LINE: path.mean: ...").
ServiceTimeSpec read_service_time(const ConfigReader& reader, const YAML::Node& node, const std::string& path,
                                  const ServiceTimeRules& rules);
// The word form alone; throws std::invalid_argument naming the text.
ServiceTimeSpec parse_service_time(std::string_view word, const ServiceTimeRules& rules = {});
// The word form, which parse_service_time reads back to the same spec.
std::string format_service_time(const ServiceTimeSpec& spec);

}  // namespace fogsched
