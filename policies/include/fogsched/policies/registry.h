#pragma once
// The policy registry: a name -> factory map with typed, validated parameters.
//
// A policy is named by a spec, either the compact text form
// "power_of_d(d=2,threshold=3)" or a scenario's {name: power_of_d, d: 2} (which the
// scenario loader hands over as a PolicySpec). Parameters are checked against the
// policy's ParamSpecs (type, range), defaults filled in, and the canonical spec
// string — all parameters, in declaration order — names the policy in results.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "fogsched/core/policy.h"
#include "fogsched/core/policy_spec.h"

namespace fogsched {

enum class ParamType : std::uint8_t { integer, real, duration, boolean, file };
const char* to_string(ParamType) noexcept;

// A file a policy starts from (a learned model, a decision table). The front-end
// reads it when the policy is configured, so a policy never does I/O.
struct PolicyFile {
  // A file parameter's value when no file is named (its default): "none".
  static constexpr std::string_view kNone = "none";

  std::string path;                             // as the user wrote it, or kNone
  std::shared_ptr<const std::string> contents;  // null when left out

  bool given() const { return contents != nullptr; }
};

// How a front-end reads the files policies name: the text of the file, or an
// exception whose what() says why not.
using PolicyFileReader = std::function<std::string(const std::filesystem::path&)>;

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::integer;
  std::string default_value;  // text form, as a user would write it
  double min = 0;             // inclusive bounds; durations in seconds
  double max = 0;
  std::string doc;  // one line
};

// Validated parameter values of one policy.
class ParamValues {
 public:
  std::int64_t integer(std::string_view name) const;
  double real(std::string_view name) const;
  Duration duration(std::string_view name) const;
  bool boolean(std::string_view name) const;
  PolicyFile file(std::string_view name) const;

  void set(std::string name, std::string canonical_text, double number);
  void set_file(std::string name, PolicyFile file);

 private:
  struct Value {
    std::string text;                             // canonical text ("2", "0.5", "1s", "true", a path)
    double number = 0;                            // durations in nanoseconds, booleans 0/1
    std::shared_ptr<const std::string> contents;  // files only
  };
  const Value& at(std::string_view name) const;
  std::map<std::string, Value, std::less<>> values_;
};

// Splits the text form "name" or "name(key=value,...)" into a PolicySpec without
// validating names or values (configure() does); throws PolicyError when malformed.
PolicySpec split_policy_spec(std::string_view spec);

// Makes the per-node policy objects of one configured policy: on the heap, or in
// room the caller keeps (the simulator keeps each node's policy inside the node's
// record, so that with 10^5 nodes a decision reads one record from memory, not two).
class PolicyMaker {
 public:
  PolicyMaker() = default;
  // A maker that builds on the heap only: make() returns the new object.
  template <class Make>
    requires(!std::is_same_v<Make, PolicyMaker> && std::is_invocable_r_v<std::unique_ptr<Policy>, const Make&>)
  PolicyMaker(Make make) : make_(std::move(make)) {}  // NOLINT(google-explicit-constructor): any callable is a maker

  // A maker of P from a copy of `args`, on the heap or in room.
  template <class P, class... Args>
  static PolicyMaker of(Args... args) {
    PolicyMaker maker([args...] { return std::unique_ptr<Policy>(std::make_unique<P>(args...)); });
    maker.place_ = [args...](std::span<std::byte> room) -> Policy* {
      const bool fits = sizeof(P) <= room.size() && reinterpret_cast<std::uintptr_t>(room.data()) % alignof(P) == 0;
      return fits ? ::new (static_cast<void*>(room.data())) P(args...) : nullptr;
    };
    // Naming P's on_complete finds Policy's own (which does nothing) exactly when
    // neither P nor a base between them declares one.
    maker.hears_completions_ = !std::is_same_v<decltype(&P::on_complete), decltype(&Policy::on_complete)>;
    return maker;
  }

  explicit operator bool() const { return static_cast<bool>(make_); }
  std::unique_ptr<Policy> operator()() const { return make_(); }
  // Builds the object in `room` when its type fits there (size and alignment) and
  // returns it: the caller destroys it (~Policy) and frees nothing. Else nullptr.
  Policy* operator()(std::span<std::byte> room) const { return place_ ? place_(room) : nullptr; }
  // False when the objects keep Policy::on_complete, which does nothing: a host may
  // then skip the call (the simulator does, saving a read of the origin's policy per
  // invocation). Always true for a plain callable, whose type is not known.
  bool hears_completions() const { return hears_completions_; }

 private:
  std::function<std::unique_ptr<Policy>()> make_;
  std::function<Policy*(std::span<std::byte>)> place_;
  bool hears_completions_ = true;
};

struct PolicyInfo {
  std::string name;
  std::string doc;  // one line
  // Where the policy comes from: "built in", or the plugin file it was loaded from.
  std::string source = "built in";
  std::vector<ParamSpec> params;
  // Builds the typed configuration from validated values; may throw PolicyError for
  // constraints across parameters. Returns the maker of per-node instances.
  std::function<PolicyMaker(const ParamValues&)> configure;
};

// A policy with validated parameters, ready to instantiate per node.
struct PolicyConfig {
  std::string name;
  std::string canonical;  // "power_of_d(d=2,threshold=3)"
  ParamValues values;
  PolicyMaker make;
};

// The policies a front-end (the command, a live node, the Python module) can name: an
// instance each front-end makes, fills and passes down; no layer keeps a global one.
class PolicyRegistry {
 public:
  // A registry of the policies compiled into this process (FOGSCHED_REGISTER_POLICY
  // in the program and the libraries it was linked with), plugins not included.
  static PolicyRegistry with_builtins();

  void add(PolicyInfo info);  // throws std::logic_error on a duplicate name

  // Lets file parameters be given; without a reader, naming a file is refused. A
  // relative path is taken from the folder of the scenario that names it, or from
  // the working directory for a spec given as text.
  void read_files_with(PolicyFileReader reader) { read_file_ = std::move(reader); }
  const PolicyInfo* find(std::string_view name) const;
  std::vector<const PolicyInfo*> all() const;  // sorted by name

  // Parses "name" or "name(key=value,...)"; throws PolicyError naming the problem.
  PolicyConfig parse(std::string_view spec) const;
  // Validates a scenario's policy entry; throws PolicyError whose message starts
  // with the entry's location ("FILE:LINE: policies: ...").
  PolicyConfig configure(const PolicySpec& spec) const;
  // Validates name and raw text parameters; relative file paths are taken from `folder`.
  PolicyConfig configure(std::string_view name, const std::vector<std::pair<std::string, std::string>>& params,
                         const std::filesystem::path& folder = {}) const;

 private:
  PolicyFile read_file(std::string_view policy, const ParamSpec& spec, const std::string& path,
                       const std::filesystem::path& folder) const;

  std::map<std::string, PolicyInfo, std::less<>> policies_;
  PolicyFileReader read_file_;
};

}  // namespace fogsched
