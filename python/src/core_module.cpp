// fogsched._core: the thin C++ layer under the `fogsched` Python package. It only
// declares and adapts; the conveniences (DataFrames, sweeps, plots) are Python.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <future>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "context_view.h"
#include "fogsched/analysis/optimal.h"
#include "fogsched/app/html_report.h"
#include "fogsched/app/model_comparison.h"
#include "fogsched/app/run_settings.h"
#include "fogsched/app/training.h"
#include "fogsched/core/errors.h"
#include "fogsched/core/results.h"
#include "fogsched/core/scenario_yaml.h"
#include "fogsched/core/text_file.h"
#include "fogsched/core/units.h"
#include "fogsched/plugins/plugin.h"
#include "fogsched/policies/registry.h"
#include "fogsched/sim/runner.h"
#include "policy_values.h"
#include "python_policy.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace fogsched::python {
namespace {

// How often a waiting run looks for Ctrl-C: short enough to feel immediate,
// long enough that the GIL is almost always free for other Python threads.
constexpr std::chrono::milliseconds kSignalPollInterval{50};

py::dict param_as_dict(const ParamSpec& p) {
  return py::dict("name"_a = p.name, "type"_a = to_string(p.type), "default"_a = p.default_value, "min"_a = p.min,
                  "max"_a = p.max, "doc"_a = p.doc);
}

// The policies this interpreter can name: the built-ins and the plugins loaded with
// load_plugin(). Only touched with the GIL held.
PolicyRegistry& module_registry() {
  static PolicyRegistry registry = [] {
    PolicyRegistry builtins = PolicyRegistry::with_builtins();
    builtins.read_files_with(read_text_file);
    return builtins;
  }();
  return registry;
}

py::list registered_policies() {
  py::list out;
  for (const PolicyInfo* info : module_registry().all()) {
    py::list params;
    for (const ParamSpec& p : info->params) params.append(param_as_dict(p));
    out.append(py::dict("name"_a = info->name, "doc"_a = info->doc, "params"_a = params, "source"_a = info->source));
  }
  return out;
}

// Runs `work` on a worker thread with the GIL released; the calling thread wakes
// every kSignalPollInterval to run Python's signal handlers. When one raises
// (Ctrl-C: KeyboardInterrupt), `cancel` is set, the work joined, and the exception
// propagates.
template <class Work>
auto call_interruptibly(std::atomic<bool>& cancel, Work work) -> decltype(work()) {
  std::future<decltype(work())> result;
  bool interrupted = false;
  {
    py::gil_scoped_release release;
    result = std::async(std::launch::async, std::move(work));
    while (result.wait_for(kSignalPollInterval) != std::future_status::ready) {
      py::gil_scoped_acquire acquire;
      if (PyErr_CheckSignals() != 0) {
        interrupted = true;
        cancel.store(true);
        break;
      }
    }
    result.wait();
  }
  if (interrupted) {
    try {
      result.get();
    } catch (...) {  // Cancelled, or whatever stopped it first: the interrupt wins
    }
    throw py::error_already_set();
  }
  return result.get();
}

// The simulations of `runs` (one pool of threads), run interruptibly.
// A Python policy that raises cancels the run through `failure`, whose error then
// wins over the Cancelled of the replications it stopped.
std::vector<sim::RunOutput> run_interruptibly(std::span<const sim::ScenarioRun> runs, sim::RunOptions options,
                                              RunFailure& failure) {
  std::atomic<bool>& cancel = failure.cancel();
  options.cancel = &cancel;
  try {
    return call_interruptibly(cancel, [&] { return sim::run_scenarios(runs, options); });
  } catch (const sim::Cancelled&) {
    failure.rethrow_if_any();
    throw;
  }
}

sim::RunOutput run_interruptibly(const app::PreparedRun& prepared, sim::RunOptions options, RunFailure& failure) {
  const sim::ScenarioRun run{.scenario = prepared.scenario, .policies = prepared.policies};
  return std::move(run_interruptibly(std::span(&run, 1), std::move(options), failure).front());
}

// Python policies of one run: (name, factory) pairs, added to a copy of the
// built-in registry under their names.
using PythonPolicies = std::vector<std::pair<std::string, py::object>>;

PolicyRegistry registry_with(const PythonPolicies& python_policies, const std::shared_ptr<RunFailure>& failure) {
  PolicyRegistry registry = module_registry();
  for (const auto& [name, factory] : python_policies) {
    if (registry.find(name) != nullptr) {
      throw PolicyError(fmt::format("Python policy '{}': the name is taken (set the class attribute `name`)", name));
    }
    try {
      registry.add(python_policy_info(name, factory, failure));
    } catch (const std::logic_error& error) {
      throw PolicyError(fmt::format("Python policy '{}': {}", name, error.what()));
    }
  }
  return registry;
}

template <typename T>
py::array_t<T> column(std::size_t rows) {
  return py::array_t<T>(static_cast<py::ssize_t>(rows));
}

// The trace as one numpy array per field (a column store), rows ordered by policy,
// then replication, then end time.
py::dict trace_columns(const sim::RunOutput& output) {
  std::size_t rows = 0;
  for (const sim::ReplicationTrace& t : output.traces) rows += t.records.size();

  auto policy = column<std::uint32_t>(rows);
  auto replication = column<std::uint32_t>(rows);
  auto id = column<std::uint64_t>(rows);
  auto function = column<std::uint32_t>(rows);
  auto origin = column<std::uint32_t>(rows);
  auto executed_on = column<std::uint32_t>(rows);
  auto hops = column<std::uint32_t>(rows);
  auto probes = column<std::uint32_t>(rows);
  auto decision = column<std::uint8_t>(rows);
  auto outcome = column<std::uint8_t>(rows);
  auto arrival_s = column<double>(rows);
  auto start_s = column<double>(rows);
  auto end_s = column<double>(rows);
  auto response_s = column<double>(rows);
  auto vehicle = column<std::int64_t>(rows);
  auto blacklisted = column<bool>(rows);
  auto alert_s = column<double>(rows);

  std::size_t row = 0;
  for (const sim::ReplicationTrace& t : output.traces) {
    for (const InvocationRecord& r : t.records) {
      const auto i = static_cast<py::ssize_t>(row++);
      policy.mutable_at(i) = t.policy_index;
      replication.mutable_at(i) = t.replication;
      id.mutable_at(i) = r.id;
      function.mutable_at(i) = r.function;
      origin.mutable_at(i) = r.origin;
      executed_on.mutable_at(i) = r.executed_on;
      hops.mutable_at(i) = r.hops;
      probes.mutable_at(i) = r.probes;
      decision.mutable_at(i) = static_cast<std::uint8_t>(r.decision);
      outcome.mutable_at(i) = static_cast<std::uint8_t>(r.outcome);
      arrival_s.mutable_at(i) = to_seconds(r.arrival);
      start_s.mutable_at(i) = to_seconds(r.start);
      end_s.mutable_at(i) = to_seconds(r.end);
      response_s.mutable_at(i) = to_seconds(r.end - r.arrival);
      vehicle.mutable_at(i) = r.vehicle;
      blacklisted.mutable_at(i) = r.blacklisted;
      alert_s.mutable_at(i) =
          r.alert_delivered == Time::max() ? std::numeric_limits<double>::quiet_NaN() : to_seconds(r.alert_delivered);
    }
  }
  // In the order of the CLI's trace CSV.
  return py::dict("id"_a = id, "policy"_a = policy, "replication"_a = replication, "function"_a = function,
                  "origin"_a = origin, "executed_on"_a = executed_on, "hops"_a = hops, "probes"_a = probes,
                  "decision"_a = decision, "outcome"_a = outcome, "arrival_s"_a = arrival_s, "start_s"_a = start_s,
                  "end_s"_a = end_s, "response_s"_a = response_s, "vehicle"_a = vehicle, "blacklisted"_a = blacklisted,
                  "alert_s"_a = alert_s);
}

// The names behind the trace's decision and outcome codes, indexed by code.
py::dict trace_code_names() {
  py::list decisions;
  for (const DecisionKind d : {DecisionKind::run_local, DecisionKind::forward, DecisionKind::reject}) {
    decisions.append(to_string(d));
  }
  py::list outcomes;
  for (const Outcome o : {Outcome::completed, Outcome::rejected, Outcome::deadline_missed, Outcome::failed}) {
    outcomes.append(to_string(o));
  }
  return py::dict("decision"_a = decisions, "outcome"_a = outcomes);
}

// The keyword arguments of run() and analyze(), as the command line's options.
app::PreparedRun prepare_run(const ScenarioDocument& document, const std::optional<std::vector<std::string>>& policies,
                             std::optional<std::uint32_t> replications, std::optional<std::uint64_t> seed,
                             const std::optional<std::string>& duration, const PolicyRegistry& registry) {
  return app::prepare_run(
      document, {.seed = seed, .replications = replications, .duration = duration, .policies = policies}, registry);
}

// What run() and run_many() return for one run: the CLI's JSON, the policies'
// canonical specs, the engine's events per policy and the trace (or None).
py::dict run_result(const std::vector<PolicyConfig>& policies, const sim::RunOutput& output, bool keep_trace) {
  py::list canonical;
  for (const PolicyConfig& p : policies) canonical.append(p.canonical);
  py::list events;  // per policy, over its replications: what benchmarks divide by
  for (const std::vector<sim::ReplicationResult>& results : output.replications) {
    std::uint64_t total = 0;
    for (const sim::ReplicationResult& r : results) total += r.engine.events;
    events.append(total);
  }
  return py::dict("json"_a = to_json(output.report), "policies"_a = canonical, "engine_events"_a = events,
                  "trace"_a = keep_trace ? py::object(trace_columns(output)) : py::object(py::none()));
}

py::dict run(const ScenarioDocument& document, const std::optional<std::vector<std::string>>& policies,
             std::optional<std::uint32_t> replications, std::optional<std::uint64_t> seed, std::uint32_t threads,
             const std::optional<std::string>& duration, bool keep_trace, const PythonPolicies& python_policies) {
  const auto failure = std::make_shared<RunFailure>();
  const PolicyRegistry registry = registry_with(python_policies, failure);
  const app::PreparedRun prepared = prepare_run(document, policies, replications, seed, duration, registry);
  sim::RunOptions options;
  options.threads = threads;
  options.keep_trace = keep_trace;
  const sim::RunOutput output = run_interruptibly(prepared, std::move(options), *failure);
  return run_result(prepared.policies, output, keep_trace);
}

// One run of run_many(): a document, the policies replacing its list (None: its
// own) and the Python policies they may name.
using RunRequest = std::tuple<ScenarioDocument, std::optional<std::vector<std::string>>, PythonPolicies>;

// Every run's replications as tasks of one pool of `threads`; each run's result as
// run() gives it alone.
py::list run_many(const std::vector<RunRequest>& requests, std::optional<std::uint32_t> replications,
                  std::optional<std::uint64_t> seed, std::uint32_t threads,
                  const std::optional<std::string>& duration) {
  const auto failure = std::make_shared<RunFailure>();
  std::vector<app::PreparedRun> prepared;  // holds the registries the policies came from
  std::vector<sim::ScenarioRun> runs;
  prepared.reserve(requests.size());
  runs.reserve(requests.size());
  for (const auto& [document, policies, python_policies] : requests) {
    const app::PreparedRun& run = prepared.emplace_back(
        prepare_run(document, policies, replications, seed, duration, registry_with(python_policies, failure)));
    runs.push_back({.scenario = run.scenario, .policies = run.policies});
  }
  sim::RunOptions options;
  options.threads = threads;
  const std::vector<sim::RunOutput> outputs = run_interruptibly(runs, std::move(options), *failure);
  py::list results;
  for (std::size_t i = 0; i < runs.size(); ++i) results.append(run_result(runs[i].policies, outputs[i], false));
  return results;
}

// `fogsched analyze --json`: the models first (milliseconds), then the simulation,
// then the two side by side.
// With `optimal`, the optimum of the cluster under the two costs beside them.
std::string analyze(const ScenarioDocument& document, const std::optional<std::vector<std::string>>& policies,
                    std::optional<std::uint32_t> replications, std::optional<std::uint64_t> seed, std::uint32_t threads,
                    const std::optional<std::string>& duration, bool optimal, double forward_cost, double probe_cost) {
  const analysis::OptimalCosts costs{.forward = forward_cost, .probe = probe_cost};
  try {
    analysis::check_costs(costs);
  } catch (const analysis::AnalysisError& e) {
    throw py::value_error(e.what());
  }
  const app::PreparedRun prepared = prepare_run(document, policies, replications, seed, duration, module_registry());
  std::vector<analysis::PolicyAnalysis> analyses;
  std::optional<analysis::OptimalAnalysis> optimum;
  {
    py::gil_scoped_release release;
    analyses = app::analyze_policies(prepared.scenario, prepared.policies);
    if (optimal) optimum = analysis::analyze_optimal(prepared.scenario, costs);
  }
  sim::RunOptions options;
  options.threads = threads;
  RunFailure failure;
  const sim::RunOutput output = run_interruptibly(prepared, std::move(options), failure);
  return app::to_json(app::compare_with_models(prepared.scenario, std::move(analyses), output, std::move(optimum)));
}

// `fogsched train`: the policy trained episode after episode, the model rewritten
// at `out` after each; returns the trained policy's canonical spec and the learning
// curve as the CLI's CSV.
py::dict train(const ScenarioDocument& document, const std::string& policy, std::uint32_t episodes,
               const std::string& out, std::optional<std::uint32_t> replications, std::optional<std::uint64_t> seed,
               std::uint32_t threads, const std::optional<std::string>& duration) {
  if (episodes == 0) throw py::value_error("episodes: must be at least 1");
  const app::PreparedRun prepared =
      prepare_run(document, std::vector<std::string>{policy}, replications, seed, duration, module_registry());
  std::atomic<bool> cancel{false};
  app::TrainingSettings settings;
  settings.episodes = episodes;
  settings.replications = prepared.scenario.replications;
  settings.threads = threads;
  settings.out = out;
  settings.cancel = &cancel;
  const app::TrainingResult result = call_interruptibly(
      cancel, [&] { return app::train(prepared.document, prepared.scenario, policy, prepared.registry, settings); });
  return py::dict("policy"_a = prepared.policies.front().canonical,
                  "curve_csv"_a = app::learning_curve_csv(result.curve), "episodes"_a = result.model.episodes,
                  "updates"_a = result.model.shared.total_visits());
}

py::tuple split_spec(const std::string& spec) {
  const PolicySpec split = split_policy_spec(spec);
  return py::make_tuple(split.name, split.params);
}

}  // namespace
}  // namespace fogsched::python

