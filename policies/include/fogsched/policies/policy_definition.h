#pragma once
// Defining and registering a policy: the one mechanism for built-ins and plugins.
//
//   class Greedy final : public fogsched::Policy {
//    public:
//     struct Config {
//       std::uint32_t threshold = 3;  // defaults are the member initialisers
//     };
//     static fogsched::PolicyInfo info() {
//       return fogsched::PolicyDefinition<Greedy>("greedy", "one line for `fogsched policies`")
//           .param("threshold", &Config::threshold, {1, 1000}, "run here while load is below this")
//           .info();
//     }
//     explicit Greedy(Config config);
//     fogsched::Decision decide(const fogsched::Invocation&, fogsched::NodeContext&) override;
//   };
//   FOGSCHED_REGISTER_POLICY(Greedy)
//
// A parameter's type follows its field: bool -> boolean, an integer type -> integer,
// a floating-point type -> real, Duration -> duration (range in seconds), PolicyFile
// -> file (a model or table the front-end reads; the range is unused). A policy
// without a Config is built with its default constructor.
#include <concepts>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "fogsched/core/errors.h"
#include "fogsched/core/units.h"
#include "fogsched/policies/registry.h"
#include "fogsched/version.h"

namespace fogsched {

// Inclusive bounds of a parameter; durations in seconds.
struct ParamRange {
  double min = 0;
  double max = 0;
};

namespace detail {

struct NoConfig {};

template <class P>
struct ConfigOf {
  using type = NoConfig;
};
template <class P>
requires requires { typename P::Config; }
struct ConfigOf<P> {
  using type = typename P::Config;
};

// Shortest text that reads back as the same double ("0.5", "3", "1e-09").
std::string shortest_real_text(double value);

}  // namespace detail

template <class P>
class PolicyDefinition {
 public:
  using Config = typename detail::ConfigOf<P>::type;

  PolicyDefinition(std::string name, std::string doc) {
    info_.name = std::move(name);
    info_.doc = std::move(doc);
  }

  // Declares parameter `name`, bound to `field` of Config, with its default from
  // Config{} and its range checked by the registry before the policy sees it.
  template <class T>
  PolicyDefinition&& param(std::string name, T Config::*field, ParamRange range, std::string doc) && {
    const T default_value = Config{}.*field;
    ParamSpec spec{.name = name,
                   .type = ParamType::integer,
                   .default_value = {},
                   .min = range.min,
                   .max = range.max,
                   .doc = std::move(doc)};
    if constexpr (std::same_as<T, bool>) {
      spec.type = ParamType::boolean;
      spec.default_value = default_value ? "true" : "false";
      setters_.push_back([name, field](Config& c, const ParamValues& v) { c.*field = v.boolean(name); });
    } else if constexpr (std::integral<T>) {
      // The range must fit the field, or a valid value would be cut short.
      if (range.min < static_cast<double>(std::numeric_limits<T>::lowest()) ||
          range.max > static_cast<double>(std::numeric_limits<T>::max())) {
        throw std::logic_error("policy '" + info_.name + "': the range of '" + name + "' does not fit its field");
      }
      spec.type = ParamType::integer;
      spec.default_value = std::to_string(default_value);
      setters_.push_back(
          [name, field](Config& c, const ParamValues& v) { c.*field = static_cast<T>(v.integer(name)); });
    } else if constexpr (std::same_as<T, PolicyFile>) {
      spec.type = ParamType::file;
      spec.default_value = std::string(PolicyFile::kNone);
      setters_.push_back([name, field](Config& c, const ParamValues& v) { c.*field = v.file(name); });
    } else if constexpr (std::floating_point<T>) {
      spec.type = ParamType::real;
      spec.default_value = detail::shortest_real_text(static_cast<double>(default_value));
      setters_.push_back([name, field](Config& c, const ParamValues& v) { c.*field = static_cast<T>(v.real(name)); });
    } else {
      static_assert(std::same_as<T, Duration>,
                    "a parameter is a bool, an integer, a floating-point number, a Duration or a PolicyFile");
      spec.type = ParamType::duration;
      spec.default_value = format_duration(default_value);
      setters_.push_back([name, field](Config& c, const ParamValues& v) { c.*field = v.duration(name); });
    }
    info_.params.push_back(std::move(spec));
    return std::move(*this);
  }

  // A rule across parameters (d <= fanout, say): throws PolicyError when a
  // configuration breaks it.
  PolicyDefinition&& check(std::function<void(const Config&)> rule) && {
    checks_.push_back(std::move(rule));
    return std::move(*this);
  }

  // Derives what every node's instance shares from the parameters, once per
  // configuration (parses a file parameter into a field of Config, say); throws
  // PolicyError when it cannot. Runs after the checks.
  PolicyDefinition&& prepare(std::function<void(Config&)> step) && {
    prepares_.push_back(std::move(step));
    return std::move(*this);
  }

  PolicyInfo info() && {
    info_.configure = [setters = std::move(setters_), checks = std::move(checks_),
                       prepares = std::move(prepares_)](const ParamValues& values) {
      Config config{};
      for (const auto& set : setters) set(config, values);
      for (const auto& check : checks) check(config);
      for (const auto& step : prepares) step(config);
      if constexpr (std::same_as<Config, detail::NoConfig>) {
        return PolicyMaker::of<P>();
      } else {
        return PolicyMaker::of<P>(config);
      }
    };
    return std::move(info_);
  }

 private:
  PolicyInfo info_;
  std::vector<std::function<void(Config&, const ParamValues&)>> setters_;
  std::vector<std::function<void(const Config&)>> checks_;
  std::vector<std::function<void(Config&)>> prepares_;
};

// Adds a policy to the process's compiled-in list when its library is loaded; called
// by FOGSCHED_REGISTER_POLICY only.
struct PolicyRegistration {
  explicit PolicyRegistration(PolicyInfo (*info)()) noexcept;
};

}  // namespace fogsched

// What a plugin was built against. The loader reads it from the file before loading
// it, so a plugin built against another fogsched never runs a line of its code.
#if defined(_LIBCPP_VERSION)
#define FOGSCHED_STDLIB_TEXT "libc++"
#elif defined(_GLIBCXX_USE_CXX11_ABI) && _GLIBCXX_USE_CXX11_ABI
#define FOGSCHED_STDLIB_TEXT "libstdc++-cxx11"
#else
#define FOGSCHED_STDLIB_TEXT "libstdc++-old"
#endif
#define FOGSCHED_PLUGIN_STAMP_PREFIX "fogsched-plugin-stamp:"
#define FOGSCHED_PLUGIN_STAMP FOGSCHED_PLUGIN_STAMP_PREFIX "fogsched " FOGSCHED_VERSION_TEXT ", " FOGSCHED_STDLIB_TEXT

#define FOGSCHED_CONCAT_INNER_(a, b) a##b
#define FOGSCHED_CONCAT_(a, b) FOGSCHED_CONCAT_INNER_(a, b)

// Registers POLICY (a class with `static PolicyInfo info()`) under info().name. Use
// once per policy, at namespace scope, in its source file.
#define FOGSCHED_REGISTER_POLICY(POLICY)                                                                         \
  namespace {                                                                                                    \
  [[gnu::used]] constexpr char FOGSCHED_CONCAT_(fogsched_plugin_stamp_, __LINE__)[] = FOGSCHED_PLUGIN_STAMP;     \
  const ::fogsched::PolicyRegistration FOGSCHED_CONCAT_(fogsched_policy_registration_, __LINE__){&POLICY::info}; \
  }
