#include "fogsched/core/service_time_grammar.h"
#include "fogsched/core/quote_input.h"

#include <algorithm>
#include <fstream>
#include <span>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "fogsched/core/units.h"

namespace fogsched {
namespace {

constexpr ServiceDist kDists[] = {ServiceDist::exponential, ServiceDist::deterministic, ServiceDist::uniform,
                                  ServiceDist::lognormal, ServiceDist::empirical};
constexpr std::string_view kDistNames[] = {"exponential", "deterministic", "uniform", "lognormal", "empirical"};

// The word form's arguments, in order, by distribution.
struct WordForm {
  std::string_view dist;
  std::vector<std::string_view> keys;  // the last may be left out when optional_last
  bool optional_last = false;
  std::string_view shape;
};

const WordForm* word_form(std::string_view dist) {
  static const WordForm kForms[] = {
      {"exponential", {"mean"}, false, "exponential(MEAN)"},  {"deterministic", {"mean"}, false, "deterministic(MEAN)"},
      {"uniform", {"min", "max"}, false, "uniform(MIN,MAX)"}, {"lognormal", {"mean", "cv"}, true, "lognormal(MEAN,CV)"},
      {"empirical", {"file"}, false, "empirical(FILE)"},
  };
  for (const WordForm& form : kForms) {
    if (form.dist == dist) return &form;
  }
  return nullptr;
}

// Reads the map a word was spelt out into; every problem names the word.
class WordReader final : public ConfigReader {
 public:
  explicit WordReader(std::string_view word) : ConfigReader("<service time>"), word_(word) {}

 protected:
  std::exception_ptr error(const SourceLocation&, const std::string& path, const std::string& problem) const override {
    return std::make_exception_ptr(
        std::invalid_argument(path.empty() ? fmt::format("{}: {}", quote_input(word_), problem)
                                           : fmt::format("{}: {}: {}", quote_input(word_), path, problem)));
  }