PYBIND11_MODULE(_core, m) {
  using namespace fogsched;
  using namespace fogsched::python;

  m.doc() = "Private bindings of fogsched; use the `fogsched` package instead.";

  // Each configuration error maps to one Python exception whose text is the CLI's
  // message (without the "fogsched: " prefix).
  py::register_exception<ScenarioError>(m, "ScenarioError", PyExc_ValueError);
  py::register_exception<PolicyError>(m, "PolicyError", PyExc_ValueError);
  py::register_exception<PolicyContractError>(m, "PolicyContractError", PyExc_RuntimeError);
  py::register_exception<ResourceError>(m, "ResourceError", PyExc_MemoryError);
  py::register_exception<PythonPolicyError>(m, "PythonPolicyError", PyExc_RuntimeError);
  py::register_exception<DecisionTypeError>(m, "DecisionTypeError", PyExc_TypeError);
  // app::SettingError ("duration: must be positive") is a std::invalid_argument,
  // which pybind11 raises as ValueError.

  py::class_<ScenarioDocument>(m, "ScenarioDocument", "A scenario as written (the YAML tree) plus overrides.")
      .def_static("load_file", &ScenarioDocument::load_file, "path"_a,
                  "Reads and parses a scenario file (syntax only).")
      .def_static("from_string", &ScenarioDocument::from_string, "yaml"_a, "origin"_a,
                  "Parses YAML text; `origin` names it in errors and anchors relative file paths.")
      .def("set", &ScenarioDocument::set, "path"_a, "value"_a,
           "Sets the value (YAML text) at a key path, as `--set path=value` does.")
      .def(
          "validate",
          [](const ScenarioDocument& document) {
            const Scenario scenario = document.parse();
            PolicyRegistry registry = module_registry();
            load_plugins(registry, scenario.plugins);
            sim::configure_policies(scenario, registry);
          },
          "Checks the whole scenario and its policies, as `fogsched validate` does.")
      .def(
          "summary",
          [](const ScenarioDocument& document) {
            const Scenario scenario = document.parse();
            return py::dict("name"_a = scenario.name, "seed"_a = scenario.seed,
                            "replications"_a = scenario.replications, "duration"_a = format_duration(scenario.duration),
                            "warmup"_a = format_duration(scenario.warmup), "cameras"_a = scenario.cameras.count);
          },
          "Validates and returns the scenario's name, seed, replications, duration and warm-up (as text) and "
          "camera count.")
      .def("to_yaml", &ScenarioDocument::to_yaml, "The document as YAML, overrides applied.")
      .def("to_json", &ScenarioDocument::to_json,
           "The document as JSON: numbers and booleans typed, everything else a string.")
      .def_property_readonly("origin", &ScenarioDocument::origin,
                             "The file path or origin name given when the document was made.")
      .def(
          "copy", [](const ScenarioDocument& document) { return ScenarioDocument(document); }, "An independent copy.");

  bind_policy_values(m);
  bind_contexts(m);

  m.def("policies", &registered_policies, "The policies (built in and from plugins) with their parameters.");
  m.def(
      "load_plugin", [](const std::string& path) { return load_plugin(module_registry(), path); }, "path"_a,
      "Loads a policy plugin (.so built with fogsched_add_policy); returns the names of its policies.");
  m.def("trace_code_names", &trace_code_names, "Names of the trace's decision and outcome codes.");
  m.def("run", &run, "document"_a, "policies"_a = py::none(), "replications"_a = py::none(), "seed"_a = py::none(),
        "threads"_a = 0, "duration"_a = py::none(), "keep_trace"_a = false, "python_policies"_a = PythonPolicies{},
        "Runs every replication of every policy with the GIL released; returns the CLI's JSON and, with "
        "keep_trace, the trace as numpy arrays. `python_policies` are (name, factory) pairs the specs may name.");
  m.def("run_many", &run_many, "runs"_a, "replications"_a = py::none(), "seed"_a = py::none(), "threads"_a = 0,
        "duration"_a = py::none(),
        "Runs many scenarios, each given as (document, policies or None, python_policies), with the GIL released: "
        "every replication of every run is a task of one pool of `threads`; returns run()'s result for each, "
        "without trace.");
  m.def(
      "policy_info_capsule",
      [](const std::string& name, py::object factory) {
        return py::capsule(new PolicyInfo(python_policy_info(name, std::move(factory), nullptr)), kPolicyInfoCapsule,
                           [](PyObject* capsule) {
                             delete static_cast<PolicyInfo*>(PyCapsule_GetPointer(capsule, kPolicyInfoCapsule));
                           });
      },
      "name"_a, "factory"_a,
      "The registry entry of a Python policy as a capsule holding a fogsched::PolicyInfo (for live mode's "
      "embedding, built from the same sources).");
  m.def("analyze", &analyze, "document"_a, "policies"_a = py::none(), "replications"_a = py::none(),
        "seed"_a = py::none(), "threads"_a = 0, "duration"_a = py::none(), "optimal"_a = false, "forward_cost"_a = 0.0,
        "probe_cost"_a = 0.0,
        "Simulates with the GIL released and sets the exact models (Erlang-B, Markov chain, mean-field) "
        "beside it, and with `optimal` the optimal policy; returns the JSON document of "
        "`fogsched analyze --json`.");
  m.def("train", &train, "document"_a, "policy"_a, "episodes"_a, "out"_a, "replications"_a = py::none(),
        "seed"_a = py::none(), "threads"_a = 0, "duration"_a = py::none(),
        "Trains a learning policy with the GIL released, rewriting the model file `out` after every episode; "
        "returns the policy's canonical spec, the learning curve as CSV, and the model's episodes and updates.");
  m.def("split_policy_spec", &split_spec, "spec"_a,
        "A policy spec as (name, [(parameter, value text), ...]), as the registry reads it.");
  m.def(
      "format_table",
      [](const std::string& json, std::vector<std::string> metrics, bool wide) {
        TableOptions options;
        options.metrics = std::move(metrics);
        options.wide = wide;
        return format_table(run_report_from_json(json), options);
      },
      "json"_a, "metrics"_a = std::vector<std::string>{}, "wide"_a = false,
      "The CLI's comparison table for a results JSON document: the columns that fit 120 columns, "
      "`metrics` (names as `fogsched run --metrics`) or, with `wide`, every column.");
  m.def(
      "html_report",
      [](const std::string& json, const std::string& title) {
        return app::html_report(run_report_from_json(json), title);
      },
      "json"_a, "title"_a = "",
      "The self-contained HTML report of `fogsched run --report` for a results JSON document; an empty title "
      "reads \"fogsched: <scenario>\".");
}