 private:
  std::string_view word_;
};

// Samples of an empirical distribution: a CSV file, one sample in seconds in the
// first column of each line. Blank lines and lines starting with '#' are skipped;
// the first line may be a header. Problems inside the file are reported at its own
// line, under the key that names it.
void read_samples(const ConfigReader& reader, const YAML::Node& node, const std::string& path,
                  const std::filesystem::path& dir, ServiceTimeSpec& spec) {
  const std::string written = reader.text(node, path, "a CSV file name");
  const std::filesystem::path resolved = dir / written;
  spec.samples_file = resolved.lexically_normal().string();
  std::error_code error;
  if (!std::filesystem::is_regular_file(resolved, error)) {
    reader.fail(node, path,
                fmt::format("cannot read {} (no such file: '{}')", quote_input(written), spec.samples_file));
  }
  std::ifstream in(resolved);
  if (!in) reader.fail(node, path, fmt::format("cannot read {} ('{}')", quote_input(written), spec.samples_file));

  std::string line;
  int line_number = 0;
  bool seen_content = false;
  while (std::getline(in, line)) {
    ++line_number;
    const std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') continue;
    const std::string_view field = trim(content.substr(0, content.find(',')));
    const SourceLocation csv_location{spec.samples_file, line_number, 0};
    double sample = 0;
    try {
      sample = parse_number(field);
    } catch (const UnitError&) {
      const bool header = !seen_content;
      seen_content = true;
      if (header) continue;
      throw ScenarioError(csv_location, path,
                          fmt::format("expected a service time in seconds, got {}", quote_input(field)));
    }
    seen_content = true;
    if (sample < 0) {
      throw ScenarioError(csv_location, path,
                          fmt::format("service times must not be negative, got {}", quote_input(field)));
    }
    spec.samples_s.push_back(sample);
  }
  if (spec.samples_s.empty()) reader.fail(node, path, fmt::format("{} holds no samples", quote_input(written)));
  if (spec.mean_seconds() <= 0)
    reader.fail(node, path, fmt::format("the samples in {} average to 0", quote_input(written)));
}

ServiceTimeSpec read_service_time_map(const ConfigReader& reader, const YAML::Node& node, const std::string& path,
                                      const ServiceTimeRules& rules) {
  const std::span<const std::string_view> all_keys(kServiceTimeKeys);
  // Without a place to find samples files, neither `file` nor empirical exists.
  const bool empirical_allowed = rules.samples_dir.has_value();
  const ConfigMap map = reader.section(node, path, empirical_allowed ? all_keys : all_keys.first(all_keys.size() - 1));
  const std::span<const std::string_view> dist_names(kDistNames);
  ServiceTimeSpec spec;
  std::size_t dist = 0;
  if (map.has("dist")) {
    dist = reader.choice(map.get("dist"), map.path("dist"),
                         empirical_allowed ? dist_names : dist_names.first(dist_names.size() - 1));
  }
  spec.dist = kDists[dist];

  // The keys each distribution reads; any other key is a mistake worth reporting.
  struct KeyUse {
    std::string_view key;
    std::string_view used_by;  // names of the distributions that read it
  };
  constexpr KeyUse kUses[] = {
      {"mean", "exponential, deterministic, lognormal"},
      {"cv", "lognormal"},
      {"min", "uniform"},
      {"max", "uniform"},
      {"file", "empirical"},
  };
  for (const auto& use : kUses) {
    if (map.has(use.key) && use.used_by.find(kDistNames[dist]) == std::string_view::npos) {
      reader.fail(map.get(use.key), map.path(use.key),
                  fmt::format("not used with dist: {} (only with {})", kDistNames[dist], use.used_by));
    }
  }

  const Bound mean_bound = rules.zero_mean_allowed ? Bound::non_negative : Bound::positive;
  switch (spec.dist) {
    case ServiceDist::lognormal:
      if (map.has("cv")) spec.cv = reader.number(map.get("cv"), map.path("cv"), Bound::positive);
      [[fallthrough]];
    case ServiceDist::exponential:
    case ServiceDist::deterministic:
      spec.mean = reader.duration(map.require("mean"), map.path("mean"), mean_bound);
      break;
    case ServiceDist::uniform:
      spec.min = reader.duration(map.require("min"), map.path("min"), Bound::non_negative);
      spec.max = reader.duration(map.require("max"), map.path("max"), mean_bound);
      if (spec.max < spec.min) {
        reader.fail(map.get("max"), map.path("max"),
                    fmt::format("must not be less than min ({})", map.get("min").Scalar()));
      }
      break;
    case ServiceDist::empirical:
      read_samples(reader, map.require("file"), map.path("file"), *rules.samples_dir, spec);
      break;
  }
  return spec;
}

}  // namespace

ServiceTimeSpec parse_service_time(std::string_view word, const ServiceTimeRules& rules) {
  const std::string_view text = trim(word);
  const auto open = text.find('(');
  if (open == std::string_view::npos || !text.ends_with(')')) {
    throw std::invalid_argument(
        fmt::format("{} is not a service time such as exponential(1s), deterministic(250ms), uniform(1s,2s) or "
                    "lognormal(1s,0.5)",
                    quote_input(word)));
  }
  const std::string_view dist = trim(text.substr(0, open));
  std::vector<std::string_view> args;
  for (std::string_view inside = text.substr(open + 1, text.size() - open - 2);;) {
    const auto comma = inside.find(',');
    args.push_back(trim(inside.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    inside.remove_prefix(comma + 1);
  }
  // Spelt out as the map form, so that one reader checks both.
  YAML::Node map(YAML::NodeType::Map);
  map["dist"] = std::string(dist);
  // A distribution the rules refuse is reported as such, not as its arguments.
  const WordForm* form = word_form(dist);
  if (form && (dist != "empirical" || rules.samples_dir)) {
    const std::size_t fewest = form->keys.size() - (form->optional_last ? 1 : 0);
    const bool blank = std::any_of(args.begin(), args.end(), [](std::string_view a) { return a.empty(); });
    if (args.size() < fewest || args.size() > form->keys.size() || blank) {
      throw std::invalid_argument(fmt::format("{}: expected {}", quote_input(word), form->shape));
    }
    for (std::size_t i = 0; i < args.size(); ++i) map[std::string(form->keys[i])] = std::string(args[i]);
  }
  return read_service_time_map(WordReader(word), map, "", rules);
}

ServiceTimeSpec read_service_time(const ConfigReader& reader, const YAML::Node& node, const std::string& path,
                                  const ServiceTimeRules& rules) {
  if (!node.IsScalar()) return read_service_time_map(reader, node, path, rules);
  try {
    return parse_service_time(node.Scalar(), rules);
  } catch (const std::invalid_argument& error) {
    reader.fail(node, path, error.what());
  }
}

std::string format_service_time(const ServiceTimeSpec& spec) {
  switch (spec.dist) {
    case ServiceDist::exponential: return fmt::format("exponential({})", format_duration(spec.mean));
    case ServiceDist::deterministic: return fmt::format("deterministic({})", format_duration(spec.mean));
    case ServiceDist::uniform:
      return fmt::format("uniform({},{})", format_duration(spec.min), format_duration(spec.max));
    case ServiceDist::lognormal: return fmt::format("lognormal({},{})", format_duration(spec.mean), spec.cv);
    case ServiceDist::empirical: return fmt::format("empirical({})", spec.samples_file);
  }
  return "?";
}

}  // namespace fogsched
